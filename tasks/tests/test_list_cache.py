"""The default task list served from Redis, and never stale after a write.

Against a real Redis, committing for real (the redis_cache fixture).
"""

import io
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken
from rest_framework.test import APIClient

from tasks.models import Task
from tasks.serializers import TaskSerializer
from tasks.speedups import page_cache
from tasks.tags import tags_named
from tasks.tests.factories import TaskFactory
from users.tests.factories import UserFactory


@pytest.fixture
def owner(redis_cache):
    return UserFactory()


@pytest.fixture
def client(owner) -> APIClient:
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {AuthToken.objects.create(owner)[1]}"
    )
    return client


def titles(client) -> list[str]:
    response = client.get("/api/v1/tasks/")
    assert response.status_code == 200
    return [task["title"] for task in response.json()["results"]]


def statements(client, path="/api/v1/tasks/") -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return [q["sql"] for q in queries if q["sql"] not in ("BEGIN", "COMMIT")]


def test_a_cached_list_costs_no_query_and_is_the_same_page(client, owner):
    TaskFactory.create_batch(3, owner=owner)
    first = client.get("/api/v1/tasks/").json()

    assert statements(client) == []
    assert client.get("/api/v1/tasks/").json() == first


def test_lists_with_parameters_are_not_cached(client, owner):
    TaskFactory(owner=owner)
    client.get("/api/v1/tasks/?completed=false")

    assert statements(client, "/api/v1/tasks/?completed=false") != []


def test_every_api_write_shows_in_the_next_list(client, owner):
    assert titles(client) == []

    created = client.post("/api/v1/tasks/", {"title": "First"}).json()
    assert titles(client) == ["First"]

    client.patch(f"/api/v1/tasks/{created['id']}/", {"title": "Renamed"})
    assert titles(client) == ["Renamed"]

    client.put(f"/api/v1/tasks/{created['id']}/", {"title": "Replaced"})
    assert titles(client) == ["Replaced"]

    client.delete(f"/api/v1/tasks/{created['id']}/")
    assert titles(client) == []


def test_another_users_write_leaves_the_cached_list_alone(client, owner):
    TaskFactory(owner=owner, title="Mine")
    titles(client)
    other = APIClient()
    other.credentials(
        HTTP_AUTHORIZATION=f"Bearer {AuthToken.objects.create(UserFactory())[1]}"
    )

    other.post("/api/v1/tasks/", {"title": "Theirs"})

    assert statements(client) == []
    assert titles(client) == ["Mine"]


def test_admin_edits_and_bulk_actions_show_in_the_next_list(client, owner):
    task = TaskFactory(owner=owner, title="Before")
    assert titles(client) == ["Before"]
    operator = Client()
    operator.force_login(UserFactory(is_staff=True, is_superuser=True))

    operator.post(
        f"/admin/tasks/task/{task.pk}/change/",
        {"owner": owner.pk, "title": "After", "description": "", "priority": 0},
    )
    assert titles(client) == ["After"]

    operator.post(
        "/admin/tasks/task/",
        {"action": "mark_completed", "_selected_action": [task.pk]},
    )
    assert client.get("/api/v1/tasks/").json()["results"][0]["completed"] is True

    operator.post(
        "/admin/tasks/task/",
        {"action": "delete_selected", "_selected_action": [task.pk], "post": "yes"},
    )
    assert titles(client) == []


def test_imports_and_purges_show_in_the_next_list(client, owner, tmp_path):
    assert titles(client) == []
    path = tmp_path / "tasks.csv"
    path.write_text("title,completed\nImported,true\n")

    call_command(
        "import_tasks", str(path), "--user", owner.username, stdout=io.StringIO()
    )
    assert titles(client) == ["Imported"]

    call_command(
        "purge_tasks", "--completed-before", "0", "--no-input", stdout=io.StringIO()
    )
    assert titles(client) == []
    assert not Task.objects.exists()


def test_the_cached_page_links_to_the_host_it_was_asked_on(client, owner):
    TaskFactory.create_batch(25, owner=owner)  # two pages: page 1 links to page 2
    client.get("/api/v1/tasks/", HTTP_HOST="localhost")

    first = client.get("/api/v1/tasks/", HTTP_HOST="localhost").json()
    other = client.get("/api/v1/tasks/", HTTP_HOST="127.0.0.1").json()

    assert first["next"] == "http://localhost/api/v1/tasks/?page=2"
    assert other["next"] == "http://127.0.0.1/api/v1/tasks/?page=2"


