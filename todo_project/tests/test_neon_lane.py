"""The Neon-like lane: TLS-only PostgreSQL behind PgBouncer in transaction mode.

These run only inside `make test-neon` (scripts/neon-lane sets NEON_LANE_DIR and
points DATABASE_URL at the pooler). The app under test is the production server
(scripts/serve) on loopback, talking to the pooler; the database is really
stopped and restarted.
"""

import os
import subprocess
import threading
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.db import ProgrammingError, connection, connections
from knox.models import AuthToken

from tasks.models import Task
from tasks.tests.factories import TaskFactory
from todo_project.tests import live as live_server
from todo_project.tests.live import call
from users.tests.factories import UserFactory

BASE_DIR = Path(__file__).resolve().parents[2]
LANE = BASE_DIR / "scripts" / "neon-lane"

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("NEON_LANE_DIR"), reason="needs the lane: make test-neon"
    ),
    pytest.mark.django_db(transaction=True),
]


def lane(command: str) -> None:
    subprocess.run([str(LANE), command], check=True, timeout=60)


def with_query(url: str, query: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query=query))


# Connections


@pytest.mark.parametrize("variable", ["DATABASE_URL", "DATABASE_URL_DIRECT"])
def test_plaintext_connections_are_refused(variable):
    url = with_query(os.environ[variable], "sslmode=disable")

    with pytest.raises(psycopg.OperationalError, match=r"SSL required|no encryption"):
        psycopg.connect(url, connect_timeout=5)


def test_channel_binding_required_works_on_the_direct_url():
    url = os.environ["DATABASE_URL_DIRECT"]
    assert "channel_binding=require" in url

    with psycopg.connect(url, connect_timeout=5) as conn:
        row = conn.execute(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
        ).fetchone()

    assert row == (True,)


def test_the_app_talks_to_the_pooler_over_tls():
    connection.ensure_connection()

    assert connection.settings_dict["PORT"] == urlsplit(os.environ["DATABASE_URL"]).port
    assert connection.connection.pgconn.ssl_in_use
    assert connection.connection.prepare_threshold is None


def test_the_sessions_time_zone_survives_transaction_pooling():
    # The lane's server runs in Pacific/Auckland; Django sets UTC per connection.
    # More connections than server slots, each asking in several transactions.
    with psycopg.connect(os.environ["DATABASE_URL_DIRECT"]) as raw:
        server_default = raw.execute("SHOW TimeZone").fetchone()[0]
    assert server_default == "Pacific/Auckland"
    default = connections["default"]
    others = [
        default.__class__({**default.settings_dict}, alias=f"tz{n}") for n in range(8)
    ]
    try:
        seen = set()
        for _ in range(3):
            for other in others:
                with other.cursor() as cursor:
                    cursor.execute("SELECT current_setting('TimeZone')")
                    seen.add(cursor.fetchone()[0])
        assert seen == {"UTC"}
    finally:
        for other in others:
            other.close()


@pytest.mark.parametrize("server_side_cursors", [False, True])
def test_iterator_works_through_the_pooler_only_without_server_side_cursors(
    monkeypatch, server_side_cursors
):
    TaskFactory.create_batch(25, owner=UserFactory())
    monkeypatch.setitem(
        connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", not server_side_cursors
    )
    default = connections["default"]
    holder = default.__class__({**default.settings_dict}, alias="holder")

    def read_in_chunks() -> int:
        # Every .iterator() in the code (export_tasks, the admin's choices) is
        # QuerySet.iterator(), in autocommit as here.
        tasks = Task.objects.order_by("pk").iterator(chunk_size=10)
        count = 1 if next(tasks) else 0
        # Between two fetches another client takes the server the first fetch
        # used, so the next fetch is handed a different server connection.
        holder.set_autocommit(False)
        with holder.cursor() as cursor:
            cursor.execute("SELECT 1")
        return count + sum(1 for _ in tasks)

    try:
        if server_side_cursors:
            # The control: what DISABLE_SERVER_SIDE_CURSORS prevents.
            # (Django's cleanup, closing the cursor, fails the same way.)
            broken_cursor = (ProgrammingError, psycopg.Error)
            with pytest.raises(
                broken_cursor, match=r"cursor .* (does not|already) exist"
            ):
                read_in_chunks()
        else:
            assert read_in_chunks() == 25
    finally:
        if holder.connection is not None and not holder.get_autocommit():
            holder.rollback()
            holder.set_autocommit(True)
        holder.close()


