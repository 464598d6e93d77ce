"""Scenario A: 1000 users, each with its own account and token, pausing 1-3 s.

Mix: 70% list (page 1), 10% detail, 10% create, 7% complete, 3% delete.
BENCH_TOKENS names a file with one token a line (bench/run.py writes it).
"""

import itertools
import os
import random

from locust import HttpUser, between, task

with open(os.environ["BENCH_TOKENS"]) as handle:
    _tokens = itertools.cycle([line.strip() for line in handle if line.strip()])


class TodoUser(HttpUser):
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.client.headers["Authorization"] = f"Bearer {next(_tokens)}"
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

    @task(7)
    def complete(self) -> None:
        if self.ids:
            task_id = random.choice(self.ids)
            self.client.patch(
                f"/api/v1/tasks/{task_id}/", json={"completed": True}, name="complete"
            )

    @task(3)
    def delete(self) -> None:
        # Only tasks this user created, so the seeded data stays for the next run.
        if self.mine:
            self.client.delete(f"/api/v1/tasks/{self.mine.pop()}/", name="delete")
