"""Lists in the change feed: a client that follows GET /api/v1/sync/ can draw
every list, and the tasks of each as a tree in their order, exactly as
GET /api/v1/lists/ and GET /api/v1/tasks/?list=..&ordering=position show them."""

from collections import Counter, defaultdict
from datetime import timedelta
from io import StringIO

import pytest
from django.core import signing
from django.core.management import call_command
from django.utils import timezone

from tasks import positions, sync
from tasks.models import TaskList, Tombstone
from tasks.tests.factories import TaskFactory, TaskListFactory
from tasks.tests.test_sync import Follower, server_state, without_counts

pytestmark = pytest.mark.django_db


def outline(lists: list[dict], tasks: list[dict]) -> list[tuple]:
    """Lists in the order given, each with its tasks as a tree: siblings in
    the order given, each task followed by its subtasks."""
    children = defaultdict(list)
    for task in tasks:
        children[(task["list"], task["parent"])].append(task)

    def branch(list_id: int, parent_id: int | None) -> list[tuple]:
        return [
            (task["title"], task["completed"], branch(list_id, task["id"]))
            for task in children[(list_id, parent_id)]
        ]

    return [
        (row["name"], row["color"], row["is_inbox"], branch(row["id"], None))
        for row in lists
    ]


def by_position(rows) -> list[dict]:
    # Keys compare byte-wise; they are ASCII, so as Python compares strings.
    return sorted(rows, key=lambda row: (row["position"], row["id"]))


def rebuilt(copy: dict) -> dict[str, list[tuple]]:
    """What the follower draws from its copy alone."""
    lists = by_position(data for (kind, _), data in copy.items() if kind == "list")
    tasks = by_position(data for (kind, _), data in copy.items() if kind == "task")
    return {
        "lists": outline([row for row in lists if not row["archived"]], tasks),
        "archived": outline([row for row in lists if row["archived"]], tasks),
    }


def every_page(client, path: str, params: dict) -> list[dict]:
    rows, page = [], 1
    while True:
        body = client.get(path, {**params, "page": page, "page_size": 100}).json()
        rows += body["results"]
        if not body["next"]:
            return rows
        page += 1


def shown(client) -> dict[str, list[tuple]]:
    """What the API shows, in its own order."""
    drawn = {}
    for name, archived in (("lists", "false"), ("archived", "true")):
        lists = every_page(client, "/api/v1/lists/", {"archived": archived})
        tasks = [
            task
            for row in lists
            for task in every_page(
                client, "/api/v1/tasks/", {"list": row["id"], "ordering": "position"}
            )
        ]
        drawn[name] = outline(lists, tasks)
    return drawn


def api_records(client) -> dict[tuple[str, int], dict]:
    """Every live list and task as the API answers them, counts left out."""
    records = {}
    for archived in ("false", "true"):
        for row in every_page(client, "/api/v1/lists/", {"archived": archived}):
            records[("list", row["id"])] = without_counts(row)
            params = {"list": row["id"], "ordering": "position"}
            for task in every_page(client, "/api/v1/tasks/", params):
                records[("task", task["id"])] = without_counts(task)
    return records


def derived_counts(copy: dict) -> dict[tuple[str, int], dict]:
    """The counts the API shows, as a client works them out from its copy."""
    tasks = [data for (kind, _), data in copy.items() if kind == "task"]
    in_list = Counter(task["list"] for task in tasks)
    open_in_list = Counter(task["list"] for task in tasks if not task["completed"])
    under = Counter(task["parent"] for task in tasks)
    open_under = Counter(task["parent"] for task in tasks if not task["completed"])
    counts: dict[tuple[str, int], dict] = {}
    for (kind, pk), _ in copy.items():
        if kind == "list":
            counts[(kind, pk)] = {
                "task_count": in_list[pk],
                "open_task_count": open_in_list[pk],
            }
        elif kind == "task":
            counts[(kind, pk)] = {
                "subtask_count": {"open": open_under[pk], "total": under[pk]}
            }
    return counts


