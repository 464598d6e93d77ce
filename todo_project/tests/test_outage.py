"""An unreachable database is a 503 with Retry-After, never a 500."""

import pytest
from django import db
from django.test import RequestFactory

from tasks.views import TaskViewSet
from todo_project.views import server_error

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("debug", [True, False])
def test_view_hitting_an_unreachable_database_answers_503_json(
    auth_client, monkeypatch, settings, unreachable_connection, debug
):
    settings.DEBUG = debug

    def list_from_unreachable(*args, **kwargs):
        with unreachable_connection.cursor() as cursor:
            cursor.execute("SELECT 1")

    monkeypatch.setattr(TaskViewSet, "list", list_from_unreachable)

    response = auth_client.get("/api/v1/tasks/")

    assert response.status_code == 503
    assert response.json() == {"detail": "The database is unavailable. Retry shortly."}
    assert response["Retry-After"] == "5"
    assert response["Cache-Control"] == "no-store"


def answer_to(exception: Exception) -> int:
    """The status handler500 gives while `exception` is being handled."""
    request = RequestFactory().get("/api/v1/tasks/")
    try:
        raise exception
    except Exception:
        return server_error(request).status_code


@pytest.mark.parametrize(
    "exception",
    [
        db.OperationalError("connection refused"),
        db.InterfaceError("connection already closed"),
        db.InternalError("received 2 results from command 'BEGIN'"),
    ],
)
def test_database_outage_outside_a_view_is_503_too(exception):
    assert answer_to(exception) == 503


@pytest.mark.parametrize(
    "exception", [db.IntegrityError("duplicate key"), ValueError("boom")]
)
def test_other_errors_outside_a_view_stay_500(exception):
    assert answer_to(exception) == 500