def test_without_redis_lists_still_work(client, owner, redis_down):
    TaskFactory(owner=owner, title="Still here")

    assert titles(client) == ["Still here"]
    client.post("/api/v1/tasks/", {"title": "And this"})
    assert titles(client) == ["And this", "Still here"]


# Every way a task or tag is written, each followed by a fresh read of the
# owner's cached list. None of them tells the cache: the model layer does.


def _api(client, method, path, body=None):
    response = getattr(client, method)(path, body)
    assert response.status_code < 300, response.content


def _admin(method, path, body=None):
    operator = Client()
    operator.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = getattr(operator, method)(path, body)
    assert response.status_code == 302, response.content  # done: redirected


def _command(*args, stdin: str = ""):
    previous, sys.stdin = sys.stdin, io.StringIO(stdin)
    try:
        call_command(*args, stdout=io.StringIO())
    finally:
        sys.stdin = previous


@dataclass
class Write:
    act: Callable  # (client, owner, task)
    prepare: Callable = lambda task: None  # before the list is cached


def _tag(task) -> int:
    return task.tags.get().pk


WRITES = {
    "api create": Write(
        lambda c, o, t: _api(c, "post", "/api/v1/tasks/", {"title": "New"})
    ),
    "api patch": Write(
        lambda c, o, t: _api(c, "patch", f"/api/v1/tasks/{t.pk}/", {"title": "New"})
    ),
    "api put": Write(
        lambda c, o, t: _api(c, "put", f"/api/v1/tasks/{t.pk}/", {"title": "New"})
    ),
    "api delete": Write(lambda c, o, t: _api(c, "delete", f"/api/v1/tasks/{t.pk}/")),
    "api complete": Write(
        lambda c, o, t: _api(c, "post", f"/api/v1/tasks/{t.pk}/complete/")
    ),
    "api reopen": Write(
        lambda c, o, t: _api(c, "post", f"/api/v1/tasks/{t.pk}/reopen/"),
        prepare=lambda task: task.set_completed(True),
    ),
    "api restore": Write(
        lambda c, o, t: _api(c, "post", f"/api/v1/tasks/{t.pk}/restore/"),
        prepare=lambda task: task.move_to_trash(),
    ),
    "api bulk": Write(
        lambda c, o, t: _api(
            c,
            "post",
            "/api/v1/tasks/bulk/",
            {"operations": [{"op": "update", "id": t.pk, "data": {"title": "New"}}]},
        )
    ),
    "api tag rename": Write(
        lambda c, o, t: _api(c, "patch", f"/api/v1/tags/{_tag(t)}/", {"name": "new"})
    ),
    "api tag delete": Write(
        lambda c, o, t: _api(c, "delete", f"/api/v1/tags/{_tag(t)}/")
    ),
    "admin change form": Write(
        lambda c, o, t: _admin(
            "post",
            f"/admin/tasks/task/{t.pk}/change/",
            {"owner": o.pk, "title": "New", "description": "", "priority": 0},
        )
    ),
    "admin change of owner": Write(
        lambda c, o, t: _admin(
            "post",
            f"/admin/tasks/task/{t.pk}/change/",
            {"owner": UserFactory().pk, "title": "x", "description": "", "priority": 0},
        )
    ),
    "admin action": Write(
        lambda c, o, t: _admin(
            "post",
            "/admin/tasks/task/",
            {"action": "mark_completed", "_selected_action": [t.pk]},
        )
    ),
    "admin restore action": Write(
        lambda c, o, t: _admin(
            "post",
            "/admin/tasks/task/",
            {"action": "restore_from_trash", "_selected_action": [t.pk]},
        ),
        prepare=lambda task: task.move_to_trash(),
    ),
    "admin delete": Write(
        lambda c, o, t: _admin(
            "post", f"/admin/tasks/task/{t.pk}/delete/", {"post": "yes"}
        )
    ),
    "admin bulk delete": Write(
        lambda c, o, t: _admin(
            "post",
            "/admin/tasks/task/",
            {"action": "delete_selected", "_selected_action": [t.pk], "post": "yes"},
        )
    ),
    "admin tag rename": Write(
        lambda c, o, t: _admin(
            "post",
            f"/admin/tasks/tag/{_tag(t)}/change/",
            {"name": "new"},
        )
    ),
    "import_tasks": Write(
        lambda c, o, t: _command(
            "import_tasks", "-", "--user", o.username, stdin='[{"title": "New"}]'
        )
    ),
    "purge_tasks": Write(
        lambda c, o, t: _command(
            "purge_tasks", "--completed-before", "0", "--no-input"
        ),
        prepare=lambda task: task.set_completed(True),
    ),
}
# The other commands write no task or tag of a user who has a list to cache:
# seed_demo writes the demo user's (tested below), seed_tasks only new users';
# the rest only read.
READ_ONLY_COMMANDS = {
    "create_token",
    "export_tasks",
    "purge_tombstones",
    "seed_demo",
    "seed_tasks",
    "task_stats",
}


