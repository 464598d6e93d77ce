"""/api/v1/lists/: the inbox, validation, archiving, the trash, order and limits."""

import pytest
from rest_framework.test import APIClient

from api.models import IdempotencyKey
from api.tests.helpers import NOT_FOUND, invalid_fields, problem
from tasks import services
from tasks.models import Task, TaskList
from tasks.tests.factories import TaskFactory, TaskListFactory
from tasks.tests.test_api import as_json as task_json
from users.models import User

pytestmark = pytest.mark.django_db


def iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def as_json(task_list: TaskList) -> dict:
    """A list as the API should show it, read from the database."""
    task_list.refresh_from_db()
    tasks = Task.objects.filter(list=task_list, deleted_at__isnull=True)
    return {
        "id": task_list.id,
        "name": task_list.name,
        "color": task_list.color,
        "position": task_list.position,
        "is_inbox": task_list.is_inbox,
        "archived": task_list.archived_at is not None,
        "archived_at": iso(task_list.archived_at),
        "task_count": tasks.count(),
        "open_task_count": tasks.filter(completed=False).count(),
        "created_at": iso(task_list.created_at),
        "updated_at": iso(task_list.updated_at),
    }


def create_list(client, **fields) -> dict:
    response = client.post("/api/v1/lists/", {"name": "Work", **fields}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def inbox_of(user) -> TaskList:
    return TaskList.objects.get(owner=user, is_inbox=True)


def listed(client, query: str = "") -> list[str]:
    response = client.get(f"/api/v1/lists/?{query}")
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()["results"]]


def task_titles(client, query: str = "") -> list[str]:
    response = client.get(f"/api/v1/tasks/?page_size=100&{query}")
    assert response.status_code == 200, response.content
    return sorted(task["title"] for task in response.json()["results"])


def path(task_list) -> str:
    pk = task_list["id"] if isinstance(task_list, dict) else task_list.pk
    return f"/api/v1/lists/{pk}/"


# The inbox


def test_a_new_account_starts_with_exactly_one_inbox(api_client):
    registered = api_client.post(
        "/api/v1/auth/register/",
        {
            "username": "alice",
            "email": "alice@example.com",
            "password": "orange-tractor-sings-42",
        },
    )
    assert registered.status_code == 201
    login = api_client.post(
        "/api/v1/auth/login/",
        {"username": "alice", "password": "orange-tractor-sings-42"},
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['token']}")

    body = client.get("/api/v1/lists/").json()

    inbox = inbox_of(User.objects.get(username="alice"))
    assert body["count"] == 1
    assert body["results"] == [as_json(inbox)]
    assert (inbox.name, inbox.is_inbox, inbox.color) == ("Inbox", True, None)


def test_every_account_has_its_own_inbox(auth_client, other_client, user, other_user):
    mine = auth_client.get("/api/v1/lists/").json()["results"]
    theirs = other_client.get("/api/v1/lists/").json()["results"]

    assert [item["id"] for item in mine] == [inbox_of(user).pk]
    assert [item["id"] for item in theirs] == [inbox_of(other_user).pk]
    assert mine[0]["id"] != theirs[0]["id"]


