"""The change feed, GET /api/v1/sync/."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core import signing
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.tests import contract
from api.tests.helpers import invalid_fields
from tasks import sync
from tasks.models import ChangeClock, Tag, Task, TaskList, Tombstone
from tasks.sync import SyncListSerializer, SyncTagSerializer, SyncTaskSerializer
from tasks.tests.factories import TaskFactory, TaskListFactory

pytestmark = pytest.mark.django_db


class Follower:
    """A client that keeps a copy of its tasks, tags and lists by following the
    feed."""

    def __init__(self, client, limit: int = 100) -> None:
        self.client = client
        self.limit = limit
        self.cursor: str | None = None
        self.copy: dict[tuple[str, int], dict] = {}

    def pull(self) -> list[dict]:
        """Every change since the last pull, page by page, applied in order."""
        seen = []
        for _ in range(1000):  # a cursor that stops advancing would loop forever
            params = {"limit": self.limit}
            if self.cursor:
                params["cursor"] = self.cursor
            response = self.client.get("/api/v1/sync/", params)
            assert response.status_code == 200, response.content
            body = response.json()
            for change in body["changes"]:
                key = (change["type"], change["id"])
                if change["deleted"]:
                    self.copy.pop(key, None)
                else:
                    self.copy[key] = change["data"]
            seen += body["changes"]
            self.cursor = body["cursor"]
            if not body["has_more"]:
                return seen
        raise AssertionError("the feed never ended")


def server_state(user) -> dict[tuple[str, int], dict]:
    """What the follower should hold: the user's live tasks, tags and lists."""
    tasks = user.tasks.alive().with_tag_names()
    state = {("task", task.id): SyncTaskSerializer(task).data for task in tasks}
    for tag in user.tags.all():
        state[("tag", tag.id)] = SyncTagSerializer(tag).data
    for task_list in user.task_lists.alive():
        state[("list", task_list.id)] = SyncListSerializer(task_list).data
    return state


def without_counts(record: dict) -> dict:
    """An API answer as the feed shows it: without the counts derived from
    other records."""
    derived = {"subtask_count", "task_count", "open_task_count"}
    return {key: value for key, value in record.items() if key not in derived}


def assert_in_sync(follower: Follower, user) -> None:
    follower.pull()
    assert follower.copy == server_state(user)


def test_without_a_cursor_the_feed_holds_everything(auth_client, user):
    tagged = auth_client.post(
        "/api/v1/tasks/", {"title": "Tagged", "tags": ["work"]}
    ).json()
    trashed = TaskFactory(owner=user)
    trashed.move_to_trash()

    changes = Follower(auth_client).pull()

    tag = Tag.objects.get(name="work")
    inbox = TaskList.objects.inbox_of(user.pk)
    inbox_data = auth_client.get(f"/api/v1/lists/{inbox.id}/").json()
    # In commit order: the inbox came with the account; the tag was created,
    # then linked to the task.
    assert changes == [
        {
            "type": "list",
            "id": inbox.id,
            "deleted": False,
            "data": without_counts(inbox_data),
        },
        {
            "type": "tag",
            "id": tag.id,
            "deleted": False,
            "data": {
                "id": tag.id,
                "name": "work",
                "created_at": tag.created_at.isoformat().replace("+00:00", "Z"),
            },
        },
        {
            "type": "task",
            "id": tagged["id"],
            "deleted": False,
            "data": without_counts(tagged),
        },
        {"type": "task", "id": trashed.id, "deleted": True, "data": None},
    ]


def test_a_cursor_gives_only_what_changed_after_it(auth_client, user):
    _, second = TaskFactory.create_batch(2, owner=user)
    follower = Follower(auth_client)
    follower.pull()

    auth_client.patch(f"/api/v1/tasks/{second.id}/", {"title": "Changed"})
    changes = follower.pull()

    assert [(c["id"], c["data"]["title"]) for c in changes] == [(second.id, "Changed")]
    assert follower.pull() == []  # nothing new: the same cursor serves again
    assert_in_sync(follower, user)