def shown_counts(client) -> dict[tuple[str, int], dict]:
    counts: dict[tuple[str, int], dict] = {}
    for archived in ("false", "true"):
        for row in every_page(client, "/api/v1/lists/", {"archived": archived}):
            counts[("list", row["id"])] = {
                "task_count": row["task_count"],
                "open_task_count": row["open_task_count"],
            }
            params = {"list": row["id"]}
            for task in every_page(client, "/api/v1/tasks/", params):
                counts[("task", task["id"])] = {"subtask_count": task["subtask_count"]}
    return counts


def assert_rebuilds(follower: Follower, client) -> None:
    follower.pull()
    assert rebuilt(follower.copy) == shown(client)
    tags = {key: data for key, data in follower.copy.items() if key[0] == "tag"}
    assert follower.copy == api_records(client) | tags
    assert derived_counts(follower.copy) == shown_counts(client)


def test_a_follower_rebuilds_lists_hierarchy_and_order(auth_client, user):
    api = auth_client
    follower = Follower(api, limit=4)  # small pages: many boundaries

    def post(path: str, body: dict | None = None) -> dict:
        response = api.post(path, body or {})
        assert response.status_code in (200, 201), response.content
        return response.json()

    def task(title: str, **where) -> int:
        return post("/api/v1/tasks/", {"title": title, **where})["id"]

    work = post("/api/v1/lists/", {"name": "Work", "color": "#112233"})["id"]
    home = post("/api/v1/lists/", {"name": "Home"})["id"]
    later = post("/api/v1/lists/", {"name": "Later"})["id"]
    report = task("Report", list=work)
    draft = task("Draft", parent=report)
    outline_ = task("Outline", parent=draft)
    task("Proofread", parent=report)
    review = task("Review", list=work)
    task("Ship", list=work)
    task("Milk")  # the inbox
    bread = task("Bread")
    task("Paint", list=home)
    old = task("Old idea", list=later)
    task("Older idea", parent=old)
    assert_rebuilds(follower, api)

    steps = [
        # Lists: renamed, recoloured, reordered, archived.
        lambda: api.patch(f"/api/v1/lists/{work}/", {"name": "Office"}),
        lambda: api.patch(f"/api/v1/lists/{home}/", {"color": "#AABBCC"}),
        lambda: post(f"/api/v1/lists/{later}/move/", {"after": None}),
        lambda: post(f"/api/v1/lists/{home}/archive/"),
        # Tasks moved: first among siblings, under another task, to a list.
        lambda: post(f"/api/v1/tasks/{review}/move/", {"after": None}),
        lambda: post(f"/api/v1/tasks/{outline_}/move/", {"parent": review}),
        lambda: post(f"/api/v1/tasks/{draft}/move/", {"list": later, "after": old}),
        lambda: post(f"/api/v1/tasks/{report}/complete/"),
        # The trash: a task with its subtasks, then a list with its tasks.
        lambda: api.delete(f"/api/v1/tasks/{report}/"),
        lambda: post(f"/api/v1/tasks/{report}/restore/"),
        lambda: api.delete(f"/api/v1/lists/{later}/"),
        lambda: post(f"/api/v1/lists/{later}/restore/"),
        lambda: api.delete(f"/api/v1/lists/{later}/"),
        lambda: post(f"/api/v1/lists/{home}/unarchive/"),
    ]
    for step in steps:
        step()
        assert_rebuilds(follower, api)

    # Writes below the API (the admin's, a command's): place, list and parent
    # set on the row, then deletions for good (tombstones).
    bread = user.tasks.get(pk=bread)
    bread.position = positions.key_between(None, user.tasks.get(title="Milk").position)
    bread.save(update_fields=["position"])
    assert_rebuilds(follower, api)
    paint = user.tasks.get(title="Paint")
    paint.list_id, paint.parent_id = work, review
    paint.position = positions.key_between(None, user.tasks.get(pk=outline_).position)
    paint.save(update_fields=["list", "parent", "position"])
    assert_rebuilds(follower, api)
    TaskList.objects.get(pk=later).delete()  # with its tasks
    user.tasks.get(title="Proofread").delete()
    assert_rebuilds(follower, api)

    # A newcomer replays the whole feed and draws the same.
    fresh = Follower(api, limit=3)
    assert_rebuilds(fresh, api)
    assert fresh.copy == follower.copy == server_state(user)
    assert rebuilt(fresh.copy) == {
        "lists": [
            ("Inbox", None, True, [("Bread", False, []), ("Milk", False, [])]),
            (
                "Office",
                "#112233",
                False,
                [
                    ("Review", False, [("Paint", False, []), ("Outline", False, [])]),
                    ("Report", True, []),
                    ("Ship", False, []),
                ],
            ),
            ("Home", "#AABBCC", False, []),
        ],
        "archived": [],
    }