def test_the_inbox_can_be_renamed_and_recoloured(auth_client, user):
    inbox = inbox_of(user)

    response = auth_client.patch(
        path(inbox), {"name": " Stuff ", "color": "#112233"}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == as_json(inbox)
    assert (response.json()["name"], response.json()["is_inbox"]) == ("Stuff", True)
    assert TaskList.objects.filter(owner=user, is_inbox=True).count() == 1


@pytest.mark.parametrize(
    ("method", "suffix", "detail"),
    [
        ("delete", "", "The inbox cannot be deleted."),
        ("post", "archive/", "The inbox cannot be archived."),
    ],
)
def test_the_inbox_is_never_archived_or_deleted(
    auth_client, user, method, suffix, detail
):
    inbox = inbox_of(user)
    TaskFactory(owner=user, title="kept")
    before = as_json(inbox)

    response = getattr(auth_client, method)(path(inbox) + suffix)

    assert response.status_code == 409
    assert problem(response) == {
        "type": "urn:todo:problem:conflict",
        "title": "Conflict with stored data",
        "status": 409,
        "detail": detail,
        "code": "conflict",
    }
    assert as_json(inbox) == before
    assert listed(auth_client) == ["Inbox"]
    assert task_titles(auth_client) == ["kept"]


def test_no_request_makes_a_second_inbox(auth_client, user):
    made = create_list(auth_client, name="Fake", is_inbox=True)
    other = create_list(auth_client, name="Other")
    patched = auth_client.patch(path(other), {"is_inbox": True}, format="json")

    assert made["is_inbox"] is False
    assert patched.status_code == 200
    assert patched.json()["is_inbox"] is False
    assert list(TaskList.objects.filter(owner=user, is_inbox=True)) == [inbox_of(user)]


# Creating and changing lists


def test_create_returns_201_with_the_list_and_its_location(auth_client, user):
    response = auth_client.post(
        "/api/v1/lists/", {"name": "  Groceries  ", "color": "#A1b2C3"}, format="json"
    )

    assert response.status_code == 201
    created = TaskList.objects.get(owner=user, is_inbox=False)
    assert response.json() == as_json(created)
    assert response.json()["name"] == "Groceries"
    assert response.json()["color"] == "#A1b2C3"
    assert response.json()["task_count"] == response.json()["open_task_count"] == 0
    assert response["Location"] == f"http://testserver/api/v1/lists/{created.pk}/"
    assert auth_client.get(path(created)).json() == response.json()


def test_new_lists_go_last_and_names_may_repeat(auth_client, user):
    first = create_list(auth_client, name="Same")
    second = create_list(auth_client, name="Same")

    assert first["id"] != second["id"]
    assert inbox_of(user).position < first["position"] < second["position"]
    assert listed(auth_client) == ["Inbox", "Same", "Same"]


@pytest.mark.parametrize(
    ("fields", "stored"),
    [
        ({"name": "x" * 120}, ("x" * 120, None)),
        ({"name": "a", "color": None}, ("a", None)),
        ({"name": "a", "color": "#000000"}, ("a", "#000000")),
        ({"name": "a", "color": "#abcdef"}, ("a", "#abcdef")),
        ({"name": "\tTabbed\n"}, ("Tabbed", None)),
    ],
)
def test_valid_names_and_colours_are_stored(auth_client, user, fields, stored):
    response = auth_client.post("/api/v1/lists/", fields, format="json")

    assert response.status_code == 201, response.content
    created = TaskList.objects.get(pk=response.json()["id"])
    assert (created.name, created.color) == stored


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   \t\n"}, "name"),
        ({"name": None}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"name": 7}, "name"),
        ({"name": ["a"]}, "name"),
        ({"name": "a", "color": "red"}, "color"),
        ({"name": "a", "color": "#abc"}, "color"),
        ({"name": "a", "color": "aabbcc"}, "color"),
        ({"name": "a", "color": "#GGGGGG"}, "color"),
        ({"name": "a", "color": "#aabbcc0"}, "color"),
        ({"name": "a", "color": "#aabbc\n"}, "color"),
        ({"name": "a", "color": ""}, "color"),
        ({"name": "a", "color": 0xAABBCC}, "color"),
    ],
)
def test_bad_names_and_colours_are_400_and_create_nothing(
    auth_client, user, fields, field
):
    response = auth_client.post("/api/v1/lists/", fields, format="json")

    assert list(invalid_fields(response)) == [field]
    assert TaskList.objects.filter(owner=user).count() == 1  # the inbox


def test_server_fields_in_a_body_are_ignored(auth_client, user):
    server_fields = {
        "id": 98765,
        "position": "0",
        "is_inbox": True,
        "archived": True,
        "archived_at": "2001-01-01T00:00:00Z",
        "task_count": 9,
        "open_task_count": 9,
        "created_at": "2001-01-01T00:00:00Z",
        "updated_at": "2001-01-01T00:00:00Z",
        "owner": 12345,
    }

    created = create_list(auth_client, name="Mine", **server_fields)
    patched = auth_client.patch(path(created), server_fields, format="json")

    task_list = TaskList.objects.get(pk=created["id"])
    assert created["id"] != 98765
    assert task_list.owner == user
    assert patched.status_code == 200
    assert patched.json() == as_json(task_list)
    assert patched.json()["position"] == created["position"]
    assert patched.json()["created_at"] == created["created_at"]
    assert (task_list.is_inbox, task_list.archived_at) == (False, None)
    assert task_list.position != "0"


