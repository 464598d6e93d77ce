"""The trash: deleting moves a task there; it can come back, or go for good."""

from datetime import timedelta

import pytest
from django.core.management import CommandError
from django.utils import timezone

from api.tests.helpers import problem
from tasks import services
from tasks.models import TRASH_DAYS, Task, TaskList, Tombstone
from tasks.tags import tags_named
from tasks.tests.factories import TaskFactory, TaskListFactory
from tasks.tests.test_commands import run

pytestmark = pytest.mark.django_db


@pytest.fixture
def trashed(auth_client, user) -> Task:
    task = TaskFactory(owner=user, title="binned")
    task.tags.set(tags_named(user, ["work"]))
    assert auth_client.delete(f"/api/v1/tasks/{task.pk}/").status_code == 204
    return task


def test_a_trashed_task_leaves_every_list_detail_and_count(auth_client, user, trashed):
    TaskFactory(owner=user, title="kept")
    path = f"/api/v1/tasks/{trashed.pk}/"

    listed = auth_client.get("/api/v1/tasks/").json()
    searched = auth_client.get("/api/v1/tasks/?search=binned").json()
    tags = auth_client.get("/api/v1/tags/").json()

    assert [task["title"] for task in listed["results"]] == ["kept"]
    assert searched["count"] == 0
    assert listed["count"] == 1
    assert [(tag["name"], tag["task_count"]) for tag in tags] == [("work", 0)]
    for call in (
        auth_client.get(path),
        auth_client.patch(path, {"title": "x"}),
        auth_client.post(path + "complete/"),
        auth_client.post(path + "reopen/"),
    ):
        assert call.status_code == 404


def test_the_trash_lists_trashed_tasks_latest_first(auth_client, user, trashed):
    later = TaskFactory(owner=user, title="later")
    auth_client.delete(f"/api/v1/tasks/{later.pk}/")
    TaskFactory(owner=user, title="alive")

    body = auth_client.get("/api/v1/trash/").json()
    one = auth_client.get(f"/api/v1/trash/{trashed.pk}/").json()

    assert [task["title"] for task in body["results"]] == ["later", "binned"]
    assert body["count"] == 2
    assert one["tags"] == ["work"]
    assert one["deleted_at"].endswith("Z")


def test_restore_brings_a_task_back_and_is_safe_to_retry(auth_client, trashed):
    path = f"/api/v1/tasks/{trashed.pk}/restore/"

    first = auth_client.post(path)
    again = auth_client.post(path)

    assert first.status_code == again.status_code == 200
    assert first.json()["tags"] == ["work"]
    assert "deleted_at" not in first.json()
    assert first.json() == again.json()
    assert auth_client.get(f"/api/v1/tasks/{trashed.pk}/").status_code == 200
    assert auth_client.get("/api/v1/trash/").json()["count"] == 0


def test_a_task_in_the_trash_has_an_etag_of_its_own(auth_client, trashed):
    path = f"/api/v1/trash/{trashed.pk}/"
    read = auth_client.get(path)
    stale = read["ETag"]
    restored = auth_client.post(f"/api/v1/tasks/{trashed.pk}/restore/")
    auth_client.delete(f"/api/v1/tasks/{trashed.pk}/")  # trashed again, later
    current = auth_client.get(path)["ETag"]

    assert stale.startswith('"') and stale != current
    assert stale != restored["ETag"]  # the trashed representation is another
    assert auth_client.get(path, HTTP_IF_NONE_MATCH=current).status_code == 304
    assert auth_client.delete(path, HTTP_IF_MATCH=stale).status_code == 412
    assert Task.objects.filter(pk=trashed.pk).exists()
    assert auth_client.delete(path, HTTP_IF_MATCH=current).status_code == 204
    assert not Task.objects.filter(pk=trashed.pk).exists()


