"""An unreachable database is a 503 with Retry-After, never a 500."""

import pytest
from django import db
from django.test import RequestFactory

from api.tests.helpers import problem
from api.views import server_error
from tasks.views import TaskViewSet

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
    assert problem(response)["detail"] == "The database is unavailable. Retry shortly."
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


def postgres_error(sqlstate: str | None) -> db.Error:
    """A Django database error caused by a psycopg error with this SQLSTATE."""
    import psycopg

    cause = psycopg.errors.lookup(sqlstate)("x") if sqlstate else psycopg.Error("x")
    error = (db.InternalError if sqlstate == "XX000" else db.OperationalError)("x")
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("sqlstate", "status"),
    [
        (None, 503),  # client side: no connection, lost, broken off
        ("08006", 503),  # connection failure
        ("57P01", 503),  # admin shutdown
        ("53300", 503),  # too many connections
        ("40P01", 500),  # deadlock: a real error, not an outage
        ("57014", 500),  # statement cancelled
        ("XX000", 500),  # internal error reported by the server
    ],
)
def test_only_outages_are_answered_503(sqlstate, status):
    assert answer_to(postgres_error(sqlstate)) == status


@pytest.mark.django_db(transaction=True)  # as in production: no test transaction
def test_a_failed_request_writes_nothing(auth_client, monkeypatch):
    from tasks.models import Task

    def fail_after_saving(*args, **kwargs):
        raise RuntimeError("after the INSERT")

    monkeypatch.setattr(TaskViewSet, "get_success_headers", fail_after_saving)
    auth_client.raise_request_exception = False

    response = auth_client.post("/api/v1/tasks/", {"title": "half done"})

    assert response.status_code == 500
    assert not Task.objects.exists()