def test_patch_changes_only_what_it_sends_and_put_resets_the_colour(auth_client):
    created = create_list(auth_client, name="Work", color="#123456")

    renamed = auth_client.patch(path(created), {"name": " Job "}, format="json")
    recoloured = auth_client.patch(path(created), {"color": None}, format="json")
    auth_client.patch(path(created), {"color": "#654321"}, format="json")
    replaced = auth_client.put(path(created), {"name": "Replaced"}, format="json")

    assert (renamed.json()["name"], renamed.json()["color"]) == ("Job", "#123456")
    assert (recoloured.json()["name"], recoloured.json()["color"]) == ("Job", None)
    assert (replaced.json()["name"], replaced.json()["color"]) == ("Replaced", None)
    assert auth_client.get(path(created)).json() == replaced.json()


@pytest.mark.parametrize(
    ("method", "body", "field"),
    [
        ("patch", {"name": " "}, "name"),
        ("patch", {"name": "x" * 121}, "name"),
        ("patch", {"color": "blue"}, "color"),
        ("put", {"color": "#123456"}, "name"),
    ],
)
def test_a_bad_change_is_400_and_changes_nothing(auth_client, method, body, field):
    created = create_list(auth_client, name="Work", color="#123456")
    before = auth_client.get(path(created)).json()

    response = getattr(auth_client, method)(path(created), body, format="json")

    assert list(invalid_fields(response)) == [field]
    assert auth_client.get(path(created)).json() == before


# Reading lists


def test_lists_are_paginated_like_tasks_in_their_order(auth_client, user):
    lists = TaskListFactory.create_batch(24, owner=user)

    first = auth_client.get("/api/v1/lists/").json()
    second = auth_client.get("/api/v1/lists/?page=2").json()
    small = auth_client.get("/api/v1/lists/?page_size=5&page=2").json()

    in_order = [inbox_of(user).pk, *(task_list.pk for task_list in lists)]
    assert set(first) == {"count", "next", "previous", "results"}
    assert first["count"] == second["count"] == 25
    assert first["next"] == "http://testserver/api/v1/lists/?page=2"
    assert second["next"] is None
    assert [item["id"] for item in first["results"] + second["results"]] == in_order
    assert [item["id"] for item in small["results"]] == in_order[5:10]


def test_list_items_are_exactly_what_the_detail_shows(auth_client, user):
    work = TaskListFactory(owner=user, color="#00ff00")
    parent = TaskFactory(owner=user, list=work)
    TaskFactory(owner=user, parent=parent, completed=True)
    TaskFactory(owner=user, list=work).move_to_trash()
    TaskFactory(owner=user)

    items = auth_client.get("/api/v1/lists/").json()["results"]

    assert items == [as_json(inbox_of(user)), as_json(work)]
    for item in items:
        assert auth_client.get(path(item)).json() == item


def test_counts_are_of_tasks_outside_the_trash_subtasks_included(auth_client, user):
    work = TaskListFactory(owner=user)
    parent = TaskFactory(owner=user, list=work)
    TaskFactory(owner=user, parent=parent)
    TaskFactory(owner=user, parent=parent, completed=True)
    TaskFactory(owner=user, list=work, completed=True)
    TaskFactory(owner=user, list=work).move_to_trash()
    TaskFactory(owner=user)  # in the inbox

    body = auth_client.get(path(work)).json()

    assert (body["task_count"], body["open_task_count"]) == (4, 2)


def test_the_lists_leave_out_other_users_lists(auth_client, user, other_user):
    TaskListFactory.create_batch(3, owner=other_user)
    mine = TaskListFactory(owner=user, name="Mine")

    body = auth_client.get("/api/v1/lists/").json()

    assert body["count"] == 2
    assert [item["id"] for item in body["results"]] == [inbox_of(user).pk, mine.pk]


def test_archived_true_lists_only_the_archived_lists(auth_client, user):
    TaskListFactory(owner=user, name="Active")
    shelved = TaskListFactory(owner=user, name="Shelved")
    assert auth_client.post(path(shelved) + "archive/").status_code == 200

    assert listed(auth_client, "archived=true") == ["Shelved"]
    assert listed(auth_client, "archived=false") == ["Inbox", "Active"]
    assert auth_client.get(path(shelved)).json() == as_json(shelved)


def test_archived_lists_are_left_out_unless_asked_for(auth_client, user):
    TaskListFactory(owner=user, name="Active")
    shelved = TaskListFactory(owner=user, name="Shelved")
    assert auth_client.post(path(shelved) + "archive/").status_code == 200

    body = auth_client.get("/api/v1/lists/").json()

    assert [item["name"] for item in body["results"]] == ["Inbox", "Active"]
    assert body["count"] == 2


