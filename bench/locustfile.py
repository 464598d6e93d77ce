"""Scenario A: 1000 users, each with its own account and token, pausing 1-3 s.

Mix: 70% list (page 1), 10% detail, 10% create, 7% complete, 3% delete.
BENCH_TOKENS names a file with one token a line (bench/run.py writes it).
With BENCH_LEDGER set, every acknowledged write is appended to that file as
"<unix time> <create|complete|delete> <task id>" (bench/restart_db.py checks
them against the database).
"""

import itertools
import os
import random
import time

from locust import FastHttpUser, between, task

with open(os.environ["BENCH_TOKENS"]) as handle:
    _tokens = itertools.cycle([line.strip() for line in handle if line.strip()])
# Line-buffered, appended by one process: each write is one whole line.
_ledger = (
    open(os.environ["BENCH_LEDGER"], "a", buffering=1)  # noqa: SIM115
    if os.environ.get("BENCH_LEDGER")
    else None
)


def acknowledged(kind: str, task_id: int) -> None:
    if _ledger is not None:
        _ledger.write(f"{time.time()} {kind} {task_id}\n")


class TodoUser(FastHttpUser):
    """geventhttpclient rather than requests: on this 2-core machine the load
    generator shares the CPU with the server, and requests' client took half
    a core at 400 req/s."""

    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.client.auth_header = f"Bearer {next(_tokens)}"  # on every request
        page = self.client.get("/api/v1/tasks/", name="list").json()
        self.ids = [item["id"] for item in page["results"]]
        self.mine: list[int] = []

    @task(70)
    def list_tasks(self) -> None:
        self.client.get("/api/v1/tasks/", name="list")

    @task(10)
    def detail(self) -> None:
        if self.ids:
            self.client.get(f"/api/v1/tasks/{random.choice(self.ids)}/", name="detail")

    @task(10)
    def create(self) -> None:
        response = self.client.post(
            "/api/v1/tasks/", json={"title": "A task from the benchmark"}, name="create"
        )
        if response.status_code == 201:
            self.mine.append(response.json()["id"])
            acknowledged("create", self.mine[-1])

    @task(7)
    def complete(self) -> None:
        if self.ids:
            task_id = random.choice(self.ids)
            response = self.client.patch(
                f"/api/v1/tasks/{task_id}/", json={"completed": True}, name="complete"
            )
            if response.status_code == 200:
                acknowledged("complete", task_id)

    @task(3)
    def delete(self) -> None:
        # Only tasks this user created, so the seeded data stays for the next run.
        if self.mine:
            task_id = self.mine.pop()
            response = self.client.delete(f"/api/v1/tasks/{task_id}/", name="delete")
            if response.status_code == 204:
                acknowledged("delete", task_id)
