"""Tasks in lists and under other tasks: where a new task goes, the limits, and
how completing, reopening, trashing and restoring follow the tree."""

from datetime import timedelta

import pytest
from django.utils import timezone

from api.tests.helpers import invalid_fields, problem
from tasks import services
from tasks.models import Task, TaskList
from tasks.tests.factories import TaskFactory, TaskListFactory
from tasks.tests.test_api import as_json

pytestmark = pytest.mark.django_db


def create(client, **fields) -> dict:
    response = client.post("/api/v1/tasks/", {"title": "t", **fields}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def inbox_of(user) -> TaskList:
    return TaskList.objects.get(owner=user, is_inbox=True)


def titles(client, query: str = "") -> list[str]:
    if "page_size" not in query:
        query = f"page_size=100&{query}"
    response = client.get(f"/api/v1/tasks/?{query}")
    assert response.status_code == 200, response.content
    return [task["title"] for task in response.json()["results"]]


def bulk(client, operations, atomic: bool = True):
    return client.post(
        "/api/v1/tasks/bulk/",
        {"operations": operations, "atomic": atomic},
        format="json",
    )


def fresh(task: Task) -> Task:
    return Task.objects.get(pk=task.pk)


@pytest.fixture
def tree(user) -> dict[str, Task]:
    """root > child > grandchild > leaf (four levels), root > sibling, in a list."""
    work = TaskListFactory(owner=user, name="Work")
    root = TaskFactory(owner=user, list=work, title="root")
    child = TaskFactory(owner=user, parent=root, title="child")
    grandchild = TaskFactory(owner=user, parent=child, title="grandchild")
    leaf = TaskFactory(owner=user, parent=grandchild, title="leaf")
    sibling = TaskFactory(owner=user, parent=root, title="sibling")
    return {
        "list": work,
        "root": root,
        "child": child,
        "grandchild": grandchild,
        "leaf": leaf,
        "sibling": sibling,
    }


# Where a new task goes


def test_a_task_created_without_a_list_goes_to_the_inbox(auth_client, user):
    body = create(auth_client, title="loose")

    task = Task.objects.get(pk=body["id"])
    assert body == as_json(task)
    assert body["list"] == inbox_of(user).pk
    assert body["parent"] is None
    assert body["subtask_count"] == {"open": 0, "total": 0}


def test_a_task_created_in_a_list_goes_there(auth_client, user):
    work = TaskListFactory(owner=user)

    body = create(auth_client, list=work.pk)

    assert body == as_json(Task.objects.get(pk=body["id"]))
    assert (body["list"], body["parent"]) == (work.pk, None)


@pytest.mark.parametrize("give_list", [False, True])
def test_a_subtask_goes_to_its_parents_list(auth_client, user, give_list):
    work = TaskListFactory(owner=user)
    parent = create(auth_client, list=work.pk, title="parent")
    fields = {"parent": parent["id"], **({"list": work.pk} if give_list else {})}

    body = create(auth_client, title="child", **fields)

    assert body == as_json(Task.objects.get(pk=body["id"]))
    assert (body["list"], body["parent"]) == (work.pk, parent["id"])
    assert auth_client.get(f"/api/v1/tasks/{parent['id']}/").json()[
        "subtask_count"
    ] == {"open": 1, "total": 1}


def test_new_tasks_go_last_among_their_siblings(auth_client, user):
    work = TaskListFactory(owner=user)
    first = create(auth_client, list=work.pk, title="first")
    kid_a = create(auth_client, parent=first["id"], title="kid a")
    second = create(auth_client, list=work.pk, title="second")
    kid_b = create(auth_client, parent=first["id"], title="kid b")
    third = create(auth_client, list=work.pk, title="third")

    assert first["position"] < second["position"] < third["position"]
    assert kid_a["position"] < kid_b["position"]
    query = f"list={work.pk}&ordering=position"
    assert titles(auth_client, f"{query}&parent=none") == ["first", "second", "third"]
    assert titles(auth_client, f"{query}&parent={first['id']}") == ["kid a", "kid b"]


def test_a_new_task_goes_last_even_after_its_siblings_were_reordered(auth_client, user):
    a, b = create(auth_client, title="a"), create(auth_client, title="b")
    moved = auth_client.post(
        f"/api/v1/tasks/{b['id']}/move/", {"after": None}, format="json"
    )
    assert moved.status_code == 200

    c = create(auth_client, title="c")

    assert c["position"] > a["position"] > moved.json()["position"]
    assert titles(auth_client, "ordering=position") == ["b", "a", "c"]


# Ids in the body go through the access rule

NO_SUCH = {"list": "No such list.", "parent": "No such task."}


def unreachable_ids(user, other_user, field: str) -> dict[str, int]:
    """Ids of a list (or task) of another user, a trashed one, a missing one."""
    if field == "list":
        theirs = TaskListFactory(owner=other_user)
        TaskFactory(owner=other_user, list=theirs)
        trashed = TaskListFactory(owner=user)
        TaskFactory(owner=user, list=trashed)
        services.trash_list(user=user, task_list=trashed)
        newest = TaskList.objects.order_by("-pk").first().pk
    else:
        theirs = TaskFactory(owner=other_user)
        TaskFactory(owner=other_user, parent=theirs)
        trashed = TaskFactory(owner=user)
        TaskFactory(owner=user, parent=trashed)
        trashed.move_to_trash()
        newest = Task.objects.order_by("-pk").first().pk
    return {"theirs": theirs.pk, "trashed": trashed.pk, "missing": newest + 1000}


def named_error(response) -> tuple[dict, list[tuple]]:
    """A 400's whole problem body, and its (field, message) pairs."""
    assert response.status_code == 400, response.content
    body = problem(response)
    return body, [(error["field"], error["message"]) for error in body["errors"]]


@pytest.mark.parametrize("field", ["list", "parent"])
@pytest.mark.parametrize("kind", ["theirs", "trashed"])
def test_another_users_or_a_trashed_list_or_parent_is_400_like_a_missing_one(
    auth_client, user, other_user, field, kind
):
    ids = unreachable_ids(user, other_user, field)
    before = Task.objects.count()

    refused = auth_client.post(
        "/api/v1/tasks/", {"title": "t", field: ids[kind]}, format="json"
    )
    missing = auth_client.post(
        "/api/v1/tasks/", {"title": "t", field: ids["missing"]}, format="json"
    )

    body, errors = named_error(refused)
    assert body == named_error(missing)[0]
    assert errors == [(field, NO_SUCH[field])]
    assert Task.objects.count() == before


@pytest.mark.parametrize("field", ["list", "parent"])
@pytest.mark.parametrize("value", ["1", 1.5, True, [1], {"id": 1}, 0, -1, 2**63])
def test_a_list_or_parent_must_be_an_id(auth_client, user, field, value):
    response = auth_client.post(
        "/api/v1/tasks/", {"title": "t", field: value}, format="json"
    )

    assert list(invalid_fields(response)) == [field]
    assert not Task.objects.exists()


def test_a_parent_in_another_list_than_the_one_given_is_400(auth_client, user):
    work, home = TaskListFactory(owner=user), TaskListFactory(owner=user)
    parent = TaskFactory(owner=user, list=work)

    response = auth_client.post(
        "/api/v1/tasks/",
        {"title": "t", "list": home.pk, "parent": parent.pk},
        format="json",
    )

    assert invalid_fields(response) == {
        "parent": ["This task is not in the list given."]
    }
    assert Task.objects.count() == 1


# Limits


def test_subtasks_nest_at_most_four_levels(auth_client, user):
    level = create(auth_client, title="1")
    for depth in (2, 3, 4):
        level = create(auth_client, title=str(depth), parent=level["id"])

    response = auth_client.post(
        "/api/v1/tasks/", {"title": "5", "parent": level["id"]}, format="json"
    )

    assert invalid_fields(response) == {
        "parent": ["Subtasks nest at most 4 levels deep, counting the top."]
    }
    assert Task.objects.count() == 4


def test_a_task_has_a_limited_number_of_subtasks(auth_client, user, monkeypatch):
    monkeypatch.setattr(services, "CHILDREN_PER_TASK", 2)
    parent = create(auth_client, title="parent")
    kids = [create(auth_client, parent=parent["id"]) for _ in range(2)]
    create(auth_client, parent=kids[0]["id"])  # a grandchild is not a child
    create(auth_client)  # the top level has no such limit
    create(auth_client)

    refused = auth_client.post(
        "/api/v1/tasks/", {"title": "3rd", "parent": parent["id"]}, format="json"
    )
    in_bulk = bulk(
        auth_client,
        [{"op": "create", "data": {"title": "3rd", "parent": parent["id"]}}],
    )
    auth_client.delete(f"/api/v1/tasks/{kids[1]['id']}/")  # the trash makes room
    after_trash = auth_client.post(
        "/api/v1/tasks/", {"title": "3rd", "parent": parent["id"]}, format="json"
    )

    assert invalid_fields(refused, 409) == {
        "parent": ["A task has at most 2 subtasks."]
    }
    assert invalid_fields(in_bulk, 409) == {
        "operations.0.parent": ["A task has at most 2 subtasks."]
    }
    assert after_trash.status_code == 201
    assert not Task.objects.filter(title="3rd").exclude(pk=after_trash.json()["id"])


def test_a_list_holds_a_limited_number_of_tasks(auth_client, user, monkeypatch):
    monkeypatch.setattr(services, "TASKS_PER_LIST", 3)
    work = TaskListFactory(owner=user)
    parent = create(auth_client, list=work.pk)
    create(auth_client, parent=parent["id"])  # subtasks count
    last = create(auth_client, list=work.pk)
    for _ in range(3):
        create(auth_client)  # the inbox is another list

    refused = auth_client.post(
        "/api/v1/tasks/", {"title": "4th", "list": work.pk}, format="json"
    )
    under = auth_client.post(
        "/api/v1/tasks/", {"title": "4th", "parent": parent["id"]}, format="json"
    )
    in_inbox = auth_client.post("/api/v1/tasks/", {"title": "4th"}, format="json")
    in_bulk = bulk(
        auth_client, [{"op": "create", "data": {"title": "4th", "list": work.pk}}]
    )
    auth_client.delete(f"/api/v1/tasks/{last['id']}/")  # the trash makes room
    after_trash = auth_client.post(
        "/api/v1/tasks/", {"title": "4th", "list": work.pk}, format="json"
    )

    message = ["A list holds at most 3 tasks."]
    assert invalid_fields(refused, 409) == {"list": message}
    assert invalid_fields(under, 409) == {"list": message}
    assert invalid_fields(in_inbox, 409) == {"list": message}
    assert invalid_fields(in_bulk, 409) == {"operations.0.list": message}
    assert after_trash.status_code == 201
    assert Task.objects.filter(list=work, deleted_at__isnull=True).count() == 3


def test_restoring_a_task_into_a_full_list_is_409(auth_client, user, monkeypatch):
    monkeypatch.setattr(services, "TASKS_PER_LIST", 2)
    work = TaskListFactory(owner=user)
    binned = create(auth_client, list=work.pk, title="binned")
    auth_client.delete(f"/api/v1/tasks/{binned['id']}/")
    create(auth_client, list=work.pk)
    create(auth_client, list=work.pk)

    response = auth_client.post(f"/api/v1/tasks/{binned['id']}/restore/")

    assert invalid_fields(response, 409) == {"list": ["A list holds at most 2 tasks."]}
    assert Task.objects.filter(list=work, deleted_at__isnull=True).count() == 2


# A task's list and parent change only by moving it


@pytest.mark.parametrize("method", ["patch", "put"])
@pytest.mark.parametrize("field", ["list", "parent"])
def test_a_change_to_another_list_or_parent_is_400_pointing_to_move(
    auth_client, user, method, field
):
    work = TaskListFactory(owner=user)
    parent = TaskFactory(owner=user, title="parent")
    task = TaskFactory(owner=user, title="task", parent=parent)
    other = {"list": work.pk, "parent": None}[field]
    before = as_json(task)

    response = getattr(auth_client, method)(
        f"/api/v1/tasks/{task.pk}/", {"title": "changed", field: other}, format="json"
    )

    assert invalid_fields(response) == {
        field: [f"Move a task with POST /api/v1/tasks/{task.pk}/move/."]
    }
    assert as_json(task) == before


@pytest.mark.parametrize("method", ["patch", "put"])
def test_a_change_naming_the_same_list_and_parent_is_accepted(
    auth_client, user, method
):
    work = TaskListFactory(owner=user)
    top = TaskFactory(owner=user, list=work, title="top")
    sub = TaskFactory(owner=user, parent=top, title="sub")

    kept_top = getattr(auth_client, method)(
        f"/api/v1/tasks/{top.pk}/",
        {"title": "top 2", "list": work.pk, "parent": None},
        format="json",
    )
    kept_sub = getattr(auth_client, method)(
        f"/api/v1/tasks/{sub.pk}/",
        {"title": "sub 2", "list": work.pk, "parent": top.pk},
        format="json",
    )

    assert kept_top.status_code == kept_sub.status_code == 200
    assert kept_top.json() == as_json(top)
    assert kept_sub.json() == as_json(sub)
    assert (kept_sub.json()["title"], kept_sub.json()["parent"]) == ("sub 2", top.pk)


def test_a_bulk_update_to_another_list_is_400_pointing_to_move(auth_client, user):
    work = TaskListFactory(owner=user)
    task = TaskFactory(owner=user)
    before = as_json(task)

    response = bulk(
        auth_client, [{"op": "update", "id": task.pk, "data": {"list": work.pk}}]
    )

    assert invalid_fields(response) == {
        "operations.0.list": [f"Move a task with POST /api/v1/tasks/{task.pk}/move/."]
    }
    assert as_json(task) == before


# subtask_count


def test_subtask_count_is_of_direct_subtasks_outside_the_trash(auth_client, user, tree):
    TaskFactory(owner=user, parent=tree["root"], completed=True)
    TaskFactory(owner=user, parent=tree["root"]).move_to_trash()

    root = auth_client.get(f"/api/v1/tasks/{tree['root'].pk}/").json()
    leaf = auth_client.get(f"/api/v1/tasks/{tree['leaf'].pk}/").json()
    listed = {
        task["id"]: task
        for task in auth_client.get(f"/api/v1/tasks/?list={tree['list'].pk}").json()[
            "results"
        ]
    }

    # child and sibling open, one completed; the trashed one and the
    # grandchildren are not counted.
    assert root["subtask_count"] == {"open": 2, "total": 3}
    assert leaf["subtask_count"] == {"open": 0, "total": 0}
    assert root == as_json(tree["root"])
    assert listed[tree["root"].pk] == root
    assert listed[tree["child"].pk]["subtask_count"] == {"open": 1, "total": 1}


# Completing and reopening


def test_completing_a_task_completes_its_open_subtasks_at_every_level(
    auth_client, user, tree
):
    done_before = timezone.now() - timedelta(days=2)
    TaskFactory(owner=user, parent=tree["root"], title="done")
    Task.objects.filter(title="done").update(completed=True, completed_at=done_before)
    before = timezone.now()

    response = auth_client.post(f"/api/v1/tasks/{tree['root'].pk}/complete/")

    assert response.status_code == 200
    assert response.json() == as_json(tree["root"])
    assert response.json()["subtask_count"] == {"open": 0, "total": 3}
    for name in ("root", "child", "grandchild", "leaf", "sibling"):
        task = fresh(tree[name])
        assert task.completed is True, name
        assert task.completed_at >= before, name
    assert Task.objects.get(title="done").completed_at == done_before
    assert titles(auth_client, "completed=false") == []


def test_completing_a_subtask_leaves_its_parent_and_siblings_open(
    auth_client, user, tree
):
    response = auth_client.post(f"/api/v1/tasks/{tree['child'].pk}/complete/")

    assert response.status_code == 200
    completed = set(Task.objects.filter(completed=True).values_list("title", flat=True))
    assert completed == {"child", "grandchild", "leaf"}


def test_reopening_a_subtask_reopens_its_completed_ancestors(auth_client, user, tree):
    auth_client.post(f"/api/v1/tasks/{tree['root'].pk}/complete/")

    response = auth_client.post(f"/api/v1/tasks/{tree['grandchild'].pk}/reopen/")

    assert response.status_code == 200
    assert response.json() == as_json(tree["grandchild"])
    open_now = set(Task.objects.filter(completed=False).values_list("title", flat=True))
    assert open_now == {"root", "child", "grandchild"}
    for name in ("root", "child"):
        assert fresh(tree[name]).completed_at is None
    # Not its subtasks, nor its parent's other subtasks.
    assert fresh(tree["leaf"]).completed is True
    assert fresh(tree["sibling"]).completed is True


@pytest.mark.parametrize("method", ["patch", "put"])
def test_completing_by_patch_or_put_completes_the_subtasks_too(
    auth_client, user, tree, method
):
    response = getattr(auth_client, method)(
        f"/api/v1/tasks/{tree['child'].pk}/",
        {"title": "child", "completed": True},
        format="json",
    )

    assert response.status_code == 200
    completed = set(Task.objects.filter(completed=True).values_list("title", flat=True))
    assert completed == {"child", "grandchild", "leaf"}


@pytest.mark.parametrize("method", ["patch", "put"])
def test_reopening_by_patch_or_put_reopens_the_ancestors_too(
    auth_client, user, tree, method
):
    auth_client.post(f"/api/v1/tasks/{tree['root'].pk}/complete/")

    response = getattr(auth_client, method)(
        f"/api/v1/tasks/{tree['grandchild'].pk}/",
        {"title": "grandchild", "completed": False},
        format="json",
    )

    assert response.status_code == 200
    open_now = set(Task.objects.filter(completed=False).values_list("title", flat=True))
    assert open_now == {"root", "child", "grandchild"}


# Trashing and restoring


def alive(user) -> set[str]:
    rows = Task.objects.filter(owner=user, deleted_at__isnull=True)
    return set(rows.values_list("title", flat=True))


def test_trashing_a_task_trashes_its_subtree(auth_client, user, tree):
    response = auth_client.delete(f"/api/v1/tasks/{tree['child'].pk}/")

    assert response.status_code == 204
    assert alive(user) == {"root", "sibling"}
    for name in ("child", "grandchild", "leaf"):
        assert auth_client.get(f"/api/v1/tasks/{tree[name].pk}/").status_code == 404
    assert titles(auth_client, f"list={tree['list'].pk}") == ["sibling", "root"]
    assert auth_client.get(f"/api/v1/tasks/{tree['root'].pk}/").json()[
        "subtask_count"
    ] == {"open": 1, "total": 1}


def test_restoring_a_task_brings_back_the_subtree_trashed_with_it(
    auth_client, user, tree
):
    auth_client.delete(f"/api/v1/tasks/{tree['leaf'].pk}/")  # earlier, alone
    auth_client.delete(f"/api/v1/tasks/{tree['child'].pk}/")

    response = auth_client.post(f"/api/v1/tasks/{tree['child'].pk}/restore/")

    assert response.status_code == 200
    assert response.json() == as_json(tree["child"])
    assert response.json()["subtask_count"] == {"open": 1, "total": 1}
    assert alive(user) == {"root", "child", "grandchild", "sibling"}
    assert fresh(tree["leaf"]).deleted_at is not None


def test_restoring_a_subtask_brings_back_its_trashed_ancestors(auth_client, user, tree):
    auth_client.delete(f"/api/v1/tasks/{tree['root'].pk}/")

    response = auth_client.post(f"/api/v1/tasks/{tree['grandchild'].pk}/restore/")

    assert response.status_code == 200
    assert {"root", "child", "grandchild", "leaf"} <= alive(user)
    for name in ("root", "child", "grandchild", "leaf"):
        assert auth_client.get(f"/api/v1/tasks/{tree[name].pk}/").status_code == 200


# Bulk operations follow the tree


def test_bulk_complete_reopen_and_delete_follow_the_tree(auth_client, user, tree):
    completed = bulk(auth_client, [{"op": "complete", "id": tree["root"].pk}])
    all_done = set(Task.objects.filter(completed=True).values_list("title", flat=True))
    reopened = bulk(auth_client, [{"op": "reopen", "id": tree["leaf"].pk}])
    open_now = set(Task.objects.filter(completed=False).values_list("title", flat=True))
    deleted = bulk(auth_client, [{"op": "delete", "id": tree["child"].pk}])

    assert [r.status_code for r in (completed, reopened, deleted)] == [200] * 3
    assert completed.json()["results"][0]["task"]["subtask_count"] == {
        "open": 0,
        "total": 2,
    }
    assert all_done == {"root", "child", "grandchild", "leaf", "sibling"}
    assert open_now == {"root", "child", "grandchild", "leaf"}
    assert alive(user) == {"root", "sibling"}


def test_bulk_operations_see_what_earlier_ones_did_to_the_tree(auth_client, user, tree):
    response = bulk(
        auth_client,
        [
            {"op": "complete", "id": tree["root"].pk},
            {"op": "reopen", "id": tree["leaf"].pk},
            {"op": "delete", "id": tree["grandchild"].pk},
            {"op": "update", "id": tree["child"].pk, "data": {"priority": "high"}},
        ],
    )

    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [result["status"] for result in results] == [200, 200, 204, 200]
    # The update answers the child as the reopen and the delete left it.
    assert results[3]["task"] == as_json(tree["child"])
    assert results[3]["task"]["completed"] is False
    assert results[3]["task"]["subtask_count"] == {"open": 0, "total": 0}
    assert alive(user) == {"root", "child", "sibling"}


def test_a_bulk_operation_on_a_subtask_trashed_with_its_parent_is_404(
    auth_client, user, tree
):
    atomic = bulk(
        auth_client,
        [
            {"op": "delete", "id": tree["child"].pk},
            {"op": "complete", "id": tree["leaf"].pk},
        ],
    )
    unchanged = alive(user)
    not_atomic = bulk(
        auth_client,
        [
            {"op": "delete", "id": tree["child"].pk},
            {"op": "complete", "id": tree["leaf"].pk},
        ],
        atomic=False,
    )

    assert atomic.status_code == 404
    assert unchanged == {"root", "child", "grandchild", "leaf", "sibling"}
    assert [r["status"] for r in not_atomic.json()["results"]] == [204, 404]
    assert alive(user) == {"root", "sibling"}
    assert fresh(tree["leaf"]).completed is False


def test_bulk_complete_includes_a_subtask_created_earlier_in_the_request(
    auth_client, user
):
    parent = TaskFactory(owner=user, title="parent")

    response = bulk(
        auth_client,
        [
            {"op": "create", "data": {"title": "kid", "parent": parent.pk}},
            {"op": "complete", "id": parent.pk},
        ],
    )

    assert response.status_code == 200, response.content
    assert response.json()["results"][1]["task"]["subtask_count"] == {
        "open": 0,
        "total": 1,
    }
    assert Task.objects.get(title="kid").completed is True


def test_bulk_delete_includes_a_subtask_created_earlier_in_the_request(
    auth_client, user
):
    parent = TaskFactory(owner=user, title="parent")

    response = bulk(
        auth_client,
        [
            {"op": "create", "data": {"title": "kid", "parent": parent.pk}},
            {"op": "delete", "id": parent.pk},
        ],
    )

    assert response.status_code == 200, response.content
    assert alive(user) == set()


# Filters


def test_the_parent_filter_lists_direct_subtasks(auth_client, user, tree):
    TaskFactory(owner=user, parent=tree["root"], title="trashed").move_to_trash()
    TaskFactory(owner=user, title="elsewhere")

    subtasks = titles(auth_client, f"parent={tree['root'].pk}&ordering=position")
    of_leaf = auth_client.get(f"/api/v1/tasks/?parent={tree['leaf'].pk}")

    assert subtasks == ["child", "sibling"]
    assert of_leaf.status_code == 200
    assert of_leaf.json()["count"] == 0


def test_parent_none_lists_top_level_tasks_only(auth_client, user, tree):
    TaskFactory(owner=user, title="in the inbox")

    everywhere = sorted(titles(auth_client, "parent=none"))
    in_list = titles(auth_client, f"parent=none&list={tree['list'].pk}")

    assert everywhere == ["in the inbox", "root"]
    assert in_list == ["root"]


def test_the_list_filter_lists_the_lists_tasks_at_every_level(auth_client, user, tree):
    TaskFactory(owner=user, title="in the inbox")
    TaskFactory(owner=user, list=tree["list"], title="trashed").move_to_trash()

    in_list = sorted(titles(auth_client, f"list={tree['list'].pk}"))
    in_inbox = titles(auth_client, f"list={inbox_of(user).pk}")
    none_completed = auth_client.get(
        f"/api/v1/tasks/?list={tree['list'].pk}&completed=true"
    )

    assert in_list == ["child", "grandchild", "leaf", "root", "sibling"]
    assert in_inbox == ["in the inbox"]
    assert none_completed.status_code == 200  # the list is there, none match
    assert none_completed.json()["results"] == []


@pytest.mark.parametrize("field", ["list", "parent"])
@pytest.mark.parametrize("kind", ["theirs", "trashed"])
def test_filtering_by_a_list_or_parent_one_does_not_have_is_400_like_a_missing_one(
    auth_client, user, other_user, field, kind
):
    ids = unreachable_ids(user, other_user, field)

    refused = auth_client.get(f"/api/v1/tasks/?{field}={ids[kind]}")
    missing = auth_client.get(f"/api/v1/tasks/?{field}={ids['missing']}")

    body, errors = named_error(refused)
    assert body == named_error(missing)[0]
    assert errors == [(field, NO_SUCH[field])]


@pytest.mark.parametrize(
    "query",
    [
        "list=abc",
        "list=0",
        "list=-1",
        "list=1.5",
        "parent=top",
        "parent=0",
        "parent=1.5",
    ],
)
def test_a_malformed_list_or_parent_filter_is_400(auth_client, user, query):
    TaskFactory(owner=user)

    response = auth_client.get(f"/api/v1/tasks/?{query}")

    assert list(invalid_fields(response)) == [query.split("=")[0]]


# Manual order


@pytest.mark.parametrize("optimizations", [True, False])
def test_ordering_by_position_is_the_manual_order_with_ties_by_id(
    auth_client, user, settings, optimizations
):
    settings.API_OPTIMIZATIONS = optimizations
    work = TaskListFactory(owner=user)
    tasks = [TaskFactory(owner=user, list=work, title=str(n)) for n in range(7)]
    # Keys as concurrent writers can leave them: some equal.
    keys = ["W", "V", "X", "V", "W", "V", "U"]
    for task, key in zip(tasks, keys, strict=True):
        Task.objects.filter(pk=task.pk).update(position=key)
    expected = [
        task.title for task in sorted(tasks, key=lambda t: (keys[tasks.index(t)], t.pk))
    ]
    query = f"list={work.pk}&ordering=position"

    whole = titles(auth_client, query)
    pages = [
        titles(auth_client, f"{query}&page_size=2&page={page}") for page in (1, 2, 3, 4)
    ]

    assert whole == expected
    assert [title for page in pages for title in page] == expected


@pytest.mark.parametrize("optimizations", [True, False])
def test_pages_in_manual_order_never_overlap_across_parents(
    auth_client, user, settings, optimizations
):
    settings.API_OPTIMIZATIONS = optimizations
    work = TaskListFactory(owner=user)
    parents = [TaskFactory(owner=user, list=work) for _ in range(3)]
    for parent in parents:
        TaskFactory.create_batch(3, owner=user, parent=parent)
    # Every sibling group starts at the same key: many ties across groups.
    query = f"/api/v1/tasks/?list={work.pk}&ordering=position&page_size=5"

    seen = []
    for page in (1, 2, 3):
        seen += [
            task["id"]
            for task in auth_client.get(f"{query}&page={page}").json()["results"]
        ]

    assert len(seen) == len(set(seen)) == 12
    in_order = Task.objects.filter(list=work).order_by("position", "id")
    assert seen == list(in_order.values_list("id", flat=True))