@pytest.mark.parametrize("query", ["archived=yes", "archived=1", "archived=TRUE"])
def test_a_bad_archived_filter_is_400(auth_client, query):
    response = auth_client.get(f"/api/v1/lists/?{query}")

    assert list(invalid_fields(response)) == ["archived"]


def test_an_empty_archived_filter_is_400_not_ignored(auth_client):
    response = auth_client.get("/api/v1/lists/?archived=")

    assert invalid_fields(response) == {
        "archived": ["May not be empty; leave it out instead."]
    }


# Another user's list answers as a missing one

LIST_CALLS = [
    ("get", "", None),
    ("put", "", {"name": "stolen"}),
    ("patch", "", {"name": "stolen"}),
    ("delete", "", None),
    ("post", "archive/", None),
    ("post", "unarchive/", None),
    ("post", "move/", {"after": None}),
    ("post", "restore/", None),
]


@pytest.mark.parametrize(("method", "suffix", "body"), LIST_CALLS)
def test_another_users_list_answers_exactly_like_a_missing_one(
    other_client, user, method, suffix, body
):
    task_list = TaskListFactory(owner=user)
    TaskFactory(owner=user, list=task_list)
    before = as_json(task_list)
    missing = TaskList.objects.order_by("-pk").first().pk + 1000

    theirs = getattr(other_client, method)(
        path(task_list) + suffix, body, format="json"
    )
    nothing = getattr(other_client, method)(
        f"/api/v1/lists/{missing}/{suffix}", body, format="json"
    )

    assert theirs.status_code == nothing.status_code == 404
    assert problem(theirs) == NOT_FOUND
    assert problem(nothing) == NOT_FOUND
    assert as_json(task_list) == before


@pytest.mark.parametrize(("method", "suffix", "body"), LIST_CALLS)
def test_list_endpoints_require_authentication(api_client, user, method, suffix, body):
    task_list = TaskListFactory(owner=user)
    before = as_json(task_list)

    response = getattr(api_client, method)(
        path(task_list) + suffix, body, format="json"
    )

    assert response.status_code == 401
    assert as_json(task_list) == before


# Archiving


def test_archive_and_unarchive_are_safe_to_retry(auth_client, user):
    task_list = TaskListFactory(owner=user)
    TaskFactory(owner=user, list=task_list)

    archived = auth_client.post(path(task_list) + "archive/")
    again = auth_client.post(path(task_list) + "archive/")
    unarchived = auth_client.post(path(task_list) + "unarchive/")
    unarchived_again = auth_client.post(path(task_list) + "unarchive/")

    assert archived.status_code == again.status_code == 200
    assert archived.json()["archived"] is True
    assert archived.json()["archived_at"] is not None
    assert again.json() == archived.json()  # the first archived_at, kept
    assert unarchived.status_code == unarchived_again.status_code == 200
    assert unarchived.json()["archived"] is False
    assert unarchived.json()["archived_at"] is None
    assert unarchived_again.json() == unarchived.json()
    assert unarchived.json() == as_json(task_list)
    assert unarchived.json()["task_count"] == 1


@pytest.mark.parametrize(
    ("method", "body"), [("patch", {"name": "renamed"}), ("put", {"name": "renamed"})]
)
def test_an_archived_list_cannot_be_changed(auth_client, user, method, body):
    task_list = TaskListFactory(owner=user, name="Old")
    auth_client.post(path(task_list) + "archive/")
    before = as_json(task_list)

    response = getattr(auth_client, method)(path(task_list), body, format="json")

    assert response.status_code == 409
    body = problem(response)
    assert body["code"] == "conflict"
    assert body["detail"] == (
        'The list "Old" is archived: unarchive it to change it or its tasks.'
    )
    assert as_json(task_list) == before


@pytest.fixture
def shelved(auth_client, user) -> dict:
    """An archived list holding a parent with a subtask, and a task that was in
    the trash before the list was archived."""
    task_list = TaskListFactory(owner=user, name="Shelved")
    parent = TaskFactory(owner=user, list=task_list, title="parent")
    child = TaskFactory(owner=user, parent=parent, title="child", completed=True)
    binned = TaskFactory(owner=user, list=task_list, title="binned")
    binned.move_to_trash()
    assert auth_client.post(path(task_list) + "archive/").status_code == 200
    return {"list": task_list, "parent": parent, "child": child, "binned": binned}


