"""Every error under /api/ is JSON, whatever raised it."""

import pytest
from rest_framework.test import APIClient

from tasks.views import TaskViewSet

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
def test_unknown_api_path_is_json_404_even_with_debug_on(settings, method):
    settings.DEBUG = True

    response = getattr(APIClient(), method)("/api/v1/nothing-here/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_path_missing_its_trailing_slash_gets_a_hint_not_a_redirect(auth_client):
    response = auth_client.post("/api/v1/tasks", {"title": "x"})

    assert response.status_code == 404
    assert response.json() == {
        "detail": "Not found. Did you mean /api/v1/tasks/ (with a trailing slash)?"
    }


def test_method_not_allowed_is_json_405(auth_client):
    response = auth_client.delete("/api/v1/tasks/")

    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "DELETE" not allowed.'}


def test_server_error_is_json_500_without_a_trace(auth_client, monkeypatch, settings):
    settings.DEBUG = False

    def explode(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(TaskViewSet, "list", explode)
    auth_client.raise_request_exception = False

    response = auth_client.get("/api/v1/tasks/")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "A server error occurred."}
    assert b"secret internals" not in response.content


def test_bad_host_under_api_is_json_400(settings):
    settings.DEBUG = False

    response = APIClient().get("/api/v1/tasks/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert response.json() == {"detail": "Bad request."}


def test_errors_outside_api_stay_html(settings):
    settings.DEBUG = False

    response = APIClient().get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