def test_every_command_is_tested_here_or_writes_no_cached_list():
    folder = Path(__file__).parents[1] / "management" / "commands"
    commands = {path.stem for path in folder.glob("*.py")} - {"__init__"}

    assert commands == READ_ONLY_COMMANDS | {name for name in WRITES if " " not in name}


def shown(client) -> list[tuple]:
    response = client.get("/api/v1/tasks/")
    assert response.status_code == 200
    return [
        (task["id"], task["title"], task["completed"], task["tags"])
        for task in response.json()["results"]
    ]


def stored(owner) -> list[tuple]:
    tasks = Task.objects.readable_by(owner).alive().with_tag_names()
    return [
        (task["id"], task["title"], task["completed"], task["tags"])
        for task in TaskSerializer(tasks, many=True).data
    ]


@pytest.mark.parametrize("write", list(WRITES))
def test_a_write_through_any_path_shows_in_the_owners_next_list(client, owner, write):
    task = TaskFactory(owner=owner, title="Before")
    task.tags.set(tags_named(owner, ["tagged"]))
    TaskFactory(owner=owner, title="Bystander")
    WRITES[write].prepare(task)
    before = shown(client)
    assert statements(client) == []  # served from the cache

    WRITES[write].act(client, owner, task)

    assert stored(owner) != before
    assert shown(client) == stored(owner)


def test_the_demo_seed_shows_in_the_demo_users_next_list(redis_cache, settings):
    settings.DEBUG = True
    demo = UserFactory(username="demo")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AuthToken.objects.create(demo)[1]}")
    assert shown(client) == []
    assert statements(client) == []  # served from the cache

    call_command("seed_demo", stdout=io.StringIO())

    assert shown(client) == stored(demo) != []


@pytest.fixture
def renewals(redis_cache, monkeypatch) -> list[tuple[str, bool]]:
    """Each renewal of a list generation: (key, whether the task titled
    'Written' was in the database by then)."""
    seen: list[tuple[str, bool]] = []

    class Spy:
        def __getattr__(self, name):
            return getattr(cache, name)

        def set(self, key, *args, **kwargs):
            if key.startswith("tasks:gen:"):
                seen.append((key, Task.objects.filter(title="Written").exists()))
            return cache.set(key, *args, **kwargs)

    monkeypatch.setattr(page_cache, "cache", Spy())
    return seen


def test_a_save_outside_a_transaction_renews_the_list_after_its_write(owner, renewals):
    assert not connection.in_atomic_block  # autocommit, as a script or job runs

    Task.objects.create(owner=owner, title="Written")

    assert renewals == [(f"tasks:gen:{owner.pk}", True)]


def test_a_bulk_request_renews_a_users_lists_once(client, owner, renewals):
    tasks = TaskFactory.create_batch(50, owner=owner)
    renewals.clear()
    operations = [
        {"op": "update", "id": task.pk, "data": {"title": f"x{n}", "tags": ["a"]}}
        for n, task in enumerate(tasks)
    ]

    response = client.post("/api/v1/tasks/bulk/", {"operations": operations})

    assert response.status_code == 200
    assert [key for key, _ in renewals] == [f"tasks:gen:{owner.pk}"]


def test_a_renewal_undone_with_its_savepoint_is_made_again(owner, renewals):
    with transaction.atomic():
        try:
            with transaction.atomic():
                TaskFactory(owner=owner)
                raise RuntimeError  # the savepoint, and its renewal, roll back
        except RuntimeError:
            pass
        TaskFactory(owner=owner)

    assert [key for key, _ in renewals] == [f"tasks:gen:{owner.pk}"]