def test_deleting_from_the_trash_is_for_good(auth_client, trashed):
    response = auth_client.delete(f"/api/v1/trash/{trashed.pk}/")

    assert response.status_code == 204
    assert not Task.objects.filter(pk=trashed.pk).exists()
    assert auth_client.post(f"/api/v1/tasks/{trashed.pk}/restore/").status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/trash/{id}/"),
        ("delete", "/api/v1/trash/{id}/"),
        ("post", "/api/v1/tasks/{id}/restore/"),
    ],
)
def test_another_users_trash_answers_exactly_like_a_missing_task(
    other_client, trashed, method, path
):
    missing_id = trashed.pk + 1000

    theirs = getattr(other_client, method)(path.format(id=trashed.pk))
    missing = getattr(other_client, method)(path.format(id=missing_id))

    assert theirs.status_code == missing.status_code == 404
    assert problem(theirs) == problem(missing)
    assert Task.objects.get(pk=trashed.pk).deleted_at is not None
    assert other_client.get("/api/v1/trash/").json()["count"] == 0


def test_the_trash_requires_authentication(api_client, trashed):
    assert api_client.get("/api/v1/trash/").status_code == 401
    assert api_client.post(f"/api/v1/tasks/{trashed.pk}/restore/").status_code == 401
    assert api_client.delete(f"/api/v1/trash/{trashed.pk}/").status_code == 401
    assert Task.objects.get(pk=trashed.pk).deleted_at is not None


def test_purge_removes_tasks_trashed_longer_than_the_retention(user):
    now = timezone.now()
    old, recent = TaskFactory(owner=user), TaskFactory(owner=user)
    alive = TaskFactory(owner=user)
    old.tags.set(tags_named(user, ["a", "b"]))  # its tag links are not tasks
    Task.objects.filter(pk=old.pk).update(
        deleted_at=now - timedelta(days=TRASH_DAYS + 1)
    )
    Task.objects.filter(pk=recent.pk).update(deleted_at=now - timedelta(days=1))

    output = run("purge_tasks", "--trashed-before", str(TRASH_DAYS), "--no-input")

    assert "Deleted 1 task." in output
    assert set(Task.objects.values_list("pk", flat=True)) == {recent.pk, alive.pk}


def test_purge_removes_lists_trashed_longer_than_the_retention(user):
    long_ago = timezone.now() - timedelta(days=TRASH_DAYS + 1)
    old, recent = TaskListFactory(owner=user), TaskListFactory(owner=user)
    old_tasks = [TaskFactory(owner=user, list=old) for _ in range(2)]
    recent_task = TaskFactory(owner=user, list=recent)
    for task_list in (old, recent):
        services.trash_list(user=user, task_list=task_list)
    TaskList.objects.filter(pk=old.pk).update(deleted_at=long_ago)
    Task.objects.filter(list=old).update(deleted_at=long_ago)

    output = run("purge_tasks", "--trashed-before", str(TRASH_DAYS), "--no-input")

    assert "Deleted 2 tasks and 1 list." in output
    assert not TaskList.objects.filter(pk=old.pk).exists()
    assert set(Task.objects.filter(owner=user).values_list("pk", flat=True)) == {
        recent_task.pk
    }
    gone = Tombstone.objects.filter(owner=user)
    assert set(gone.values_list("kind", "object_id")) == {
        ("list", old.pk),
        *(("task", task.pk) for task in old_tasks),
    }


def test_purge_needs_an_age():
    with pytest.raises(CommandError, match="--trashed-before"):
        run("purge_tasks", "--no-input")


def test_the_trash_lists_trashed_lists_without_the_tasks_trashed_with_them(
    auth_client, user
):
    alone = TaskFactory(owner=user, title="alone")
    alone.move_to_trash()
    groceries = TaskListFactory(owner=user, name="Groceries")
    TaskFactory(owner=user, list=groceries, completed=True)
    TaskFactory(owner=user, list=groceries)
    assert auth_client.delete(f"/api/v1/lists/{groceries.pk}/").status_code == 204

    response = auth_client.get("/api/v1/trash/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    listed, task = body["results"]
    groceries.refresh_from_db()
    assert listed == {
        "type": "list",
        "id": groceries.pk,
        "name": "Groceries",
        "color": None,
        "position": groceries.position,
        "is_inbox": False,
        "archived": False,
        "archived_at": None,
        "task_count": 0,
        "open_task_count": 0,
        "created_at": groceries.created_at.isoformat().replace("+00:00", "Z"),
        "updated_at": groceries.updated_at.isoformat().replace("+00:00", "Z"),
        "deleted_at": groceries.deleted_at.isoformat().replace("+00:00", "Z"),
    }
    assert (task["type"], task["id"], task["title"]) == ("task", alone.pk, "alone")
