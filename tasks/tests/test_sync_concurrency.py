"""The change feed under concurrent writers, on PostgreSQL (where writers really
run at once; SQLite lets one write at a time)."""

import random
import threading
import time

import pytest
from django.db import connection, transaction

from api.tests.helpers import bearer
from tasks.models import Task
from tasks.tests.factories import TaskFactory
from tasks.tests.test_sync import Follower, server_state

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"
    ),
]

WRITERS = 4
STEPS = 40


FAILURES: list[BaseException] = []


def in_thread(target, *args) -> threading.Thread:
    """Run target in a thread; an exception it raises lands in FAILURES."""

    def run() -> None:
        try:
            target(*args)
        except BaseException as exc:
            FAILURES.append(exc)
        finally:
            connection.close()  # each thread has its own connection

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.fixture(autouse=True)
def no_thread_failures():
    FAILURES.clear()
    yield
    assert FAILURES == []


def waiting_for_a_lock() -> bool:
    """Whether a backend of this database waits for a lock (a row's, here)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def organise_at_random(client, rng: random.Random, mine: list[int], seed: int):
    """Make, rename, reorder or trash a list, or move a task into a list or
    under another task."""
    lists = client.get("/api/v1/lists/").json()["results"]
    action = rng.random()
    if action < 0.25 or len(lists) < 2:
        return client.post("/api/v1/lists/", {"name": f"l{seed}"})
    target = rng.choice(lists)
    if action < 0.5:
        return client.post(
            f"/api/v1/tasks/{rng.choice(mine)}/move/", {"list": target["id"]}
        )
    if action < 0.7:
        return client.post(
            f"/api/v1/tasks/{rng.choice(mine)}/move/", {"parent": rng.choice(mine)}
        )
    if action < 0.8:
        return client.patch(f"/api/v1/lists/{target['id']}/", {"name": f"r{seed}"})
    if action < 0.9 or target["is_inbox"]:
        return client.post(f"/api/v1/lists/{target['id']}/move/", {"after": None})
    return client.delete(f"/api/v1/lists/{target['id']}/")  # its tasks too


def write_at_random(token: str, seed: int, errors: list) -> None:
    client = bearer(token)
    rng = random.Random(seed)  # noqa: S311  (reproducible choices, not secrets)
    mine: list[int] = []
    for _ in range(STEPS):
        choice = rng.random()
        if not mine or choice < 0.25:
            response = client.post(
                "/api/v1/tasks/",
                {"title": f"t{seed}", "tags": rng.sample(["a", "b", "c", "d"], 2)},
            )
            if response.status_code == 201:
                mine.append(response.json()["id"])
        elif choice < 0.4:
            task_id = rng.choice(mine)
            response = client.patch(
                f"/api/v1/tasks/{task_id}/",
                {"title": f"r{rng.random()}", "tags": [rng.choice("abcde")]},
            )
        elif choice < 0.5:
            response = client.post(f"/api/v1/tasks/{rng.choice(mine)}/complete/")
        elif choice < 0.58:
            task_id = mine.pop(rng.randrange(len(mine)))
            response = client.delete(f"/api/v1/tasks/{task_id}/")
        elif choice < 0.66:
            task_id = mine.pop(rng.randrange(len(mine)))
            client.delete(f"/api/v1/tasks/{task_id}/")
            response = client.delete(f"/api/v1/trash/{task_id}/")
        elif choice < 0.74:
            tags = client.get("/api/v1/tags/").json()
            tag = rng.choice(tags) if tags else None
            if tag is None:
                continue
            if rng.random() < 0.5:
                response = client.patch(
                    f"/api/v1/tags/{tag['id']}/", {"name": f"{tag['name'][0]}{seed}"}
                )
            else:
                response = client.delete(f"/api/v1/tags/{tag['id']}/")
        elif choice < 0.87:
            response = organise_at_random(client, rng, mine, seed)
        else:
            response = client.post(
                "/api/v1/tasks/bulk/",
                {"operations": [{"op": "create", "data": {"title": "bulk"}}] * 3},
            )
        if response.status_code >= 500:
            errors.append(response.status_code)


def test_a_follower_of_concurrent_writers_ends_with_the_servers_state(user, login):
    token = login(user)
    follower = Follower(bearer(token), limit=7)  # small pages: many boundaries
    errors: list[int] = []
    writers = [
        in_thread(write_at_random, token, seed, errors) for seed in range(WRITERS)
    ]
    pulls = 0
    while any(writer.is_alive() for writer in writers):
        follower.pull()
        pulls += 1
    for writer in writers:
        writer.join(timeout=60)

    follower.pull()

    assert errors == []
    assert pulls > 1  # it followed while they wrote
    assert Task.objects.filter(owner=user).count() > 0
    assert follower.copy == server_state(user)


def test_a_change_committing_late_is_not_skipped(user, login):
    # A writer that took its change number and has not committed yet holds
    # back every later writer of the same user, so no later change can be seen
    # (and passed by a cursor) before it.
    follower = Follower(bearer(login(user)))
    follower.pull()
    numbered, release = threading.Event(), threading.Event()

    def slow_writer() -> None:
        with transaction.atomic():
            TaskFactory(owner=user, title="slow")
            numbered.set()
            release.wait(timeout=30)

    def fast_writer() -> None:
        TaskFactory(owner=user, title="fast")

    slow = in_thread(slow_writer)
    assert numbered.wait(timeout=30)
    fast = in_thread(fast_writer)
    deadline = time.monotonic() + 10
    while not waiting_for_a_lock() and time.monotonic() < deadline:
        time.sleep(0.02)
    blocked = fast.is_alive() and waiting_for_a_lock()
    seen_meanwhile = follower.pull()
    release.set()
    slow.join(timeout=30)
    fast.join(timeout=30)

    assert blocked
    assert seen_meanwhile == []
    titles = [change["data"]["title"] for change in follower.pull()]
    assert titles == ["slow", "fast"]
    assert follower.copy == server_state(user)
