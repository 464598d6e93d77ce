"""The embedded default (SQLite, `make run`) under concurrent writers."""

import threading
from concurrent.futures import ThreadPoolExecutor

from todo_project.tests import live

WRITERS = 4
TASKS_EACH = 15


def test_concurrent_writers_on_the_default_database_all_succeed(tmp_path):
    # Several workers and threads, each with its connection to one file, as
    # `make run` (a thread per request) and scripts/serve have.
    database = live.sqlite_database(tmp_path)
    with live.server(database, workers=2, threads=4) as running:
        tokens = [live.register(running.base, f"writer{n}") for n in range(WRITERS)]
        start = threading.Barrier(WRITERS)

        def write(token: str) -> list[int | None]:
            start.wait(timeout=30)
            return [
                live.call(
                    running.base, "POST", "/api/v1/tasks/", token, {"title": f"t{n}"}
                )[0]
                for n in range(TASKS_EACH)
            ]

        with ThreadPoolExecutor(WRITERS) as pool:
            statuses = [status for sent in pool.map(write, tokens) for status in sent]
        listed = [
            live.call(running.base, "GET", "/api/v1/tasks/?page_size=100", token)[1]
            for token in tokens
        ]

    assert statuses == [201] * WRITERS * TASKS_EACH
    assert [page["count"] for page in listed] == [TASKS_EACH] * WRITERS