def frozen(user) -> list[tuple]:
    """Every task of the user as stored, to show that nothing changed."""
    return list(
        Task.objects.filter(owner=user)
        .order_by("pk")
        .values_list(
            "pk",
            "list",
            "parent",
            "position",
            "title",
            "completed",
            "deleted_at",
            "updated_at",
        )
    )


TASK_WRITES = [
    ("patch", "parent", "", {"title": "changed"}),
    ("put", "parent", "", {"title": "changed"}),
    ("delete", "parent", "", None),
    ("post", "parent", "complete/", None),
    ("post", "child", "reopen/", None),
    ("post", "binned", "restore/", None),
    ("post", "parent", "move/", {"after": None}),
    ("post", "child", "move/", {"parent": None}),
    ("post", "parent", "move/", {"list": "inbox"}),
]


@pytest.mark.parametrize(("method", "task", "suffix", "body"), TASK_WRITES)
def test_every_write_to_an_archived_lists_task_is_409(
    auth_client, user, shelved, method, task, suffix, body
):
    if body and body.get("list") == "inbox":
        body = {"list": inbox_of(user).pk}
    before = frozen(user)

    response = getattr(auth_client, method)(
        f"/api/v1/tasks/{shelved[task].pk}/{suffix}", body, format="json"
    )

    assert response.status_code == 409, response.content
    assert problem(response) == {
        "type": "urn:todo:problem:conflict",
        "title": "Conflict with stored data",
        "status": 409,
        "detail": 'The list "Shelved" is archived: unarchive it to change it or '
        "its tasks.",
        "code": "conflict",
    }
    assert frozen(user) == before


@pytest.mark.parametrize(
    "names",
    [{"list": "list"}, {"parent": "parent"}, {"list": "list", "parent": "child"}],
)
def test_no_task_can_be_created_in_an_archived_list(auth_client, user, shelved, names):
    body = {
        "title": "new",
        **{field: shelved[name].pk for field, name in names.items()},
    }
    before = frozen(user)

    response = auth_client.post("/api/v1/tasks/", body, format="json")

    assert response.status_code == 409, response.content
    assert problem(response)["code"] == "conflict"
    assert frozen(user) == before


def test_no_task_moves_into_an_archived_list(auth_client, user, shelved):
    outside = TaskFactory(owner=user, title="outside")
    before = frozen(user)

    into = auth_client.post(
        f"/api/v1/tasks/{outside.pk}/move/",
        {"list": shelved["list"].pk},
        format="json",
    )
    under = auth_client.post(
        f"/api/v1/tasks/{outside.pk}/move/",
        {"parent": shelved["parent"].pk},
        format="json",
    )

    assert into.status_code == under.status_code == 409
    assert problem(into)["code"] == problem(under)["code"] == "conflict"
    assert frozen(user) == before


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "update", "id": "parent", "data": {"title": "changed"}},
        {"op": "complete", "id": "parent"},
        {"op": "reopen", "id": "child"},
        {"op": "delete", "id": "child"},
        {"op": "create", "data": {"title": "new", "list": "list"}},
        {"op": "create", "data": {"title": "new", "parent": "parent"}},
    ],
)
@pytest.mark.parametrize("atomic", [True, False])
def test_bulk_operations_on_an_archived_list_are_409(
    auth_client, user, shelved, operation, atomic
):
    operation = dict(operation)
    if "id" in operation:
        operation["id"] = shelved[operation["id"]].pk
    if "data" in operation:
        operation["data"] = {
            name: shelved[value].pk if name in ("list", "parent") else value
            for name, value in operation["data"].items()
        }
    elsewhere = TaskFactory(owner=user, title="elsewhere")
    before = frozen(user)

    response = auth_client.post(
        "/api/v1/tasks/bulk/",
        {
            "operations": [
                {"op": "update", "id": elsewhere.pk, "data": {"title": "changed"}},
                operation,
            ],
            "atomic": atomic,
        },
        format="json",
    )

    if atomic:
        assert list(invalid_fields(response, 409)) == ["operations.1"]
        assert frozen(user) == before
    else:
        assert response.status_code == 200
        results = response.json()["results"]
        assert [result["status"] for result in results] == [200, 409]
        assert [error["code"] for error in results[1]["errors"]] == ["conflict"]
        after = {row[0]: row for row in frozen(user)}
        for row in before:
            if row[0] != elsewhere.pk:
                assert after[row[0]] == row


