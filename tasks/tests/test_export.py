"""GET /api/v1/export/: all of a user's data, which import_tasks reads back."""

import json
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError
from django.utils import timezone

from tasks.models import Tag, Task, TaskList
from tasks.tags import tags_named
from tasks.tests.factories import TaskFactory, TaskListFactory
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
    assert body["version"] == 2
    assert [(row["key"], row["name"]) for row in body["lists"]] == [(1, "Inbox")]
    assert [task["title"] for task in body["tasks"]] == ["kept", "binned"]
    assert [task["list"] for task in body["tasks"]] == [1, 1]
    assert body["tasks"][0]["tags"] == ["work"]
    assert body["tasks"][1]["deleted_at"] is not None
    assert [tag["name"] for tag in body["tags"]] == ["unused", "work"]


def test_the_export_round_trips_through_import_tasks(auth_client, user, tmp_path):
    task = TaskFactory(owner=user, title="with tags", priority=2, completed=True)
    task.tags.set(tags_named(user, ["a", "B"]))
    TaskFactory(owner=user, title="trashed", deleted_at=timezone.now())
    Tag.objects.create(owner=user, name="lonely")
    user.tags.filter(name="a").update(created_at=datetime(2020, 5, 17, tzinfo=UTC))
    path = tmp_path / "export.json"
    path.write_text(json.dumps(auth_client.get("/api/v1/export/").json()))
    target = UserFactory()
    existing = Tag.objects.create(owner=target, name="LONELY")  # kept as it is

    output = run("import_tasks", str(path), "--user", target.username)

    assert "Imported 2 tasks" in output
    assert snapshot(target) == snapshot(user)
    tags = {tag.name: tag.created_at for tag in target.tags.all()}
    assert tags == {
        "a": datetime(2020, 5, 17, tzinfo=UTC),
        "B": user.tags.get(name="B").created_at,
        "LONELY": existing.created_at,
    }


def test_export_holds_nothing_of_another_user(other_client, user, other_user):
    secret = TaskListFactory(owner=user, name="Secret")
    TaskFactory(owner=user, list=secret).tags.set(tags_named(user, ["secret"]))

    body = other_client.get("/api/v1/export/").json()

    assert body["tasks"] == []
    assert body["tags"] == []
    (inbox,) = body["lists"]
    assert inbox["is_inbox"] and inbox["key"] == 1
    assert TaskList.objects.inbox_of(other_user.pk).name == inbox["name"]
    assert Task.objects.count() == 1


def test_export_requires_authentication(api_client):
    assert api_client.get("/api/v1/export/").status_code == 401


@pytest.mark.parametrize("created_at", ["yesterday", "2026-13-01T09:00:00Z", 7])
def test_a_tag_time_import_cannot_read_stops_the_import(user, tmp_path, created_at):
    path = tmp_path / "export.json"
    path.write_text(
        json.dumps(
            {
                "tasks": [{"title": "t"}],
                "tags": [{"name": "x", "created_at": created_at}],
            }
        )
    )

    with pytest.raises(CommandError, match='Tag "x": created_at is not a time'):
        run("import_tasks", str(path), "--user", user.username)
    assert not user.tasks.exists() and not user.tags.exists()


def test_tag_names_differing_only_in_case_import_as_the_first(user, tmp_path):
    first, second = "2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z"
    tags = [
        {"name": "Work", "created_at": first},
        {"name": "work", "created_at": second},
    ]
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"tasks": [], "tags": tags}))

    run("import_tasks", str(path), "--user", user.username)

    tag = user.tags.get()
    assert (tag.name, tag.created_at) == ("Work", datetime(2020, 1, 1, tzinfo=UTC))
