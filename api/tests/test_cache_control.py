"""Cache-Control on API answers: nothing personal is kept by a cache, except a
single resource the client may keep and revalidate with its ETag."""

import pytest
from django.http import HttpResponse

from api.tests.helpers import bearer
from api.tests.test_handlers import wsgi_get
from tasks.tests.factories import TaskFactory
from users.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NO_STORE = "no-store"


@pytest.fixture
def task(user):
    return TaskFactory(owner=user)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/export/",
        "/api/v1/users/me/",
        "/api/v1/sync/",
        "/api/v1/tasks/",
        "/api/v1/tags/",
        "/api/v1/trash/",
        "/api/v1/tasks/0/",  # an error
    ],
)
def test_personal_answers_are_not_stored(auth_client, task, path):
    response = auth_client.get(path)

    assert response["Cache-Control"] == NO_STORE


def test_the_login_that_hands_out_a_token_is_not_stored(api_client, user):
    response = api_client.post(
        "/api/v1/auth/login/", {"username": user.username, "password": PASSWORD}
    )

    assert response.status_code == 200
    assert response["Cache-Control"] == NO_STORE


def test_an_error_the_middleware_answers_is_not_stored(auth_client):
    response = auth_client.get("/api/v1/tasks/", {"search": "x" * 2000})

    assert response.status_code == 400
    assert response["Cache-Control"] == NO_STORE


def test_a_write_is_not_stored_even_with_an_etag(auth_client, task):
    response = auth_client.post(f"/api/v1/tasks/{task.pk}/complete/")

    assert response.has_header("ETag")
    assert response["Cache-Control"] == NO_STORE


@pytest.mark.parametrize("method", ["get", "head"])
def test_a_single_task_and_its_304_are_not_stored_either(auth_client, task, method):
    path = f"/api/v1/tasks/{task.pk}/"
    response = getattr(auth_client, method)(path)
    not_modified = getattr(auth_client, method)(
        path, HTTP_IF_NONE_MATCH=response["ETag"]
    )

    assert response.status_code == 200
    assert not_modified.status_code == 304
    assert response["Cache-Control"] == not_modified["Cache-Control"] == NO_STORE


def test_an_answer_that_sets_its_own_is_left_alone(rf):
    from api.middleware import CacheControlMiddleware

    def view(request):
        response = HttpResponse()
        response["Cache-Control"] = "public, max-age=60"
        return response

    response = CacheControlMiddleware(view)(rf.get("/api/v1/tasks/"))

    assert response["Cache-Control"] == "public, max-age=60"


def test_answers_outside_the_api_are_left_alone(client):
    assert not client.get("/api/schema/").has_header("Cache-Control")


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/api/v1/tasks/", NO_STORE), ("/api/v1/export/", NO_STORE), (None, NO_STORE)],
)
def test_the_token_chain_sets_the_same(user, login, task, path, expected):
    token = login(user)
    path = path or f"/api/v1/tasks/{task.pk}/"

    status, headers, _ = wsgi_get(path, authorization=f"Bearer {token}")

    assert status == 200
    assert headers["cache-control"] == expected
    assert bearer(token).get(path)["Cache-Control"] == expected
