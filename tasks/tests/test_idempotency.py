"""Idempotency-Key on POST: retries replay, never write twice."""

import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from api.models import IdempotencyKey
from api.tests.helpers import at_once, bearer, invalid_fields
from tasks.models import Task
from tasks.tests.factories import TaskFactory

pytestmark = pytest.mark.django_db


def post(client, path: str, body, key: str | None = "key-1"):
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return client.post(path, body, format="json", **headers)


def test_a_retry_replays_the_first_answer_and_writes_nothing(auth_client):
    first = post(auth_client, "/api/v1/tasks/", {"title": "once"})
    retry = post(auth_client, "/api/v1/tasks/", {"title": "once"})

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Location"] == first["Location"]
    assert retry["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Task.objects.count() == 1


def test_the_same_body_in_another_key_order_is_the_same_request(auth_client):
    post(auth_client, "/api/v1/tasks/", {"title": "a", "priority": "high"})
    retry = post(auth_client, "/api/v1/tasks/", {"priority": "high", "title": "a"})

    assert retry.status_code == 201
    assert Task.objects.count() == 1


@pytest.mark.parametrize(
    ("path", "body"),
    [("/api/v1/tasks/", {"title": "different"}), ("/api/v1/tasks/bulk/", {})],
)
def test_the_same_key_for_another_request_is_422(auth_client, path, body):
    post(auth_client, "/api/v1/tasks/", {"title": "once"})

    response = post(auth_client, path, body)

    assert response.status_code == 422
    assert "new key" in response.json()["detail"]
    assert Task.objects.count() == 1


def test_keys_are_per_user(auth_client, other_client):
    mine = post(auth_client, "/api/v1/tasks/", {"title": "same"})
    theirs = post(other_client, "/api/v1/tasks/", {"title": "same"})

    assert theirs.status_code == 201
    assert theirs.json()["id"] != mine.json()["id"]
    assert "Idempotent-Replayed" not in theirs


def test_an_error_is_not_stored_so_the_corrected_retry_runs(auth_client):
    bad = post(auth_client, "/api/v1/tasks/", {"title": ""})
    again = post(auth_client, "/api/v1/tasks/", {"title": ""})

    assert bad.status_code == again.status_code == 400
    assert "Idempotent-Replayed" not in again
    assert not IdempotencyKey.objects.exists()


def test_actions_and_bulk_replay_too(auth_client, user):
    task = TaskFactory(owner=user)
    completed = post(auth_client, f"/api/v1/tasks/{task.id}/complete/", None, "k1")
    auth_client.post(f"/api/v1/tasks/{task.id}/reopen/")
    replayed = post(auth_client, f"/api/v1/tasks/{task.id}/complete/", None, "k1")
    operations = {"operations": [{"op": "create", "data": {"title": "b"}}]}
    bulk = [post(auth_client, "/api/v1/tasks/bulk/", operations, "k2") for _ in "ab"]

    assert replayed.json() == completed.json()  # the first answer, as it was
    task.refresh_from_db()
    assert task.completed is False  # the replay did not complete it again
    assert bulk[1].json() == bulk[0].json()
    assert Task.objects.filter(title="b").count() == 1


def test_an_expired_key_runs_as_new(auth_client):
    post(auth_client, "/api/v1/tasks/", {"title": "once"})
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))

    again = post(auth_client, "/api/v1/tasks/", {"title": "once"})

    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again
    assert Task.objects.count() == 2


@pytest.mark.parametrize("key", ["", "x" * 256, "bad\x01key", "two words", "clé"])
def test_a_malformed_key_is_400(auth_client, key):
    response = post(auth_client, "/api/v1/tasks/", {"title": "a"}, key)

    assert response.status_code == 400
    assert "Idempotency-Key" in invalid_fields(response)
    assert not Task.objects.exists()


def test_purge_idempotency_keys_deletes_expired_ones(auth_client):
    post(auth_client, "/api/v1/tasks/", {"title": "old"}, "old")
    post(auth_client, "/api/v1/tasks/", {"title": "new"}, "new")
    IdempotencyKey.objects.filter(key="old").update(
        created_at=timezone.now() - timedelta(hours=25)
    )
    out = StringIO()

    call_command("purge_idempotency_keys", "--dry-run", stdout=out)
    call_command("purge_idempotency_keys", stdout=out)

    assert out.getvalue().splitlines() == [
        "Would delete 1 expired key.",
        "Deleted 1 expired key.",
    ]
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite runs one writer at a time"
)
def test_twenty_concurrent_identical_requests_make_one_task(user, login):
    token = login(user)

    statuses = at_once(
        *[lambda: post(bearer(token), "/api/v1/tasks/", {"title": "one"})] * 20
    )

    assert len(statuses) == 20
    assert set(statuses) <= {201, 409}
    assert statuses.count(201) >= 1
    assert Task.objects.filter(owner=user).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite runs one writer at a time"
)
def test_a_retry_while_the_first_is_running_is_409(user, login, monkeypatch):
    from tasks.serializers import TaskSerializer

    token = login(user)
    inside, release = threading.Event(), threading.Event()
    original_create = TaskSerializer.create

    def slow_create(self, validated_data):
        inside.set()
        release.wait(timeout=30)
        return original_create(self, validated_data)

    monkeypatch.setattr(TaskSerializer, "create", slow_create)
    client = bearer(token)
    first: list = []

    def send_first() -> None:
        try:
            first.append(post(client, "/api/v1/tasks/", {"title": "slow"}))
        finally:
            connection.close()

    thread = threading.Thread(target=send_first)
    thread.start()
    assert inside.wait(timeout=30)
    monkeypatch.setattr(TaskSerializer, "create", original_create)
    retry = post(client, "/api/v1/tasks/", {"title": "slow"})
    release.set()
    thread.join(timeout=30)
    after = post(client, "/api/v1/tasks/", {"title": "slow"})

    assert retry.status_code == 409
    assert first[0].status_code == 201
    assert after.status_code == 201 and after["Idempotent-Replayed"] == "true"
    assert Task.objects.filter(owner=user).count() == 1
