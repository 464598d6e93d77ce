"""The production server (scripts/serve) on loopback, for tests that need
real worker processes: the Neon lane, rate limits shared across workers."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A port no socket holds, chosen by the kernel. (Granian binds with
    SO_REUSEPORT: a second server on a port in use starts without an error and
    takes half of the first one's requests, so suites run side by side must
    not scan the same ports.)"""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def server(database_url: str, threads: int = 2, workers: int = 2, **env: str):
    """scripts/serve on loopback: `workers` x `threads`, DEBUG off, `env` added."""
    port = free_port()
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "GRANIAN_"))
    }
    environment.update(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="tests-only-" + "x" * 40,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DATABASE_URL=database_url,
        PORT=str(port),
        WEB_CONCURRENCY=str(workers),
        GRANIAN_BLOCKING_THREADS=str(threads),
        VENV_BIN=str(Path(sys.executable).parent),
        **env,
    )
    process = subprocess.Popen(
        [str(BASE_DIR / "scripts" / "serve")], cwd=BASE_DIR, env=environment
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while call(base, "GET", "/health/live")[0] != 200:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)
        yield Server(base, process)
    finally:
        process.terminate()
        process.wait(timeout=30)


@dataclass(frozen=True)
class Server:
    base: str  # http://127.0.0.1:PORT
    process: subprocess.Popen  # the server's main process (ours to signal)


def call(base, method, path, token=None, body=None, timeout=30):
    """One HTTP request: (status, JSON or text body, headers, seconds taken)."""
    assert base.startswith("http://127.0.0.1:")  # loopback only
    request = urllib.request.Request(  # noqa: S310
        base + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"}
        | ({"Authorization": f"Bearer {token}"} if token else {}),
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status, raw, headers = response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        status, raw, headers = error.code, error.read(), error.headers
    except OSError:
        return None, None, {}, time.monotonic() - started
    is_json = headers.get("Content-Type", "").startswith(
        ("application/json", "application/problem+json")
    )
    parsed = json.loads(raw) if is_json else raw.decode(errors="replace")
    return status, parsed, headers, time.monotonic() - started


def sqlite_database(folder: Path) -> str:
    """The URL of a SQLite file in `folder`, migrated: a database the server's
    processes share (the suite's own SQLite database lives in memory)."""
    from todo_project.tests.processes import run_python

    url = f"sqlite:///{folder / 'db.sqlite3'}"
    migrate = ["manage.py", "migrate", "--noinput"]
    run_python(*migrate, check=True, DJANGO_DEBUG="true", DATABASE_URL=url)
    return url


def register(base: str, username: str) -> str:
    """A new account on the server at `base`, logged in: its token."""
    account = {"username": username, "password": f"{username} has a long passphrase"}
    body = {**account, "email": f"{username}@example.com"}
    assert call(base, "POST", "/api/v1/auth/register/", body=body)[0] == 201
    status, answer, _, _ = call(base, "POST", "/api/v1/auth/login/", body=account)
    assert status == 200, answer
    return answer["token"]


def test_database_url() -> str:
    """DATABASE_URL (credentials, TLS and all), pointed at the test database
    pytest-django made from it (PostgreSQL)."""
    from django.db import connection

    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))
