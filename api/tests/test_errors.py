"""Every error under /api/ is an RFC 9457 problem, whatever raised it."""

import pytest
from django.core.exceptions import SuspiciousFileOperation
from rest_framework.exceptions import ValidationError
from rest_framework.test import APIClient

from api.tests.helpers import NOT_FOUND, problem
from tasks.models import Task
from tasks.tests.factories import TaskFactory
from tasks.views import TaskViewSet

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
def test_unknown_api_path_is_json_404_even_with_debug_on(settings, method):
    settings.DEBUG = True

    response = getattr(APIClient(), method)("/api/v1/nothing-here/")

    assert response.status_code == 404
    assert problem(response) == NOT_FOUND


def test_path_missing_its_trailing_slash_gets_a_hint_not_a_redirect(auth_client):
    response = auth_client.post("/api/v1/tasks", {"title": "x"})

    assert response.status_code == 404
    assert problem(response) == {
        **NOT_FOUND,
        "detail": "Not found. Did you mean /api/v1/tasks/ (with a trailing slash)?",
    }


def test_method_not_allowed_is_json_405(auth_client):
    response = auth_client.delete("/api/v1/tasks/")

    assert response.status_code == 405
    assert problem(response)["detail"] == 'Method "DELETE" not allowed.'


@pytest.mark.parametrize("debug", [False, True])
def test_server_error_is_a_problem_without_a_trace_and_logged_with_its_id(
    auth_client, monkeypatch, settings, caplog, debug
):
    settings.DEBUG = debug

    def explode(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(TaskViewSet, "list", explode)
    auth_client.raise_request_exception = False

    response = auth_client.get("/api/v1/tasks/", HTTP_X_REQUEST_ID="trace-me-1")

    assert response.status_code == 500
    assert problem(response) == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "A server error occurred. Quote the request_id if you report it.",
        "code": "server_error",
    }
    assert b"secret internals" not in response.content
    (record,) = [r for r in caplog.records if r.levelname == "ERROR"]
    assert record.request_id == "trace-me-1"
    assert "secret internals" in str(record.exc_info[1])


# No test transaction around the request: inside one, the view's atomic block
# would be a savepoint, and an error would be rolled back whatever the view did.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("error", "status"),
    [(ValidationError({"title": ["No."]}), 400), (RuntimeError("boom"), 500)],
    ids=["handled 400", "500"],
)
def test_an_error_rolls_back_what_the_request_wrote(
    auth_client, user, monkeypatch, error, status
):
    def write_then_fail(self, serializer):
        serializer.save(owner=user)
        raise error

    monkeypatch.setattr(TaskViewSet, "perform_create", write_then_fail)
    auth_client.raise_request_exception = False

    response = auth_client.post("/api/v1/tasks/", {"title": "kept?"})

    assert response.status_code == status
    assert problem(response)["status"] == status
    assert not Task.objects.exists()


def test_bad_host_under_api_is_json_400(settings):
    settings.DEBUG = False

    response = APIClient().get("/api/v1/tasks/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert problem(response)["detail"] == "Bad request."


def test_errors_outside_api_stay_html(settings):
    settings.DEBUG = False

    response = APIClient().get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def _stale_if_match(client, task):
    return client.patch(
        f"/api/v1/tasks/{task.pk}/", {"title": "x"}, format="json", HTTP_IF_MATCH='"0"'
    )


@pytest.mark.parametrize(
    ("status", "code", "send"),
    [
        (400, "invalid", lambda c, t: c.post("/api/v1/tasks/", {"title": ""})),
        (
            400,
            "parse_error",
            lambda c, t: c.generic(
                "POST", "/api/v1/tasks/", "{", content_type="application/json"
            ),
        ),
        (401, "not_authenticated", lambda c, t: APIClient().get("/api/v1/tasks/")),
        (404, "not_found", lambda c, t: c.get("/api/v1/tasks/999999/")),
        (405, "method_not_allowed", lambda c, t: c.delete("/api/v1/tasks/")),
        (
            406,
            "not_acceptable",
            lambda c, t: c.get("/api/v1/tasks/", HTTP_ACCEPT="application/xml"),
        ),
        (
            413,
            "too_large",
            lambda c, t: c.generic(
                "POST", "/api/v1/tasks/", "x" * 3_000_000, "application/json"
            ),
        ),
        (
            415,
            "unsupported_media_type",
            lambda c, t: c.post("/api/v1/tasks/", "t=x", content_type="text/plain"),
        ),
        (412, "precondition_failed", _stale_if_match),
    ],
)
def test_every_kind_of_error_is_a_problem(auth_client, user, status, code, send):
    task = TaskFactory(owner=user)

    response = send(auth_client, task)

    assert response.status_code == status
    body = problem(response)
    assert body["code"] == code
    assert body["title"]
    assert body["detail"]


def test_a_suspicious_operation_in_a_view_is_a_400_problem_logged_as_security(
    auth_client, monkeypatch, caplog
):
    def suspicious(*args, **kwargs):
        raise SuspiciousFileOperation("path traversal attempt")

    monkeypatch.setattr(TaskViewSet, "list", suspicious)

    response = auth_client.get("/api/v1/tasks/")

    assert problem(response) == {
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "detail": "Bad request.",
        "code": "bad_request",
    }
    assert b"path traversal" not in response.content
    (record,) = [r for r in caplog.records if r.name.startswith("django.security.")]
    assert record.name == "django.security.SuspiciousFileOperation"