def test_an_archived_lists_tasks_can_still_be_read(auth_client, shelved):
    parent = shelved["parent"]

    response = auth_client.get(f"/api/v1/tasks/{parent.pk}/")

    assert response.status_code == 200
    assert response.json() == task_json(parent)


def test_an_archived_lists_tasks_leave_the_task_list_unless_it_is_asked_for(
    auth_client, user, shelved
):
    TaskFactory(owner=user, title="inbox task")
    list_id = shelved["list"].pk

    everything = task_titles(auth_client)
    searched = task_titles(auth_client, "search=parent")
    top_level = task_titles(auth_client, "parent=none")
    asked_for = task_titles(auth_client, f"list={list_id}")
    in_order = task_titles(auth_client, f"list={list_id}&ordering=position")
    auth_client.post(path(shelved["list"]) + "unarchive/")
    after_unarchive = task_titles(auth_client)

    assert everything == ["inbox task"]
    assert searched == []
    assert top_level == ["inbox task"]
    assert asked_for == in_order == ["child", "parent"]
    assert after_unarchive == ["child", "inbox task", "parent"]


def test_unarchiving_makes_the_tasks_writable_again(auth_client, shelved):
    auth_client.post(path(shelved["list"]) + "unarchive/")

    response = auth_client.post(f"/api/v1/tasks/{shelved['parent'].pk}/complete/")

    assert response.status_code == 200
    assert response.json()["completed"] is True


# The trash


@pytest.fixture
def filled(user) -> dict:
    """A list with a parent and its subtask, a task trashed before the list,
    and a task in the inbox."""
    task_list = TaskListFactory(owner=user, name="Filled")
    parent = TaskFactory(owner=user, list=task_list, title="parent")
    child = TaskFactory(owner=user, parent=parent, title="child")
    earlier = TaskFactory(owner=user, list=task_list, title="earlier")
    earlier.move_to_trash()
    outside = TaskFactory(owner=user, title="outside")
    return {
        "list": task_list,
        "parent": parent,
        "child": child,
        "earlier": earlier,
        "outside": outside,
    }


def trashed_titles(user) -> list[str]:
    rows = Task.objects.filter(owner=user, deleted_at__isnull=False)
    return sorted(rows.values_list("title", flat=True))


def test_deleting_a_list_trashes_it_with_its_tasks(auth_client, user, filled):
    task_list = filled["list"]

    response = auth_client.delete(path(task_list))

    assert response.status_code == 204
    assert auth_client.get(path(task_list)).status_code == 404
    assert listed(auth_client) == ["Inbox"]
    assert task_titles(auth_client) == ["outside"]
    for name in ("parent", "child"):
        assert auth_client.get(f"/api/v1/tasks/{filled[name].pk}/").status_code == 404
    assert trashed_titles(user) == ["child", "earlier", "parent"]
    trash = auth_client.get("/api/v1/trash/").json()["results"]
    assert [(item["type"], item["id"]) for item in trash] == [("list", task_list.pk)]
    assert TaskList.objects.get(pk=task_list.pk).deleted_at is not None


def test_a_trashed_list_answers_404_but_to_restore(auth_client, user, filled):
    task_list = filled["list"]
    auth_client.delete(path(task_list))

    calls = [
        auth_client.get(path(task_list)),
        auth_client.patch(path(task_list), {"name": "x"}, format="json"),
        auth_client.delete(path(task_list)),
        auth_client.post(path(task_list) + "archive/"),
        auth_client.post(path(task_list) + "move/", {"after": None}, format="json"),
    ]

    assert [call.status_code for call in calls] == [404] * len(calls)
    assert TaskList.objects.get(pk=task_list.pk).name == "Filled"


def test_a_trashed_list_cannot_be_asked_for_in_the_task_list(auth_client, filled):
    auth_client.delete(path(filled["list"]))

    response = auth_client.get(f"/api/v1/tasks/?list={filled['list'].pk}")

    assert invalid_fields(response) == {"list": ["No such list."]}