def test_every_api_change_reaches_a_follower(auth_client, user):
    follower = Follower(auth_client, limit=2)
    follower.pull()
    task = auth_client.post("/api/v1/tasks/", {"title": "One", "tags": ["a"]}).json()
    other = auth_client.post("/api/v1/tasks/", {"title": "Two", "tags": ["b"]}).json()
    assert_in_sync(follower, user)

    steps = [
        lambda: auth_client.post(f"/api/v1/tasks/{task['id']}/complete/"),
        lambda: auth_client.patch(f"/api/v1/tasks/{task['id']}/", {"tags": ["c"]}),
        lambda: auth_client.delete(f"/api/v1/tasks/{other['id']}/"),  # to the trash
        lambda: auth_client.post(f"/api/v1/tasks/{other['id']}/restore/"),
        lambda: auth_client.delete(f"/api/v1/tasks/{other['id']}/"),
        lambda: auth_client.delete(f"/api/v1/trash/{other['id']}/"),  # for good
        lambda: auth_client.post(
            "/api/v1/tasks/bulk/",
            {"operations": [{"op": "create", "data": {"title": "Bulk"}}]},
        ),
    ]
    for step in steps:
        assert step().status_code in (200, 201, 204)
        assert_in_sync(follower, user)


def test_renaming_a_tag_resends_its_tasks_and_deleting_it_too(auth_client, user):
    task = auth_client.post("/api/v1/tasks/", {"title": "T", "tags": ["wrok"]}).json()
    tag_id = Tag.objects.get().id
    follower = Follower(auth_client)
    follower.pull()

    auth_client.patch(f"/api/v1/tags/{tag_id}/", {"name": "work"})
    renamed = follower.pull()
    auth_client.delete(f"/api/v1/tags/{tag_id}/")
    deleted = follower.pull()

    assert {(c["type"], c["id"]) for c in renamed} == {
        ("task", task["id"]),
        ("tag", tag_id),
    }
    assert follower.copy[("task", task["id"])]["tags"] == []
    assert ("tag", tag_id, True) in {
        (c["type"], c["id"], c["deleted"]) for c in deleted
    }
    assert_in_sync(follower, user)


def test_operator_and_command_changes_reach_a_follower(
    auth_client, user, other_user, tmp_path
):
    tasks = TaskFactory.create_batch(3, owner=user)
    follower = Follower(auth_client)
    follower.pull()

    Task.objects.filter(pk=tasks[0].pk).mark_completed()  # the admin's action
    assert_in_sync(follower, user)
    tasks[1].move_to_trash()
    Task.objects.filter(pk=tasks[1].pk).update(
        deleted_at=timezone.now() - timedelta(days=31)
    )
    call_command(
        "purge_tasks", "--trashed-before", "30", "--no-input", stdout=StringIO()
    )
    assert not Task.objects.filter(pk=tasks[1].pk).exists()
    assert_in_sync(follower, user)
    file = tmp_path / "import.json"
    file.write_text('[{"title": "Imported", "tags": ["from-file"]}]')
    call_command("import_tasks", str(file), "--user", user.username, stdout=StringIO())
    assert_in_sync(follower, user)
    Task.objects.filter(pk=tasks[2].pk).delete()  # the admin's bulk delete
    assert_in_sync(follower, user)


def test_the_feed_never_shows_another_users_changes(
    auth_client, other_client, user, other_user
):
    TaskFactory(owner=other_user).delete()
    theirs = other_client.post("/api/v1/tasks/", {"title": "x", "tags": ["t"]}).json()
    Tag.objects.get(owner=other_user).delete()
    trashed = other_client.post("/api/v1/lists/", {"name": "Trashed"}).json()
    other_client.delete(f"/api/v1/lists/{trashed['id']}/")
    archived = other_client.post("/api/v1/lists/", {"name": "Archived"}).json()
    other_client.post(f"/api/v1/lists/{archived['id']}/archive/")
    TaskListFactory(owner=other_user).delete()
    inbox = TaskList.objects.inbox_of(other_user.pk)
    other_client.patch(f"/api/v1/lists/{inbox.id}/", {"name": "Renamed"})

    mine = Follower(auth_client).pull()

    assert [(c["type"], c["id"]) for c in mine] == [
        ("list", TaskList.objects.inbox_of(user.pk).id)
    ]
    # Theirs: the inbox, a deleted task, a task, a deleted tag, two deleted
    # lists (one in the trash) and an archived one.
    assert len(Follower(other_client).pull()) == 7
    assert theirs["id"]


def test_a_cursor_is_only_good_for_its_own_user(auth_client, other_client, user):
    TaskFactory(owner=user)
    follower = Follower(auth_client)
    follower.pull()

    response = other_client.get("/api/v1/sync/", {"cursor": follower.cursor})

    assert response.status_code == 410
    assert "from scratch" in response.json()["detail"]