# The app under a real server


@contextmanager
def server(threads: int = 2):
    """The production server on loopback, talking to the pooler: 2 x `threads`."""
    with live_server.server(
        live_server.test_database_url(), threads=threads
    ) as running:
        yield running.base


def new_token() -> str:
    _, token = AuthToken.objects.create(UserFactory())
    return token


def test_concurrent_requests_through_the_pooler_all_succeed():
    tokens = [new_token() for _ in range(8)]
    statuses: Counter = Counter()
    lock = threading.Lock()

    def client(token: str) -> None:
        for n in range(10):
            created = call(base, "POST", "/api/v1/tasks/", token, {"title": f"t{n}"})
            listed = call(base, "GET", "/api/v1/tasks/?page_size=5", token)
            results = [created[0], listed[0]]
            if created[0] == 201:
                task_id = created[1]["id"]
                path = f"/api/v1/tasks/{task_id}/"
                results.append(call(base, "PATCH", path, token, {"completed": True})[0])
            with lock:
                statuses.update(results)

    with server(threads=8) as base:
        threads = [threading.Thread(target=client, args=(t,)) for t in tokens * 4]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

    # 32 clients, 16 server threads, 4 pool slots: queueing, and no errors.
    assert statuses == {201: 320, 200: 640}
    assert Task.objects.count() == 320


@pytest.mark.parametrize("restart", ["restart-db", "crash-db"])
def test_a_database_restart_loses_no_acknowledged_write(restart):
    token = new_token()
    acknowledged: dict[int, str] = {}
    statuses: Counter = Counter()
    restarted_at: list[float] = []
    after_restart: list[int] = []
    lock = threading.Lock()

    def writer(name: str) -> None:
        stop = time.monotonic() + 25
        for n in range(400):
            if time.monotonic() > stop or len(after_restart) >= 20:
                return
            title = f"{name}-{n}"
            status, body, _, _ = call(
                base, "POST", "/api/v1/tasks/", token, {"title": title}
            )
            with lock:
                statuses[status] += 1
                if status == 201:
                    acknowledged[body["id"]] = title
                    if restarted_at:
                        after_restart.append(body["id"])

    with server() as base:
        writers = [threading.Thread(target=writer, args=(f"w{i}",)) for i in range(4)]
        for thread in writers:
            thread.start()
        time.sleep(1.5)
        lane(restart)  # a clean restart, or a crash and recovery from the WAL
        restarted_at.append(time.monotonic())
        for thread in writers:
            thread.join(timeout=60)

    print(f"statuses during {restart}: {dict(statuses)}")
    assert set(statuses) <= {201, 503}, statuses
    assert len(after_restart) >= 20, "the app did not recover after the restart"
    stored = dict(Task.objects.filter(pk__in=acknowledged).values_list("pk", "title"))
    assert stored == acknowledged


def test_stopped_database_answers_503_quickly_and_the_app_recovers():
    token = new_token()
    with server() as base:
        assert call(base, "GET", "/api/v1/tasks/", token)[0] == 200
        lane("stop-db")
        try:
            status, body, headers, seconds = call(base, "GET", "/api/v1/tasks/", token)
            ready = call(base, "GET", "/health/ready")
            live = call(base, "GET", "/health/live")
            write = call(base, "POST", "/api/v1/tasks/", token, {"title": "lost?"})
        finally:
            lane("start-db")
        recovered_after = None
        started = time.monotonic()
        while time.monotonic() - started < 20:
            if call(base, "GET", "/api/v1/tasks/", token)[0] == 200:
                recovered_after = time.monotonic() - started
                break
            time.sleep(0.2)

    print(f"503 after {seconds:.2f}s; recovered {recovered_after}s after the start")
    assert status == 503
    assert headers["Content-Type"] == "application/problem+json"
    assert (body["status"], body["code"], body["detail"]) == (
        503,
        "database_unavailable",
        "The database is unavailable. Retry shortly.",
    )
    assert headers["Retry-After"] == "5"
    assert seconds <= 5 + 0.5  # the connect timeout, and the watchdog's tick
    assert ready[0] == 503 and ready[3] <= 5 + 0.5
    assert live[0] == 200 and live[3] < 1
    assert write[0] == 503
    assert recovered_after is not None
    assert not Task.objects.filter(title="lost?").exists()