def test_restoring_a_list_brings_back_exactly_the_tasks_trashed_with_it(
    auth_client, user, filled
):
    task_list = filled["list"]
    auth_client.delete(path(task_list))

    restored = auth_client.post(path(task_list) + "restore/")
    again = auth_client.post(path(task_list) + "restore/")

    assert restored.status_code == again.status_code == 200
    assert restored.json() == as_json(task_list)
    assert again.json() == restored.json()
    assert (restored.json()["task_count"], restored.json()["open_task_count"]) == (2, 2)
    assert listed(auth_client) == ["Inbox", "Filled"]
    assert task_titles(auth_client) == ["child", "outside", "parent"]
    assert trashed_titles(user) == ["earlier"]
    trash = auth_client.get("/api/v1/trash/").json()["results"]
    assert [(item["type"], item["id"]) for item in trash] == [
        ("task", filled["earlier"].pk)
    ]
    assert auth_client.get(f"/api/v1/tasks/{filled['child'].pk}/").json() == (
        task_json(filled["child"])
    )


def test_restoring_a_list_that_is_not_in_the_trash_changes_nothing(auth_client, filled):
    before = as_json(filled["list"])

    response = auth_client.post(path(filled["list"]) + "restore/")

    assert response.status_code == 200
    assert response.json() == before
    assert as_json(filled["list"]) == before


@pytest.mark.parametrize("task", ["parent", "earlier"])
def test_a_task_whose_list_is_in_the_trash_cannot_be_restored_alone(
    auth_client, user, filled, task
):
    auth_client.delete(path(filled["list"]))
    before = frozen(user)

    response = auth_client.post(f"/api/v1/tasks/{filled[task].pk}/restore/")

    assert response.status_code == 409
    assert problem(response) == {
        "type": "urn:todo:problem:conflict",
        "title": "Conflict with stored data",
        "status": 409,
        "detail": 'Its list "Filled" is in the trash: restore the list.',
        "code": "conflict",
    }
    assert frozen(user) == before


# Order


def names_in_order(client) -> list[str]:
    return listed(client, "page_size=100")


@pytest.fixture
def abc(auth_client) -> dict[str, int]:
    return {name: create_list(auth_client, name=name)["id"] for name in "ABC"}