@pytest.mark.parametrize(
    "cursor",
    [
        "nonsense",
        signing.dumps([1, 2, 3, 4], salt="another purpose"),
        "x" * 999,
    ],
)
def test_an_invalid_cursor_is_gone(auth_client, cursor):
    response = auth_client.get("/api/v1/sync/", {"cursor": cursor})

    assert response.status_code == 410


def test_a_cursor_with_a_nul_byte_is_a_400(auth_client):
    response = auth_client.get("/api/v1/sync/", {"cursor": "abc\x00"})

    assert response.status_code == 400
    assert "cursor" in invalid_fields(response)


def test_a_cursor_ahead_of_the_clock_is_gone(auth_client, user):
    # As after restoring the database to an earlier point.
    TaskFactory(owner=user)
    follower = Follower(auth_client)
    follower.pull()
    ChangeClock.objects.filter(owner=user).update(seq=0)

    assert (
        auth_client.get("/api/v1/sync/", {"cursor": follower.cursor}).status_code == 410
    )


def test_a_cursor_older_than_purged_tombstones_is_gone(auth_client, user, tmp_path):
    task = TaskFactory(owner=user)
    follower = Follower(auth_client)
    follower.pull()
    task.delete()
    Tombstone.objects.update(deleted_at=timezone.now() - timedelta(days=91))

    call_command("purge_tombstones", "--deleted-before", "90", stdout=StringIO())

    assert not Tombstone.objects.exists()
    assert (
        auth_client.get("/api/v1/sync/", {"cursor": follower.cursor}).status_code == 410
    )
    fresh = Follower(auth_client)
    assert_in_sync(fresh, user)


@pytest.mark.parametrize("limit", ["0", "1001", "many"])
def test_a_bad_limit_is_a_400(auth_client, limit):
    response = auth_client.get("/api/v1/sync/", {"limit": limit})

    assert response.status_code == 400
    assert "limit" in invalid_fields(response)


def test_the_feed_requires_authentication(api_client):
    assert api_client.get("/api/v1/sync/").status_code == 401


def test_a_page_takes_five_queries_however_long(auth_client, user):
    TaskFactory(owner=user)
    follower = Follower(auth_client, limit=1000)
    follower.pull()
    for task_list in TaskListFactory.create_batch(10, owner=user):
        for task in TaskFactory.create_batch(3, owner=user, list=task_list):
            task.tags.set([Tag.objects.create(owner=user, name=f"t{task.id}")])
            TaskFactory(owner=user, parent=task)

    with CaptureQueriesContext(connection) as queries:
        response = auth_client.get("/api/v1/sync/", {"cursor": follower.cursor})

    assert len(response.json()["changes"]) == 10 + 30 * 3
    # The clock, the positions, the tasks, the tags, the lists (the token is
    # cached in production; tests see its queries, which name no tasks_ table).
    assert len([q for q in queries if '"tasks_' in q["sql"]]) == 5


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_page_boundaries_inside_one_change_number_skip_nothing(user, limit):
    # Rows of every kind sharing one number, as one transaction's could.
    tasks = TaskFactory.create_batch(3, owner=user)
    tags = [Tag.objects.create(owner=user, name=name) for name in "ab"]
    gone = TaskFactory(owner=user)
    gone_id = gone.id
    gone.delete()
    lists = [
        TaskList.objects.inbox_of(user.pk),
        *TaskListFactory.create_batch(2, owner=user),
    ]
    gone_list = TaskListFactory(owner=user)
    gone_list_id = gone_list.id
    gone_list.delete()
    number = ChangeClock.objects.get(owner=user).seq
    for model in (Task, Tag, Tombstone, TaskList):
        model._base_manager.filter(owner=user).update(change_seq=number)
    seen, position = [], sync.START
    for _ in range(20):  # a cursor that stops advancing would loop forever
        changes, position, more = sync.changes(user, position, limit=limit)
        seen += [(c["type"], c["id"], c["deleted"]) for c in changes]
        if not more:
            break
    else:
        pytest.fail("the feed never ended")

    # Kinds in the order their numbers were given (sync.py): a new kind
    # comes after the older ones, so that cursors stay good.
    assert seen == (
        [("task", t.id, False) for t in tasks]
        + [("tag", t.id, False) for t in tags]
        + [("task", gone_id, True)]
        + [("list", t.id, False) for t in lists]
        + [("list", gone_list_id, True)]
    )


