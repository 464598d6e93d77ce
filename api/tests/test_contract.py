"""The check every APIClient answer goes through (api/tests/contract.py)."""

import pytest
from django.http import HttpResponse, JsonResponse

from api.tests import contract

pytestmark = pytest.mark.django_db


def answer(response, method: str, path: str):
    response.request = {"REQUEST_METHOD": method, "PATH_INFO": path}
    return response


def test_an_undocumented_status_fails():
    teapot = answer(HttpResponse(status=418), "GET", "/api/v1/users/me/")

    with pytest.raises(AssertionError, match="answered 418, which it does not"):
        contract.check(teapot)


def test_a_path_is_read_as_itself_before_a_template_it_also_fits():
    teapot = answer(HttpResponse(status=418), "POST", "/api/v1/tasks/bulk/")

    with pytest.raises(AssertionError, match=r"\(/api/v1/tasks/bulk/\) answered 418"):
        contract.check(teapot)


def test_a_body_off_its_schema_fails():
    profile = {"id": "7", "username": "alice", "email": "alice@example.com"}
    off = answer(JsonResponse(profile), "GET", "/api/v1/users/me/")

    with pytest.raises(AssertionError, match="off its schema") as failure:
        contract.check(off)
    assert "id: '7' is not of type 'integer'" in str(failure.value)
    assert "'date_joined' is a required property" in str(failure.value)


def test_an_undocumented_media_type_fails():
    problem = {"type": "about:blank", "title": "Not Found", "status": 404}
    plain_json = answer(JsonResponse(problem, status=404), "GET", "/api/v1/tasks/1/")

    with pytest.raises(AssertionError, match="with application/json, which"):
        contract.check(plain_json)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/admin/"),
        ("GET", "/health/live"),
        ("HEAD", "/api/v1/tasks/"),
        ("PUT", "/api/v1/users/me/"),
    ],
)
def test_what_the_schema_does_not_document_passes_unchecked(method, path):
    contract.check(answer(HttpResponse(status=418), method, path))


def test_every_client_answer_to_a_documented_operation_is_checked(auth_client):
    before = contract.checked[("get", "/api/v1/tasks/{id}/")]

    auth_client.get("/api/v1/tasks/999999/")

    assert contract.checked[("get", "/api/v1/tasks/{id}/")] == before + 1