def test_a_list_in_the_trash_and_its_tasks_leave_the_copy_and_come_back(
    auth_client, user
):
    groceries = TaskListFactory(owner=user, name="Groceries")
    tasks = TaskFactory.create_batch(2, owner=user, list=groceries)
    follower = Follower(auth_client)
    follower.pull()

    auth_client.delete(f"/api/v1/lists/{groceries.id}/")
    trashed = follower.pull()
    auth_client.post(f"/api/v1/lists/{groceries.id}/restore/")
    restored = follower.pull()

    gone = {(c["type"], c["id"]) for c in trashed if c["deleted"]}
    assert gone == {("list", groceries.id)} | {("task", t.id) for t in tasks}
    back = {(c["type"], c["id"]) for c in restored if not c["deleted"]}
    assert back == gone
    assert follower.copy == server_state(user)


def test_a_list_deleted_for_good_leaves_tombstones_for_it_and_its_tasks(
    auth_client, user
):
    doomed = TaskListFactory(owner=user)
    top = TaskFactory(owner=user, list=doomed)
    below = TaskFactory(owner=user, parent=top)
    doomed_id = doomed.id
    follower = Follower(auth_client)
    follower.pull()

    doomed.delete()

    changes = follower.pull()
    assert {(c["type"], c["id"], c["deleted"]) for c in changes} == {
        ("list", doomed_id, True),
        ("task", top.id, True),
        ("task", below.id, True),
    }
    assert follower.copy == server_state(user)


def test_an_archived_list_stays_in_the_feed(auth_client, user):
    kept = TaskListFactory(owner=user)
    follower = Follower(auth_client)
    follower.pull()

    auth_client.post(f"/api/v1/lists/{kept.id}/archive/")

    (change,) = follower.pull()
    assert (change["type"], change["deleted"]) == ("list", False)
    assert change["data"]["archived"] is True
    assert change["data"]["archived_at"] is not None


def test_a_cursor_from_before_lists_joined_the_feed_is_gone(auth_client, user):
    # Its copy has no lists, and tasks without the list, parent and position
    # the migration gave them without new change numbers.
    TaskFactory(owner=user)
    follower = Follower(auth_client)
    follower.pull()
    _, seq, kind, pk = signing.loads(follower.cursor, salt=sync.SALT)
    old = signing.dumps([user.pk, seq, kind, pk], salt="tasks.sync.cursor")

    response = auth_client.get("/api/v1/sync/", {"cursor": old})

    assert response.status_code == 410
    current = auth_client.get("/api/v1/sync/", {"cursor": follower.cursor})
    assert current.status_code == 200


def test_forgotten_list_deletions_refuse_the_cursors_before_them(auth_client, user):
    doomed = TaskListFactory(owner=user)
    follower = Follower(auth_client)
    follower.pull()
    doomed.delete()
    Tombstone.objects.update(deleted_at=timezone.now() - timedelta(days=91))

    call_command("purge_tombstones", stdout=StringIO())

    assert not Tombstone.objects.exists()
    stale = auth_client.get("/api/v1/sync/", {"cursor": follower.cursor})
    assert stale.status_code == 410
    fresh = Follower(auth_client)
    fresh.pull()
    assert fresh.copy == server_state(user)
