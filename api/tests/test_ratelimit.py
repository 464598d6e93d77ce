"""Rate limits: per user, per IP, stricter for login and registration."""

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.test import APIClient

from api.tests.helpers import REDIS_URL, problem
from todo_project.tests import live
from todo_project.tests.processes import run_python
from users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_api_answers_carry_the_limit_they_were_counted_against(auth_client):
    first = auth_client.get("/api/v1/tasks/")
    second = auth_client.get("/api/v1/tasks/")

    assert first["RateLimit-Policy"] == '"user";q=1200;w=60'
    assert first["RateLimit"].startswith('"user";r=1199;t=')
    assert second["RateLimit"].startswith('"user";r=1198;t=')


def test_over_the_user_limit_is_429_with_retry_after(auth_client, limits):
    limits(user="3/hour")
    statuses = [auth_client.get("/api/v1/tasks/").status_code for _ in range(4)]
    over = auth_client.get("/api/v1/tasks/")

    assert statuses == [200, 200, 200, 429]
    assert over.status_code == 429
    assert 1 <= int(over["Retry-After"]) <= 3600
    assert over["RateLimit"].startswith('"user";r=0;')
    body = problem(over)
    assert (body["title"], body["code"]) == ("Too Many Requests", "throttled")
    assert "throttled" in body["detail"]


def test_a_new_window_counts_from_nothing(auth_client, limits, monkeypatch):
    from api import ratelimit

    limits(user="2/hour")
    statuses = [auth_client.get("/api/v1/tasks/").status_code for _ in range(3)]
    last_second = ratelimit.clock() // 3600 * 3600 + 3599.5
    monkeypatch.setattr(ratelimit, "clock", lambda: last_second)
    refused = auth_client.get("/api/v1/tasks/")
    monkeypatch.setattr(ratelimit, "clock", lambda: last_second + 1)

    assert statuses == [200, 200, 429]
    assert (refused.status_code, refused["Retry-After"]) == (429, "1")
    assert auth_client.get("/api/v1/tasks/").status_code == 200


def test_each_user_has_a_limit_of_their_own(auth_client, other_client, limits):
    limits(user="2/hour")
    for _ in range(3):
        auth_client.get("/api/v1/tasks/")

    assert auth_client.get("/api/v1/tasks/").status_code == 429
    assert other_client.get("/api/v1/tasks/").status_code == 200


def test_requests_without_a_token_are_limited_per_ip(limits):
    limits(anon="2/hour")
    here, there = APIClient(REMOTE_ADDR="10.0.0.1"), APIClient(REMOTE_ADDR="10.0.0.2")

    statuses = [here.get("/api/v1/tasks/").status_code for _ in range(3)]

    assert statuses == [401, 401, 429]
    assert there.get("/api/v1/tasks/").status_code == 401


def test_guessing_tokens_is_limited_per_ip(limits):
    limits(anon="2/hour")
    guesser = APIClient(REMOTE_ADDR="10.0.0.3")
    guesser.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    statuses = [guesser.get("/api/v1/tasks/").status_code for _ in range(3)]

    assert statuses == [401, 401, 429]


def login(ip: str, username: str):
    client = APIClient(REMOTE_ADDR=ip)
    return client.post(
        "/api/v1/auth/login/", {"username": username, "password": "wrong"}
    )


def test_login_is_limited_per_ip(limits):
    limits(login="3/hour")

    statuses = [login("10.0.0.1", f"user{n}").status_code for n in range(4)]

    assert statuses == [401, 401, 401, 429]
    assert login("10.0.0.2", "user9").status_code == 401


def test_login_is_limited_per_username_whatever_the_ip(limits):
    limits(login="3/hour")
    user = UserFactory()

    statuses = [login(f"10.0.1.{n}", user.username).status_code for n in range(4)]
    right_password = APIClient(REMOTE_ADDR="10.0.2.1").post(
        "/api/v1/auth/login/", {"username": user.username, "password": PASSWORD}
    )

    assert statuses == [401, 401, 401, 429]
    assert right_password.status_code == 429  # even the right one, for now
    assert login("10.0.2.2", "someone-else").status_code == 401


def register(ip: str, username: str):
    return APIClient(REMOTE_ADDR=ip).post(
        "/api/v1/auth/register/",
        {
            "username": username,
            "email": f"{username}@example.com",
            "password": PASSWORD,
        },
    )


def test_registration_is_limited_per_ip(limits):
    limits(register="2/hour")

    statuses = [register("10.0.0.1", f"new{n}").status_code for n in range(3)]

    assert statuses == [201, 201, 429]
    assert register("10.0.0.2", "new9").status_code == 201


def test_registration_is_limited_per_username_whatever_the_ip(limits):
    # Probing whether a username is taken, from many addresses.
    limits(register="2/hour")
    UserFactory(username="taken")

    statuses = [register(f"10.0.3.{n}", "Taken").status_code for n in range(3)]

    assert statuses == [409, 409, 429]  # taken, taken, then no answer at all
    assert register("10.0.3.9", "free").status_code == 201


@pytest.mark.parametrize("rate", ["ten/minute", "10/fortnight", "10"])
def test_a_malformed_limit_stops_the_app_from_starting(rate):
    result = run_python(
        "-c",
        "import django; django.setup()",
        DJANGO_DEBUG="true",
        RATE_LIMIT_LOGIN=rate,
    )

    assert result.returncode != 0
    assert "RATE_LIMIT_LOGIN" in result.stderr


def test_with_redis_down_limits_hold_per_process_and_nothing_fails(
    redis_cache, redis_down, auth_client, limits
):
    limits(user="3/hour")
    started = time.monotonic()

    statuses = [auth_client.get("/api/v1/tasks/").status_code for _ in range(5)]

    assert statuses == [200, 200, 200, 429, 429]
    # Redis is tried once, not on every request (each try costs a timeout).
    assert time.monotonic() - started < 3


def test_the_user_limit_reaches_redis_in_batches_and_holds_exactly(
    redis_cache, auth_client, limits
):
    from django.core.cache import cache

    limits(user="30/hour")
    redis = cache._cache.get_client()

    statuses = [auth_client.get("/api/v1/tasks/").status_code for _ in range(5)]
    [key] = redis.keys("*rl:user:*")
    shared_after_five = int(redis.get(key))
    statuses += [auth_client.get("/api/v1/tasks/").status_code for _ in range(30)]

    # The first request, then batches of 10: Redis has not seen the next four.
    assert shared_after_five == 1
    # From 90% of the quota on every request is counted at once: exact here.
    assert statuses == [200] * 30 + [429] * 5
    assert int(redis.get(key)) >= 30


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the server needs a database it can reach"
)
def test_four_workers_share_one_login_limit(redis_cache):
    # Counts are per fixed window: 40 attempts across an hour's end would
    # meet two windows.
    if time.time() % 3600 > 3590:
        time.sleep(3600 - time.time() % 3600 + 0.1)
    # An in-process count would let each of the 4 workers allow the whole limit.
    with live.server(
        live.test_database_url(),
        workers=4,
        threads=2,
        REDIS_URL=REDIS_URL,
        RATE_LIMIT_LOGIN="10/hour",
    ) as running:

        def attempt(n: int) -> int:
            # One username each: only the per-IP count decides (with one shared
            # username two counters race, and either may refuse first).
            body = {"username": f"nobody{n}", "password": "guess"}
            return live.call(running.base, "POST", "/api/v1/auth/login/", body=body)[0]

        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(attempt, range(40)))

    assert Counter(statuses) == {401: 10, 429: 30}
