import pytest
from django.core.management import call_command

from health import views

pytestmark = pytest.mark.django_db


def test_live_answers_without_touching_the_database(
    api_client, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = api_client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_ready_answers_ok_when_the_database_answers_and_is_migrated(
    api_client, monkeypatch
):
    monkeypatch.setattr(views, "_migrations_applied", False)

    response = api_client.get("/health/ready")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "pending_migrations": 0,
    }


def test_ready_is_one_query_once_migrations_are_known_to_be_applied(
    api_client, django_assert_num_queries
):
    api_client.get("/health/ready")

    with django_assert_num_queries(1):
        assert api_client.get("/health/ready").status_code == 200


def test_probes_need_no_authentication_and_refuse_writes(api_client):
    assert api_client.get("/health/live").status_code == 200
    assert api_client.post("/health/live").status_code == 405
    assert api_client.head("/health/ready").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_ready_is_503_while_migrations_are_pending(api_client, monkeypatch):
    monkeypatch.setattr(views, "_migrations_applied", False)
    call_command("migrate", "tasks", "zero", verbosity=0)
    try:
        response = api_client.get("/health/ready")
    finally:
        call_command("migrate", "tasks", verbosity=0)

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["pending_migrations"] >= 1
    assert api_client.get("/health/ready").status_code == 200


def test_ready_is_503_with_retry_after_when_the_database_is_unreachable(
    api_client, monkeypatch, unreachable_connection
):
    monkeypatch.setattr(views, "connection", unreachable_connection)

    response = api_client.get("/health/ready")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}
    assert response["Retry-After"] == "5"


def test_the_probes_are_not_redirected_to_https(api_client, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert api_client.get("/health/live").status_code == 200
    assert api_client.get("/api/v1/tasks/").status_code == 301
