import contextlib
import time

import pytest
from rest_framework.test import APIClient

from api.tests.helpers import REDIS_URL, bearer, redis_settings
from users.tests.factories import PASSWORD, UserFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The production hasher is slow on purpose; tests only need hashing to work.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_rate_limits(monkeypatch):
    """Each test starts with no requests counted (they come from one address),
    at the start of a day: every fixed window, from a second to a day, begins
    with the test, so none ends halfway through its requests."""
    from api import ratelimit

    ratelimit.reset()
    started, midnight = time.monotonic(), 20_000 * 86_400
    monkeypatch.setattr(
        ratelimit, "clock", lambda: midnight + time.monotonic() - started
    )
    yield


@pytest.fixture
def limits(settings):
    """limits(user="3/hour", ...): those rate limits, the rest as configured."""

    def set_limits(**rates: str) -> None:
        settings.API_RATE_LIMITS = {**settings.API_RATE_LIMITS, **rates}

    return set_limits


@pytest.fixture(scope="session", autouse=True)
def answers_match_the_schema():
    """Every answer an APIClient gets for a documented operation is checked
    against the OpenAPI schema: a documented status, a body that validates
    (api/tests/contract.py)."""
    from api.tests import contract

    contract.schema()  # before any test changes the settings it is made from
    send = APIClient.request

    def request(self, **kwargs):
        response = send(self, **kwargs)
        contract.check(response)
        return response

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(APIClient, "request", request)
        yield


def pytest_terminal_summary(terminalreporter) -> None:
    from api.tests import contract

    if contract.checked:
        missed = [
            f"{method.upper()} {path}"
            for method, path in contract.operations()
            if (method, path) not in contract.checked
        ]
        terminalreporter.write_line(
            f"schema: {contract.checked.total()} answers checked, for "
            f"{len(contract.checked)} of {len(contract.operations())} documented "
            "operations"
            + (f"; none reached {', '.join(missed)}" if 0 < len(missed) <= 5 else "")
        )


@pytest.fixture
def optimized(settings):
    """For tests of the speed-ups themselves (query counts, caches, compiled
    SQL): on, whatever API_OPTIMIZATIONS says. CI runs the suite once more
    with it off, where every other test holds the plain DRF path to the same."""
    settings.API_OPTIMIZATIONS = True


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


@pytest.fixture
def redis_cache(settings, transactional_db, optimized):
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
