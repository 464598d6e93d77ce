"""Lists, subtasks and order in exports and imports (GET /api/v1/export/,
export_tasks, import_tasks): a round trip loses nothing, old files still
read, and a file that does not hold together imports nothing."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.tests.helpers import bearer
from tasks import importing
from tasks.models import TaskList
from tasks.tests.factories import TaskFactory, TaskListFactory
from tasks.tests.test_commands import run
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LONG_AGO = datetime(2024, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)


def post(client, path: str, body: dict | None = None) -> dict:
    response = client.post(path, body or {})
    assert response.status_code in (200, 201), response.content
    return response.json()


def build_account(client, user) -> None:
    """Lists in an order of their own (one before the inbox, one archived, one
    in the trash) holding trees of tasks in an order of their own."""
    inbox = TaskList.objects.inbox_of(user.pk)
    client.patch(f"/api/v1/lists/{inbox.id}/", {"name": "Home", "color": "#0A0B0C"})
    first = post(client, "/api/v1/lists/", {"name": "First", "color": "#123456"})
    post(client, f"/api/v1/lists/{first['id']}/move/", {"after": None})
    work = post(client, "/api/v1/lists/", {"name": "Work"})["id"]
    twin = post(client, "/api/v1/lists/", {"name": "Work"})["id"]  # same name
    post(client, "/api/v1/lists/", {"name": "Empty"})
    shelved = post(client, "/api/v1/lists/", {"name": "Shelved"})["id"]
    binned = post(client, "/api/v1/lists/", {"name": "Binned"})["id"]

    def task(title: str, **fields) -> int:
        return post(client, "/api/v1/tasks/", {"title": title, **fields})["id"]

    level1 = task("Plan", list=work, tags=["b", "a"], priority="high")
    level2 = task("Research", parent=level1)
    level3 = task("Read", parent=level2)
    task("Deepest", parent=level3, due_date="2030-01-02")
    task("Notes", parent=level2)
    late = task("Write", list=work, due_at="2030-01-01T09:00:00Z")
    post(client, f"/api/v1/tasks/{late}/move/", {"after": None})  # first
    done = task("Done", parent=late)
    post(client, f"/api/v1/tasks/{done}/complete/")
    trashed = task("Trashed", list=work)
    client.delete(f"/api/v1/tasks/{trashed}/")
    task("Twin's", list=twin)
    task("Milk")
    bread = task("Bread")
    post(client, f"/api/v1/tasks/{bread}/move/", {"after": None})
    task("Early", list=first["id"])
    task("Later", list=shelved)
    post(client, f"/api/v1/lists/{shelved}/archive/")
    gone = task("Gone", list=binned)
    task("Gone too", parent=gone)
    client.delete(f"/api/v1/lists/{binned}/")


def exported(client) -> dict:
    response = client.get("/api/v1/export/")
    assert response.status_code == 200
    document = response.json()
    del document["exported_at"]
    return document


def import_file(tmp_path, user, content: str, name: str = "file.json") -> str:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return run("import_tasks", str(path), "--user", user.username)


def test_an_export_imported_into_a_new_account_exports_the_same(
    auth_client, user, login, tmp_path
):
    build_account(auth_client, user)
    before = exported(auth_client)
    target = UserFactory()

    output = import_file(tmp_path, target, json.dumps(before))

    assert "Imported 15 tasks" in output and "New lists: 6." in output
    assert exported(bearer(login(target))) == before
    names = [row["name"] for row in before["lists"]]
    assert names == ["First", "Home", "Work", "Work", "Empty", "Shelved", "Binned"]
    # Each task followed by its subtasks, siblings in their order, the trash too.
    assert [row["title"] for row in before["tasks"] if row["list"] == 3] == [
        "Write", "Done", "Plan", "Research", "Read", "Deepest", "Notes", "Trashed",
    ]  # fmt: skip


def test_export_tasks_writes_what_the_api_exports(auth_client, user):
    build_account(auth_client, user)

    document = json.loads(run("export_tasks", "--user", user.username))

    api = exported(auth_client)
    assert document == {"version": 2, "lists": api["lists"], "tasks": api["tasks"]}


def test_each_task_names_its_list_and_parent_by_key(auth_client, user):
    build_account(auth_client, user)

    document = exported(auth_client)

    lists = {row["key"]: row for row in document["lists"]}
    tasks = {row["key"]: row for row in document["tasks"]}
    assert list(lists) == list(range(1, 8)) and list(tasks) == list(range(1, 16))
    deepest = next(row for row in document["tasks"] if row["title"] == "Deepest")
    chain = [deepest["title"]]
    while chain[-1] != "Plan":
        deepest = tasks[deepest["parent"]]
        chain.append(deepest["title"])
    assert chain == ["Deepest", "Read", "Research", "Plan"]
    assert lists[deepest["list"]]["name"] == "Work"
    home = next(row for row in document["lists"] if row["is_inbox"])
    assert (home["name"], home["color"]) == ("Home", "#0A0B0C")
    binned = next(row for row in document["lists"] if row["name"] == "Binned")
    shelved = next(row for row in document["lists"] if row["name"] == "Shelved")
    assert binned["deleted_at"] is not None and shelved["archived_at"] is not None


def test_csv_round_trips_the_lists_by_name_with_the_tree_and_order(
    auth_client, user, tmp_path
):
    build_account(auth_client, user)
    inbox = TaskList.objects.inbox_of(user.pk)
    # CSV has no room for where the inbox stands among the lists: first here.
    auth_client.post(f"/api/v1/lists/{inbox.id}/move/", {"after": None})
    text = run("export_tasks", "--user", user.username, "--format", "csv")
    target = UserFactory()

    import_file(tmp_path, target, text, name="tasks.csv")

    again = run("export_tasks", "--user", target.username, "--format", "csv")
    assert again == text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["list"] for row in rows[:2]] == ["", ""]  # the inbox: Bread, Milk
    assert [row["title"] for row in rows[:2]] == ["Bread", "Milk"]
    # Lists of one name become one; what only JSON carries is left behind.
    work = target.task_lists.get(name="Work").tasks.filter(parent=None)
    titles = work.order_by("position").values_list("title", flat=True)
    assert list(titles) == ["Write", "Plan", "Trashed", "Twin's"]
    assert target.task_lists.filter(name="First").get().color is None
    assert not target.task_lists.filter(name="Empty").exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("bare.json", '[{"title": "one"}, {"title": "two"}]'),
        ("v1.json", '{"version": 1, "tasks": [{"title": "one"}, {"title": "two"}]}'),
        ("old.csv", "title,completed\none,false\ntwo,true\n"),
    ],
)
def test_a_file_from_before_lists_goes_to_the_inbox_after_what_it_holds(
    user, tmp_path, name, content
):
    TaskFactory(owner=user, title="already there")

    import_file(tmp_path, user, content, name=name)

    inbox = TaskList.objects.inbox_of(user.pk)
    titles = inbox.tasks.order_by("position", "id").values_list("title", flat=True)
    assert list(titles) == ["already there", "one", "two"]
    assert user.task_lists.count() == 1
    assert (inbox.name, inbox.is_inbox) == ("Inbox", True)


def test_into_an_account_in_use_the_files_inbox_joins_its_inbox(user, tmp_path):
    mine = TaskListFactory(owner=user, name="Mine")
    TaskFactory(owner=user, title="kept first")
    document = {
        "version": 2,
        "lists": [
            {"key": 1, "name": "Before"},
            {"key": 2, "name": "Their inbox", "color": "#FFFFFF", "is_inbox": True},
            {"key": 3, "name": "After"},
        ],
        "tasks": [
            {"key": 1, "list": 2, "title": "from their inbox"},
            {"key": 2, "list": 1, "title": "top"},
            {"key": 3, "parent": 2, "title": "below, in its parent's list"},
        ],
    }

    import_file(tmp_path, user, json.dumps(document))

    inbox = TaskList.objects.inbox_of(user.pk)
    assert (inbox.name, inbox.color) == ("Inbox", None)  # in use: its own
    order = user.task_lists.order_by("position", "id").values_list("name", flat=True)
    assert list(order) == ["Before", "Inbox", "Mine", "After"]
    assert mine.tasks.count() == 0
    titles = inbox.tasks.order_by("position").values_list("title", flat=True)
    assert list(titles) == ["kept first", "from their inbox"]
    below = user.tasks.get(title="below, in its parent's list")
    assert (below.list.name, below.parent.title) == ("Before", "top")


def test_a_hand_written_file_needs_no_keys_or_times(user, tmp_path):
    import_file(tmp_path, user, json.dumps({"version": 2, "tasks": [{"title": "t"}]}))

    task = user.tasks.get()
    assert task.list.is_inbox and task.parent is None


def document(lists=(), tasks=()) -> str:
    return json.dumps({"version": 2, "lists": list(lists), "tasks": list(tasks)})


A = {"key": 1, "name": "A"}
B = {"key": 2, "name": "B"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            document([A], [{"key": 1, "list": 9, "title": "t"}]),
            "line 1: list: no list has key 9.",
        ),
        (
            document([], [{"key": 1, "parent": 2, "title": "t"}]),
            "line 1: parent: no task has key 2.",
        ),
        (
            document(
                [],
                [
                    {"key": 1, "parent": 2, "title": "a"},
                    {"key": 2, "parent": 1, "title": "b"},
                ],
            ),
            "the tasks with keys 1, 2 are each other's parents (a cycle).",
        ),
        (
            document([], [{"key": 1, "parent": 1, "title": "a"}]),
            "the tasks with keys 1 are each other's parents (a cycle).",
        ),
        (
            document(
                [],
                [{"key": 1, "title": "1"}]
                + [{"key": n, "parent": n - 1, "title": str(n)} for n in range(2, 6)],
            ),
            "parent: subtasks nest at most 4 levels deep, counting the top; this "
            "one is on level 5.",
        ),
        (
            document(
                [A, B],
                [
                    {"key": 1, "list": 1, "title": "a"},
                    {"key": 2, "list": 2, "parent": 1, "title": "b"},
                ],
            ),
            "parent: the task with key 1 is in another list.",
        ),
        (
            document(
                [A], [{"key": 1, "list": 1, "title": "a"}, {"key": 1, "title": "b"}]
            ),
            "key: line 1 has the task key 1 too.",
        ),
        (document([A, {**B, "key": 1}]), "key: line 1 has the list key 1 too."),
        (
            document([{**A, "is_inbox": True}, {**B, "is_inbox": True}]),
            "is_inbox: a file has one inbox (line 1 is one).",
        ),
        (
            document([{**A, "is_inbox": True, "archived_at": "2025-01-01T00:00:00Z"}]),
            "is_inbox: The inbox is never archived or in the trash.",
        ),
        (document([{"key": 1, "name": "  "}]), "name: This field may not be blank."),
        (document([{"key": 1, "name": "A", "color": "red"}]), "color:"),
        (document([{"name": "A"}]), "key: This field is required."),
        (
            document(
                [
                    {
                        **A,
                        "created_at": "2025-01-02T00:00:00Z",
                        "updated_at": "2025-01-01T00:00:00Z",
                    }
                ]
            ),
            "updated_at: Must not be before created_at.",
        ),
    ],
)
def test_a_file_that_does_not_hold_together_imports_nothing(
    user, tmp_path, content, message
):
    inbox = TaskList.objects.inbox_of(user.pk)

    with pytest.raises(CommandError) as error:
        import_file(tmp_path, user, content)

    assert "nothing imported" in str(error.value)
    assert message in str(error.value)
    assert not user.tasks.exists()
    assert list(user.task_lists.all()) == [inbox]
    assert TaskList.objects.get(pk=inbox.pk).updated_at == inbox.updated_at


def test_an_import_past_the_lists_an_account_holds_imports_nothing(
    user, tmp_path, monkeypatch
):
    monkeypatch.setattr(importing, "LISTS_PER_USER", 3)
    TaskListFactory(owner=user)
    TaskListFactory(owner=user, deleted_at=LONG_AGO)  # in the trash: not counted
    trashed = {"key": 3, "name": "C", "deleted_at": "2025-01-01T00:00:00Z"}

    import_file(tmp_path, user, document([A, trashed]))  # the third, and one binned
    with pytest.raises(CommandError, match="at most 3 lists outside the trash"):
        import_file(tmp_path, user, document([B]))

    assert user.task_lists.count() == 5


def test_an_import_past_the_tasks_a_list_holds_imports_nothing(
    user, tmp_path, monkeypatch
):
    monkeypatch.setattr(importing, "TASKS_PER_LIST", 2)
    TaskFactory(owner=user)
    binned = {"title": "binned", "deleted_at": "2025-01-01T00:00:00Z"}

    import_file(tmp_path, user, document([], [{"title": "x"}, binned]))
    with pytest.raises(CommandError, match="the inbox has 2 and the file adds 1"):
        import_file(tmp_path, user, document([], [{"title": "y"}]))
    three = [{"list": 1, "title": str(n)} for n in range(3)]
    with pytest.raises(CommandError, match="at most 2 tasks outside the trash; th"):
        import_file(tmp_path, user, document([A], three))

    assert user.tasks.count() == 3


def test_an_import_past_the_subtasks_a_task_holds_imports_nothing(
    user, tmp_path, monkeypatch
):
    monkeypatch.setattr(importing, "CHILDREN_PER_TASK", 2)
    children = [{"parent": 1, "title": str(n)} for n in range(3)]

    with pytest.raises(CommandError, match="line 1: a task has at most 2 subtasks"):
        import_file(tmp_path, user, document([], [{"key": 1, "title": "p"}, *children]))
    assert not user.tasks.exists()


def test_an_import_keeps_the_files_times_for_its_lists(user, tmp_path):
    created = LONG_AGO.isoformat()
    updated = (LONG_AGO + timedelta(days=3)).isoformat()

    import_file(
        tmp_path,
        user,
        document([{**A, "created_at": created, "updated_at": updated}]),
    )

    made = user.task_lists.get(name="A")
    assert (made.created_at, made.updated_at) == (
        LONG_AGO,
        LONG_AGO + timedelta(days=3),
    )


def test_the_export_takes_the_same_queries_however_much_it_holds(auth_client, user):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert auth_client.get("/api/v1/export/").status_code == 200
        return len([q for q in captured if '"tasks_' in q["sql"]])

    TaskFactory(owner=user)
    few = queries()
    for task_list in TaskListFactory.create_batch(5, owner=user):
        for task in TaskFactory.create_batch(3, owner=user, list=task_list):
            TaskFactory(owner=user, parent=task)

    assert queries() == few == 3  # the lists, the tasks, the tags


def test_a_spreadsheet_names_lists_and_parents(user, tmp_path):
    content = (
        "key,list,parent,title\n"
        "1,Garden,,Beds\n"
        "2,,1,Weed them\n"  # no list: its parent's
        "3, Garden ,,Shed\n"  # one list for a name, spaces aside
        "4,,,Call Sam\n"  # the inbox
    )

    import_file(tmp_path, user, content, name="plan.csv")

    garden = user.task_lists.get(name="Garden")
    top = garden.tasks.filter(parent=None).order_by("position")
    assert list(top.values_list("title", flat=True)) == ["Beds", "Shed"]
    assert user.tasks.get(title="Weed them").parent.title == "Beds"
    assert user.tasks.get(title="Call Sam").list.is_inbox


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("title,list\na,  \n", "line 2: name: This field may not be blank."),
        ("key,title,parent\n1,a,\n2,b,3\n", "line 3: parent: no task has key 3."),
        ("key,title\n1,a\nx,b\n", "line 3: key: A valid integer is required."),
    ],
)
def test_a_spreadsheets_problems_name_their_lines(user, tmp_path, content, message):
    with pytest.raises(CommandError, match=message):
        import_file(tmp_path, user, content, name="plan.csv")
    assert not user.tasks.exists()
