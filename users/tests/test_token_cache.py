"""Token lookups cached in Redis: fast, and never wrong about a revoked token.

These run against a real Redis (the redis_cache fixture) and commit for real:
revocation happens on commit.
"""

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken
from rest_framework.test import APIClient

from api.tests.helpers import bearer
from tasks.tags import tags_named
from tasks.tests.factories import TaskFactory
from users import token_cache
from users.models import User
from users.tests.factories import PASSWORD, UserFactory


def client_for(user) -> tuple[APIClient, str]:
    _, token = AuthToken.objects.create(user)
    client = bearer(token)
    return client, token


def queries_for(client, path: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, response.content
    # The request's own transaction is not a lookup.
    return [q["sql"] for q in queries if q["sql"] not in ("BEGIN", "COMMIT")]


def test_a_cached_token_costs_no_query(redis_cache):
    client, _ = client_for(UserFactory())

    first = queries_for(client, "/api/v1/users/me/")
    again = queries_for(client, "/api/v1/users/me/")

    assert any("knox_authtoken" in sql for sql in first)
    assert again == []


def test_the_query_budget_with_both_caches(redis_cache):
    user = UserFactory()
    task = TaskFactory(owner=user)
    task.tags.set(tags_named(user, ["work", "home"]))  # read in the same query
    client, _ = client_for(user)
    queries_for(client, "/api/v1/users/me/")  # the token is now cached

    filtered = queries_for(client, "/api/v1/tasks/?ordering=title")
    detail = queries_for(client, f"/api/v1/tasks/{task.pk}/")
    default = queries_for(client, "/api/v1/tasks/")
    cached = queries_for(client, "/api/v1/tasks/")

    assert len(filtered) == 1  # the page, which carries the count
    assert len(detail) == 1
    assert len(default) == 1
    assert cached == []


def test_logout_revokes_a_cached_token_at_once(redis_cache):
    user = UserFactory()
    client, _ = client_for(user)
    other_device, _ = client_for(user)
    client.get("/api/v1/users/me/")
    other_device.get("/api/v1/users/me/")

    assert client.post("/api/v1/auth/logout/").status_code == 204

    assert client.get("/api/v1/users/me/").status_code == 401
    assert other_device.get("/api/v1/users/me/").status_code == 200


def test_logout_all_revokes_every_cached_token_at_once(redis_cache):
    user = UserFactory()
    client, _ = client_for(user)
    other_device, _ = client_for(user)
    client.get("/api/v1/users/me/")
    other_device.get("/api/v1/users/me/")  # both cached now

    assert client.post("/api/v1/auth/logout-all/").status_code == 204

    assert client.get("/api/v1/users/me/").status_code == 401
    assert other_device.get("/api/v1/users/me/").status_code == 401


def test_deactivating_the_user_revokes_their_cached_tokens(redis_cache):
    user = UserFactory()
    client, _ = client_for(user)
    client.get("/api/v1/users/me/")

    user.is_active = False
    user.save()

    assert client.get("/api/v1/users/me/").status_code == 401


def test_changing_the_user_drops_their_cached_tokens(redis_cache):
    user = UserFactory()
    client, _ = client_for(user)
    client.get("/api/v1/users/me/")

    user.first_name = "Renamed"
    user.save()

    assert queries_for(client, "/api/v1/users/me/") != []  # looked up afresh


def test_deleting_the_token_elsewhere_revokes_it(redis_cache):
    user = UserFactory()
    client, _ = client_for(user)
    client.get("/api/v1/users/me/")

    AuthToken.objects.filter(user=user).delete()  # as the admin does

    assert client.get("/api/v1/users/me/").status_code == 401


def test_an_expired_cached_token_is_refused(redis_cache, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    client, _ = client_for(UserFactory())
    client.get("/api/v1/users/me/")
    later = timezone.now() + timedelta(days=30)
    monkeypatch.setattr("users.authentication.timezone.now", lambda: later)

    assert client.get("/api/v1/users/me/").status_code == 401


def test_redis_holds_neither_the_token_nor_the_password_hash(redis_cache):
    user = UserFactory()
    client, token = client_for(user)
    client.get("/api/v1/users/me/")

    stored = AuthToken.objects.get(user=user)
    entry = cache.get(token_cache.PREFIX + stored.digest)
    assert entry is not None
    assert "password" not in entry.user.__dict__
    assert not cache.get(token_cache.PREFIX + token)


def test_profile_changes_through_a_cached_token_keep_the_password(redis_cache):
    user = UserFactory()
    client, _ = client_for(user)
    client.get("/api/v1/users/me/")

    response = client.patch("/api/v1/users/me/", {"email": "new@example.com"})

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.email == "new@example.com"
    assert user.check_password(PASSWORD)


def test_without_redis_requests_still_work(redis_cache, redis_down):
    user = UserFactory()
    client, _ = client_for(user)

    assert client.get("/api/v1/users/me/").status_code == 200
    assert client.get("/api/v1/tasks/").status_code == 200
    assert client.post("/api/v1/auth/logout/").status_code == 204
    assert client.get("/api/v1/users/me/").status_code == 401
    assert User.objects.filter(pk=user.pk).exists()


def test_entries_written_together_do_not_expire_together(redis_cache, settings):
    settings.API_TOKEN_CACHE_SECONDS = 60
    clients = [client_for(UserFactory())[0] for _ in range(20)]
    for client in clients:
        client.get("/api/v1/users/me/")  # caches the token and nothing else

    redis = cache._cache.get_client()
    lifetimes = [redis.ttl(key) for key in redis.keys(f"*{token_cache.PREFIX}*")]

    assert len(lifetimes) == 20
    assert all(29 <= seconds <= 60 for seconds in lifetimes)
    assert max(lifetimes) - min(lifetimes) >= 5  # spread, not one moment