def test_a_list_moved_with_after_null_goes_first(auth_client, abc):
    response = auth_client.post(
        f"/api/v1/lists/{abc['C']}/move/", {"after": None}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == as_json(TaskList.objects.get(pk=abc["C"]))
    assert names_in_order(auth_client) == ["C", "Inbox", "A", "B"]


def test_a_list_moved_after_the_last_goes_last(auth_client, abc):
    response = auth_client.post(
        f"/api/v1/lists/{abc['A']}/move/", {"after": abc["C"]}, format="json"
    )

    assert response.status_code == 200
    assert names_in_order(auth_client) == ["Inbox", "B", "C", "A"]


def test_a_list_moved_after_another_goes_right_after_it(auth_client, user, abc):
    moves = [("C", "A"), ("A", "Inbox"), ("B", "C"), ("Inbox", "B")]
    expected = [
        ["Inbox", "A", "C", "B"],
        ["Inbox", "A", "C", "B"],
        ["Inbox", "A", "C", "B"],
        ["A", "C", "B", "Inbox"],
    ]
    ids = {**abc, "Inbox": inbox_of(user).pk}
    orders = []
    for moved, anchor in moves:
        response = auth_client.post(
            f"/api/v1/lists/{ids[moved]}/move/", {"after": ids[anchor]}, format="json"
        )
        assert response.status_code == 200
        orders.append(names_in_order(auth_client))
    positions = list(
        TaskList.objects.filter(pk__in=ids.values()).values_list("position", flat=True)
    )

    assert orders == expected
    assert len(set(positions)) == len(positions)


@pytest.mark.parametrize("anchor", ["theirs", "missing", "itself"])
def test_a_list_moves_only_after_another_of_ones_own_lists(
    auth_client, user, other_user, abc, anchor
):
    ids = {
        "theirs": TaskListFactory(owner=other_user).pk,
        "missing": TaskList.objects.order_by("-pk").first().pk + 1000,
        "itself": abc["B"],
    }
    before = names_in_order(auth_client)

    response = auth_client.post(
        f"/api/v1/lists/{abc['B']}/move/", {"after": ids[anchor]}, format="json"
    )

    assert invalid_fields(response) == {
        "after": ["No such list among the new neighbours."]
    }
    assert names_in_order(auth_client) == before


@pytest.mark.parametrize("body", [{}, {"after": "A"}, {"after": True}, {"after": 0}])
def test_a_list_move_needs_after_as_an_id_or_null(auth_client, abc, body):
    response = auth_client.post(f"/api/v1/lists/{abc['B']}/move/", body, format="json")

    assert list(invalid_fields(response)) == ["after"]
    assert names_in_order(auth_client) == ["Inbox", "A", "B", "C"]


# Limits


def test_an_account_holds_a_limited_number_of_lists(auth_client, user, monkeypatch):
    monkeypatch.setattr(services, "LISTS_PER_USER", 3)
    create_list(auth_client, name="A")
    archived = create_list(auth_client, name="B")  # the third, with the inbox
    auth_client.post(path(archived) + "archive/")

    refused = auth_client.post("/api/v1/lists/", {"name": "C"}, format="json")

    assert invalid_fields(refused, 409) == {None: ["An account holds at most 3 lists."]}
    assert TaskList.objects.filter(owner=user).count() == 3


def test_a_list_in_the_trash_leaves_room_for_another(auth_client, user, monkeypatch):
    monkeypatch.setattr(services, "LISTS_PER_USER", 2)
    binned = create_list(auth_client, name="A")
    assert auth_client.post("/api/v1/lists/", {"name": "B"}).status_code == 409

    auth_client.delete(path(binned))
    response = auth_client.post("/api/v1/lists/", {"name": "B"}, format="json")

    assert response.status_code == 201


def test_restoring_a_list_past_the_limit_is_409(auth_client, user, monkeypatch):
    monkeypatch.setattr(services, "LISTS_PER_USER", 2)
    binned = create_list(auth_client, name="A")
    auth_client.delete(path(binned))
    create_list(auth_client, name="B")

    response = auth_client.post(path(binned) + "restore/")

    assert invalid_fields(response, 409) == {
        None: ["An account holds at most 2 lists."]
    }
    assert TaskList.objects.filter(owner=user, deleted_at__isnull=True).count() == 2


# ETags and idempotency

LIST_WRITES = [
    ("patch", "", {"name": "changed"}),
    ("put", "", {"name": "changed"}),
    ("delete", "", None),
    ("post", "archive/", None),
    ("post", "move/", {"after": None}),
]


@pytest.mark.parametrize(("method", "suffix", "body"), LIST_WRITES)
def test_a_stale_if_match_on_a_list_is_412_and_changes_nothing(
    auth_client, user, method, suffix, body
):
    task_list = TaskListFactory(owner=user, name="original")
    stale = auth_client.get(path(task_list))["ETag"]
    auth_client.patch(path(task_list), {"color": "#123456"}, format="json")
    before = as_json(task_list)

    response = getattr(auth_client, method)(
        path(task_list) + suffix, body, format="json", HTTP_IF_MATCH=stale
    )

    assert response.status_code == 412
    assert "If-Match" in problem(response)["detail"]
    assert as_json(task_list) == before


@pytest.mark.parametrize(("method", "suffix", "body"), LIST_WRITES)
def test_a_current_if_match_on_a_list_lets_the_write_through(
    auth_client, user, method, suffix, body
):
    task_list = TaskListFactory(owner=user, name="original")
    current = auth_client.get(path(task_list))["ETag"]
    before = TaskList.objects.get(pk=task_list.pk).updated_at

    response = getattr(auth_client, method)(
        path(task_list) + suffix, body, format="json", HTTP_IF_MATCH=current
    )

    assert response.status_code in (200, 204)
    # The write happened: every one of these saves the list.
    assert TaskList.objects.get(pk=task_list.pk).updated_at > before


def test_a_list_has_an_etag_that_changes_with_it(auth_client, user):
    task_list = TaskListFactory(owner=user)
    read = auth_client.get(path(task_list))

    not_modified = auth_client.get(path(task_list), HTTP_IF_NONE_MATCH=read["ETag"])
    changed = auth_client.patch(path(task_list), {"name": "new"}, format="json")

    assert read["ETag"].startswith('"')
    assert not_modified.status_code == 304
    assert changed["ETag"] != read["ETag"]
    assert auth_client.get(path(task_list))["ETag"] == changed["ETag"]


def test_a_retried_list_create_replays_the_first_answer(auth_client, user):
    def send():
        return auth_client.post(
            "/api/v1/lists/",
            {"name": "Once", "color": "#123456"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="list-1",
        )

    first, retry = send(), send()

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Location"] == first["Location"]
    assert retry["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert TaskList.objects.filter(owner=user, name="Once").count() == 1
    assert IdempotencyKey.objects.count() == 1
