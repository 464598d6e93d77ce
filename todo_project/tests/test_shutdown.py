"""Graceful shutdown: SIGTERM to the production server during a stream of writes."""

import signal
import threading
import time

import pytest
from django.db import connection
from knox.models import AuthToken

from tasks.models import Task
from todo_project.tests import live
from users.tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the server needs a database it can reach",
    ),
]


def test_sigterm_during_writes_loses_no_answered_write_and_makes_no_unanswered_one():
    user = UserFactory()
    _, token = AuthToken.objects.create(user)
    answers: dict[str, int | None] = {}
    lock = threading.Lock()
    stopped = threading.Event()

    def writer(name: str, base: str) -> None:
        for n in range(10_000):
            if stopped.is_set():
                return
            title = f"{name}-{n}"
            status = live.call(
                base, "POST", "/api/v1/tasks/", token, {"title": title}, timeout=30
            )[0]
            with lock:
                answers[title] = status
            if status is None:  # refused: the server is going away
                return

    with live.server(live.test_database_url(), threads=2) as running:
        writers = [
            threading.Thread(target=writer, args=(f"w{i}", running.base))
            for i in range(6)
        ]
        for thread in writers:
            thread.start()
        time.sleep(1.5)
        running.process.send_signal(signal.SIGTERM)
        exit_code = running.process.wait(timeout=60)
        stopped.set()
        for thread in writers:
            thread.join(timeout=60)

    stored = set(Task.objects.filter(owner=user).values_list("title", flat=True))
    answered = {title for title, status in answers.items() if status == 201}
    assert exit_code == 0
    assert set(answers.values()) <= {201, None}, answers
    assert len(answered) > 20  # writes were flowing when the signal came
    # Every answered write is stored, and nothing unanswered was written.
    assert stored == answered
