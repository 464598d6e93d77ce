"""The PostgreSQL backend: bounded connect retries and a deadline on every call."""

import logging
import os
import socket
import time

import pytest
from django.db import OperationalError, connections

pytestmark = pytest.mark.django_db


@pytest.fixture
def postgres_only():
    if connections["default"].vendor != "postgresql":
        pytest.skip("the PostgreSQL backend is only used on PostgreSQL")


@pytest.fixture
def second_connection(postgres_only):
    """Another real connection to the test database, to break without harm."""
    default = connections["default"]
    connection = type(default)({**default.settings_dict}, alias="second")
    yield connection
    connection.close()


def test_connecting_is_retried_with_backoff_then_fails(
    postgres_only, unreachable_connection, settings, caplog
):
    settings.DATABASE_CONNECT_ATTEMPTS = 3
    started = time.monotonic()

    with caplog.at_level(logging.WARNING), pytest.raises(OperationalError):
        unreachable_connection.ensure_connection()

    elapsed = time.monotonic() - started
    retries = [r for r in caplog.records if "connection attempt" in r.getMessage()]
    assert [r.getMessage()[:34] for r in retries] == [
        "Database connection attempt 1 of 3",
        "Database connection attempt 2 of 3",
    ]
    assert 0.7 <= elapsed < 3


def test_a_call_past_its_deadline_is_broken_off(second_connection, settings):
    settings.DATABASE_QUERY_TIMEOUT = 0.5
    started = time.monotonic()

    with pytest.raises(OperationalError), second_connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(5)")

    assert time.monotonic() - started < 2


def test_calls_within_their_deadline_are_untouched(second_connection, settings):
    settings.DATABASE_QUERY_TIMEOUT = 1
    with second_connection.cursor() as cursor:
        for _ in range(3):
            cursor.execute("SELECT pg_sleep(0.4)")
    time.sleep(1.2)  # past the deadline of every call above

    with second_connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    assert second_connection.is_usable()


def test_no_server_side_cursors_and_no_prepared_statements(postgres_only):
    connection = connections["default"]
    connection.ensure_connection()

    assert connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert connection.connection.prepare_threshold is None


def _break(connection) -> None:
    """Cut the client's socket, as a dropped connection would be: through a
    pooler, ending the server's backend would leave the client's link alive."""
    link = socket.socket(fileno=os.dup(connection.connection.fileno()))
    link.shutdown(socket.SHUT_RDWR)
    link.close()


@pytest.mark.parametrize(("check_after", "replaced"), [(0, True), (60, False)])
def test_a_reused_connection_is_checked_unless_it_answered_just_now(
    second_connection, settings, check_after, replaced
):
    settings.DATABASE_HEALTH_CHECK_AFTER = check_after
    with second_connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    _break(second_connection)
    dropped = second_connection.connection
    second_connection.health_check_done = False  # a new request begins

    second_connection.close_if_health_check_failed()

    # Checked: the dead connection is closed, and the next query reconnects.
    assert (second_connection.connection is not dropped) is replaced
    if replaced:
        with second_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)


def answered_just_now(connection, settings, query_timeout: float) -> None:
    """A connection whose next request skips its check (deadline 0.5 s)."""
    settings.DATABASE_HEALTH_CHECK_AFTER = 60
    settings.DATABASE_HEALTH_CHECK_TIMEOUT = 0.5
    settings.DATABASE_QUERY_TIMEOUT = query_timeout
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def test_after_a_skipped_check_the_first_call_has_the_checks_deadline(
    second_connection, settings
):
    answered_just_now(second_connection, settings, query_timeout=3)

    def a_request(sql: str) -> float:
        second_connection.close_if_unusable_or_obsolete()  # a new request begins
        started = time.monotonic()
        # Each query on a cursor of its own, as the ORM makes them: only the
        # first has the check's deadline, the next ones have 3 s.
        for statement in (sql, "SELECT pg_sleep(0.7)", "SELECT pg_sleep(0.7)"):
            with second_connection.cursor() as cursor:
                cursor.execute(statement)
        return time.monotonic() - started

    assert a_request("SELECT 1") >= 1.4
    # A server that stalls at the request's first call is given up on as the
    # check would have been.
    started = time.monotonic()
    with pytest.raises(OperationalError):
        a_request("SELECT pg_sleep(5)")
    assert time.monotonic() - started < 2


def test_without_a_query_timeout_a_skipped_check_adds_no_deadline(
    second_connection, settings
):
    # As in management commands, whose statements may run long.
    answered_just_now(second_connection, settings, query_timeout=0)
    second_connection.close_if_unusable_or_obsolete()

    with second_connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(0.8)")
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_an_idle_connection_is_checked(second_connection, settings):
    settings.DATABASE_HEALTH_CHECK_AFTER = 1
    with second_connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    _break(second_connection)
    time.sleep(1.1)
    second_connection.health_check_done = False

    second_connection.close_if_health_check_failed()

    assert second_connection.connection is None
