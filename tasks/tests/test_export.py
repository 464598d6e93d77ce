"""GET /api/v1/export/: all of a user's data, which import_tasks reads back."""

import json

import pytest
from django.utils import timezone

from tasks.models import Tag, Task
from tasks.tags import tags_named
from tasks.tests.factories import TaskFactory
from tasks.tests.test_commands import run, snapshot
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_export_has_every_task_trash_included_and_every_tag(auth_client, user):
    kept = TaskFactory(owner=user, title="kept")
    kept.tags.set(tags_named(user, ["work"]))
    TaskFactory(owner=user, title="binned", deleted_at=timezone.now())
    Tag.objects.create(owner=user, name="unused")

    response = auth_client.get("/api/v1/export/")

    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    body = response.json()
    assert body["version"] == 1
    assert [task["title"] for task in body["tasks"]] == ["kept", "binned"]
    assert body["tasks"][0]["tags"] == ["work"]
    assert body["tasks"][1]["deleted_at"] is not None
    assert [tag["name"] for tag in body["tags"]] == ["unused", "work"]


def test_the_export_round_trips_through_import_tasks(auth_client, user, tmp_path):
    task = TaskFactory(owner=user, title="with tags", priority=2, completed=True)
    task.tags.set(tags_named(user, ["a", "B"]))
    TaskFactory(owner=user, title="trashed", deleted_at=timezone.now())
    Tag.objects.create(owner=user, name="lonely")
    path = tmp_path / "export.json"
    path.write_text(json.dumps(auth_client.get("/api/v1/export/").json()))
    target = UserFactory()

    output = run("import_tasks", str(path), "--user", target.username)

    assert "Imported 2 tasks" in output
    assert snapshot(target) == snapshot(user)
    assert sorted(target.tags.values_list("name", flat=True), key=str.lower) == [
        "a",
        "B",
        "lonely",
    ]


def test_export_holds_nothing_of_another_user(other_client, user):
    TaskFactory(owner=user).tags.set(tags_named(user, ["secret"]))

    body = other_client.get("/api/v1/export/").json()

    assert body["tasks"] == []
    assert body["tags"] == []
    assert Task.objects.count() == 1


def test_export_requires_authentication(api_client):
    assert api_client.get("/api/v1/export/").status_code == 401
