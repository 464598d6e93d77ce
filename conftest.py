import contextlib
import os
import threading
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from users.tests.factories import PASSWORD, UserFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The production hasher is slow on purpose; tests only need hashing to work.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Each test starts with no requests counted (they come from one address)."""
    from django.core.cache import cache

    from todo_project import ratelimit

    ratelimit._fallback.clear()
    ratelimit._batches.clear()
    ratelimit._redis_retry_at = 0.0
    if not hasattr(getattr(cache, "_cache", None), "get_client"):
        cache.clear()  # the per-process cache counts without Redis
    yield


def bearer(token: str) -> APIClient:
    """A client that sends this API token (for tests that hold several)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


NOT_FOUND = {
    "type": "about:blank",
    "title": "Not Found",
    "status": 404,
    "detail": "Not found.",
    "code": "not_found",
}


def problem(response) -> dict:
    """An error answer's RFC 9457 body, checked, without its per-request members
    (`instance`, `request_id`), so that tests can compare whole bodies."""
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == response.status_code
    assert body["request_id"] == response["X-Request-ID"]
    assert {"type", "title", "detail", "code"} <= set(body)
    body.pop("request_id")
    assert body.pop("instance") == response.request["PATH_INFO"]
    return body


def invalid_fields(response, status: int = 400) -> dict[str | None, list[str]]:
    """A 400's messages by field (None for the request as a whole); with
    status=409, a conflict's (input that clashes with stored data)."""
    assert response.status_code == status, response.content
    body = problem(response)
    kind = "validation-error" if status == 400 else "conflict"
    assert body["type"] == f"urn:todo:problem:{kind}"
    fields: dict[str | None, list[str]] = {}
    for error in body["errors"]:
        fields.setdefault(error["field"], []).append(error["message"])
    return fields


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def login(api_client):
    """Log a user in through the API and return the token it got."""

    def log_in(user) -> str:
        response = api_client.post(
            "/api/v1/auth/login/",
            {"username": user.username, "password": PASSWORD},
        )
        if response.status_code != 200:
            raise AssertionError(f"login failed: {response.content!r}")
        return response.json()["token"]

    return log_in


@pytest.fixture
def auth_client(user, login) -> APIClient:
    """A client carrying a real Bearer token for `user`."""
    return bearer(login(user))


@pytest.fixture
def other_client(other_user, login) -> APIClient:
    return bearer(login(other_user))


def pytest_report_header(config) -> str:
    from django.db import connection

    return f"database: {connection.vendor} ({connection.settings_dict['NAME']})"


@pytest.fixture
def unreachable_connection(db):
    """A real connection to a database that is not there (nothing is mocked)."""
    from django.db import connections

    connection = connections["default"]
    settings_dict = {**connection.settings_dict, "CONN_MAX_AGE": 0}
    if connection.vendor == "sqlite":
        settings_dict["NAME"] = "/nonexistent-folder/db.sqlite3"
    else:
        settings_dict.update(HOST="127.0.0.1", PORT=1)  # nothing listens there
    unreachable = type(connection)(settings_dict, alias="unreachable")
    yield unreachable
    unreachable.close()


REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_settings(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "todo_project.redis_cache.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5},
        }
    }


@pytest.fixture
def redis_cache(settings, transactional_db):
    """The caches on a real Redis (TEST_REDIS_URL, default: the machine's, db 15).

    With transactional_db: the caches are invalidated on commit, so the tests
    commit for real.
    """
    import redis
    from django.core.cache import cache

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    settings.CACHES = redis_settings(REDIS_URL)
    settings.API_TOKEN_CACHE = True
    settings.API_LIST_CACHE = True
    cache.clear()
    yield
    # (A test may have pointed the cache at a Redis that is not there.)
    with contextlib.suppress(redis.RedisError):
        cache.clear()


@pytest.fixture
def redis_down(settings):
    """The caches pointed at a Redis that is not there (nothing listens on port 1)."""
    settings.CACHES = redis_settings("redis://127.0.0.1:1/0")


def at_once(*sends: Callable[[], Any], timeout: float = 60) -> list[int]:
    """Run each request in a thread of its own, all released together (for
    races on PostgreSQL); the status codes, in the order they finished."""
    from django.db import connection

    start = threading.Barrier(len(sends))
    statuses: list[int] = []

    def run(send: Callable[[], Any]) -> None:
        try:
            start.wait(timeout=10)
            statuses.append(send().status_code)
        finally:
            connection.close()  # each thread has its own

    threads = [threading.Thread(target=run, args=(send,)) for send in sends]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return statuses