def test_direct_changes_to_tag_links_reach_a_follower(auth_client, user):
    task = TaskFactory(owner=user)
    tag = Tag.objects.create(owner=user, name="t")
    follower = Follower(auth_client)
    follower.pull()

    for change in (
        lambda: task.tags.add(tag),
        lambda: tag.tasks.remove(task),
        lambda: tag.tasks.add(task),
        lambda: tag.tasks.clear(),
        lambda: task.tags.set([tag]),
        lambda: task.tags.clear(),
    ):
        change()
        assert_in_sync(follower, user)


def test_saving_a_tag_without_renaming_it_leaves_its_tasks_alone(user):
    tag = Tag.objects.create(owner=user, name="t")
    task = TaskFactory(owner=user)
    task.tags.add(tag)
    task.refresh_from_db()
    tag = Tag.objects.get()

    tag.save()
    assert Task.objects.get().change_seq == task.change_seq
    tag.name = "renamed"
    tag.save()
    assert Task.objects.get().change_seq > task.change_seq


def test_a_saved_row_knows_the_change_number_it_was_given(user):
    task = Task(owner=user, title="t")
    task.save()
    created = task.change_seq
    assert created == ChangeClock.objects.get(owner=user).seq  # the INSERT's

    task.title = "renamed"
    task.save()
    # Read back after an UPDATE (PostgreSQL's UPDATE does not return it).
    assert task.change_seq == ChangeClock.objects.get(owner=user).seq == created + 1
    assert Task.objects.get().change_seq == task.change_seq

    task.save(update_fields=["title"])
    assert task.change_seq == Task.objects.get().change_seq == created + 2


def test_an_owner_cannot_change_through_a_bulk_update(user, other_user):
    TaskFactory(owner=user)

    with pytest.raises(TypeError, match="save"):
        Task.objects.update(owner=other_user)


def test_purge_tombstones_keeps_recent_deletions_and_can_dry_run(user):
    old, recent = TaskFactory.create_batch(2, owner=user)
    recent_id = recent.id
    old.delete()
    Tombstone.objects.update(deleted_at=timezone.now() - timedelta(days=91))
    recent.delete()
    out = StringIO()

    call_command("purge_tombstones", "--dry-run", stdout=out)
    assert Tombstone.objects.count() == 2
    call_command("purge_tombstones", stdout=out)

    assert out.getvalue().splitlines() == [
        "Would forget 1 deletion.",
        "Forgot 1 deletion.",
    ]
    assert list(Tombstone.objects.values_list("object_id", flat=True)) == [recent_id]
    clock = ChangeClock.objects.get(owner=user)
    assert 0 < clock.pruned_through < clock.seq


def test_a_cursor_inside_forgotten_deletions_is_gone(auth_client, user):
    # Two deletions in one transaction share a number; a client that has seen
    # the first only must not be let past the forgotten second.
    TaskFactory.create_batch(2, owner=user)
    follower = Follower(auth_client, limit=1)
    follower.pull()
    Task.objects.filter(owner=user).delete()
    response = auth_client.get("/api/v1/sync/", {"cursor": follower.cursor, "limit": 1})
    assert response.json()["has_more"] is True
    Tombstone.objects.update(deleted_at=timezone.now() - timedelta(days=91))

    call_command("purge_tombstones", stdout=StringIO())

    next_page = {"cursor": response.json()["cursor"], "limit": 1}
    assert auth_client.get("/api/v1/sync/", next_page).status_code == 410


def test_purge_tombstones_refuses_a_negative_age():
    with pytest.raises(CommandError, match="DAYS must be 0"):
        call_command("purge_tombstones", "--deleted-before", "-1")


def test_a_deletion_meets_the_schema_of_a_change(auth_client, user):
    # A strict OpenAPI 3.0.3 validator had refused every deletion: its null
    # data was declared nullable beside a $ref, where nullable adds nothing.
    task = TaskFactory(owner=user)
    auth_client.delete(f"/api/v1/tasks/{task.id}/")

    (_inbox, deletion) = Follower(auth_client).pull()

    assert deletion == {"type": "task", "id": task.id, "deleted": True, "data": None}
    assert contract.errors("/components/schemas/SyncChange", deletion) == []
