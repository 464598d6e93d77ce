"""POST /api/v1/tasks/{id}/move/: manual order, other lists, other parents; the
rules it keeps, its cost, and concurrent moves."""

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.tests.helpers import at_once, bearer, invalid_fields, problem
from tasks import moves, positions, services
from tasks.models import Task, TaskList
from tasks.tests.factories import TaskFactory, TaskListFactory
from tasks.tests.test_api import as_json

pytestmark = pytest.mark.django_db


def move(client, task, **body):
    pk = task["id"] if isinstance(task, dict) else task.pk
    return client.post(f"/api/v1/tasks/{pk}/move/", body, format="json")


def order(client, task_list, parent="none") -> list[str]:
    """Titles of one sibling group, in manual order, as the API lists them."""
    response = client.get(
        f"/api/v1/tasks/?list={task_list.pk}&parent={parent}"
        "&ordering=position&page_size=100"
    )
    assert response.status_code == 200, response.content
    return [task["title"] for task in response.json()["results"]]


def stored(user) -> dict[str, tuple]:
    """Every task's list, parent and position, by title."""
    rows = Task.objects.filter(owner=user).values_list(
        "title", "list", "parent", "position", "deleted_at"
    )
    return {title: tuple(rest) for title, *rest in rows}


def listed(client, task_list) -> list[str]:
    """Titles of all of a list's tasks, at every level."""
    response = client.get(f"/api/v1/tasks/?list={task_list.pk}&page_size=100")
    assert response.status_code == 200
    return sorted(task["title"] for task in response.json()["results"])


def inbox_of(user) -> TaskList:
    return TaskList.objects.get(owner=user, is_inbox=True)


@pytest.fixture
def work(user) -> TaskList:
    return TaskListFactory(owner=user, name="Work")


@pytest.fixture
def row(user, work) -> dict[str, Task]:
    """Tasks a, b, c, d at the top level of Work, in that order."""
    return {name: TaskFactory(owner=user, list=work, title=name) for name in "abcd"}


# Within its siblings


@pytest.mark.parametrize(
    ("moved", "body", "expected"),
    [
        ("a", {"after": "c"}, "bcad"),
        ("d", {"after": "a"}, "adbc"),
        ("a", {"after": "d"}, "bcda"),
        ("d", {"before": "b"}, "adbc"),
        ("c", {"before": "a"}, "cabd"),
        ("a", {"before": "d"}, "bcad"),
        ("c", {"after": None}, "cabd"),
        ("a", {"after": None}, "abcd"),
        ("b", {"after": "a"}, "abcd"),
    ],
)
def test_a_task_moves_among_its_siblings(
    auth_client, user, work, row, moved, body, expected
):
    body = {name: row[value].pk if value else None for name, value in body.items()}
    before = stored(user)

    response = move(auth_client, row[moved], **body)

    assert response.status_code == 200, response.content
    assert response.json() == as_json(row[moved])
    assert "".join(order(auth_client, work)) == expected
    # One row written: the others keep their keys.
    after = stored(user)
    assert {name: after[name] for name in after if name != moved} == {
        name: before[name] for name in before if name != moved
    }


@pytest.mark.parametrize("body", [{}, {"list": "work"}, {"parent": None}])
def test_a_move_that_names_no_new_place_leaves_the_task_where_it_is(
    auth_client, user, work, row, body
):
    body = {name: work.pk if value == "work" else value for name, value in body.items()}
    before = stored(user)

    response = move(auth_client, row["b"], **body)

    assert response.status_code == 200
    assert response.json() == as_json(row["b"])
    assert stored(user) == before


def test_a_subtask_moved_with_after_only_stays_under_its_parent(
    auth_client, user, work, row
):
    kids = {
        name: TaskFactory(owner=user, parent=row["a"], title=name) for name in "xyz"
    }

    response = move(auth_client, kids["z"], after=None)

    assert response.status_code == 200
    assert (response.json()["list"], response.json()["parent"]) == (
        work.pk,
        row["a"].pk,
    )
    assert order(auth_client, work, parent=row["a"].pk) == ["z", "x", "y"]
    assert order(auth_client, work) == ["a", "b", "c", "d"]


# To another list or parent


@pytest.fixture
def home(user) -> TaskList:
    """Another list, holding h1 and h2."""
    home = TaskListFactory(owner=user, name="Home")
    for title in ("h1", "h2"):
        TaskFactory(owner=user, list=home, title=title)
    return home


@pytest.fixture
def branch(user, row) -> dict[str, Task]:
    """s, a subtask of a, with its subtask s1, and s1's subtask s2."""
    s = TaskFactory(owner=user, parent=row["a"], title="s")
    s1 = TaskFactory(owner=user, parent=s, title="s1")
    s2 = TaskFactory(owner=user, parent=s1, title="s2")
    return {"s": s, "s1": s1, "s2": s2}


def test_a_task_moved_to_another_list_goes_last_at_its_top_level_with_its_subtree(
    auth_client, user, work, row, home, branch
):
    before = stored(user)

    response = move(auth_client, branch["s"], list=home.pk)

    assert response.status_code == 200, response.content
    assert response.json() == as_json(branch["s"])
    assert (response.json()["list"], response.json()["parent"]) == (home.pk, None)
    assert order(auth_client, home) == ["h1", "h2", "s"]
    after = stored(user)
    for name in ("s1", "s2"):
        # Same row, same parent and key; only its list follows.
        assert after[name] == (home.pk, *before[name][1:])
        body = auth_client.get(f"/api/v1/tasks/{branch[name].pk}/").json()
        assert body == as_json(branch[name])
    assert listed(auth_client, home) == ["h1", "h2", "s", "s1", "s2"]
    assert listed(auth_client, work) == ["a", "b", "c", "d"]
    assert auth_client.get(f"/api/v1/tasks/{row['a'].pk}/").json()["subtask_count"] == {
        "open": 0,
        "total": 0,
    }
    counts = auth_client.get(f"/api/v1/lists/{home.pk}/").json()
    assert (counts["task_count"], counts["open_task_count"]) == (5, 5)


def test_a_task_moved_to_another_list_goes_where_after_says(
    auth_client, user, row, home
):
    h1 = Task.objects.get(title="h1")

    response = move(auth_client, row["b"], list=home.pk, after=h1.pk)

    assert response.status_code == 200
    assert order(auth_client, home) == ["h1", "b", "h2"]


def test_a_task_moved_under_a_new_parent_goes_last_among_its_subtasks(
    auth_client, user, work, row
):
    for name in ("x", "y"):
        TaskFactory(owner=user, parent=row["a"], title=name)
    d_kid = TaskFactory(owner=user, parent=row["d"], title="d kid")

    last = move(auth_client, row["d"], parent=row["a"].pk)
    first = move(auth_client, row["c"], parent=row["a"].pk, after=None)

    assert last.status_code == first.status_code == 200
    assert (last.json()["list"], last.json()["parent"]) == (work.pk, row["a"].pk)
    assert order(auth_client, work, parent=row["a"].pk) == ["c", "x", "y", "d"]
    assert order(auth_client, work) == ["a", "b"]
    assert Task.objects.get(pk=d_kid.pk).parent_id == row["d"].pk


def test_a_parent_in_another_list_takes_the_task_and_its_subtree_there(
    auth_client, user, work, row, home
):
    h2 = Task.objects.get(title="h2")
    kid = TaskFactory(owner=user, parent=row["b"], title="kid")
    grandkid = TaskFactory(owner=user, parent=kid, title="grandkid")

    response = move(auth_client, row["b"], parent=h2.pk)

    assert response.status_code == 200
    assert response.json() == as_json(row["b"])
    assert (response.json()["list"], response.json()["parent"]) == (home.pk, h2.pk)
    assert order(auth_client, home, parent=h2.pk) == ["b"]
    assert order(auth_client, work) == ["a", "c", "d"]
    for task in (kid, grandkid):
        assert Task.objects.get(pk=task.pk).list_id == home.pk


def test_parent_null_takes_a_subtask_to_the_end_of_its_lists_top_level(
    auth_client, user, work, row, branch
):
    response = move(auth_client, branch["s1"], parent=None)

    assert response.status_code == 200
    assert (response.json()["list"], response.json()["parent"]) == (work.pk, None)
    assert order(auth_client, work) == ["a", "b", "c", "d", "s1"]
    assert Task.objects.get(pk=branch["s2"].pk).parent_id == branch["s1"].pk


def test_a_parent_outside_the_list_given_is_400(auth_client, user, row, home):
    h1 = Task.objects.get(title="h1")
    before = stored(user)

    response = move(auth_client, row["a"], list=inbox_of(user).pk, parent=h1.pk)

    assert invalid_fields(response) == {
        "parent": ["This task is not in the list given."]
    }
    assert stored(user) == before


@pytest.mark.parametrize("target", ["a", "s", "s1", "s2"])
def test_a_task_cannot_go_under_itself_or_its_subtasks(
    auth_client, user, row, branch, target
):
    tasks = {**row, **branch}
    before = stored(user)

    response = move(auth_client, row["a"], parent=tasks[target].pk)

    assert invalid_fields(response) == {
        "parent": ["A task cannot go under itself or its subtasks."]
    }
    assert stored(user) == before


def test_a_move_past_four_levels_is_400(auth_client, user, work, row, branch):
    # a > s > s1 > s2 is four levels; b > m > m1 is three.
    m = TaskFactory(owner=user, parent=row["b"], title="m")
    TaskFactory(owner=user, parent=m, title="m1")
    before = stored(user)

    too_deep = [
        move(auth_client, m, parent=branch["s1"].pk),  # m1 at level 5
        move(auth_client, row["c"], parent=branch["s2"].pk),  # c at level 5
        move(auth_client, row["b"], parent=branch["s"].pk),  # m1 at level 5
    ]
    unchanged = stored(user)
    deepest = move(auth_client, m, parent=branch["s"].pk)  # m1 at level 4
    leaf = move(auth_client, row["c"], parent=branch["s1"].pk)  # c at level 4

    message = {"parent": ["Subtasks nest at most 4 levels deep, counting the top."]}
    for response in too_deep:
        assert invalid_fields(response) == message
    assert unchanged == before
    assert deepest.status_code == leaf.status_code == 200


# Ids in the body go through the access rule

NO_SUCH = {
    "list": "No such list.",
    "parent": "No such task.",
    "after": "No such task among the new neighbours.",
    "before": "No such task among the new neighbours.",
}


@pytest.mark.parametrize("field", ["list", "parent", "after", "before"])
def test_another_users_ids_are_400_like_missing_ones(
    auth_client, user, other_user, row, field
):
    their_list = TaskListFactory(owner=other_user)
    their_task = TaskFactory(owner=other_user, list=their_list)
    theirs = their_list.pk if field == "list" else their_task.pk
    missing = (TaskList if field == "list" else Task).objects.order_by("-pk")[0].pk
    before = stored(user)

    refused = move(auth_client, row["b"], **{field: theirs})
    nothing = move(auth_client, row["b"], **{field: missing + 1000})

    assert refused.status_code == nothing.status_code == 400
    body = problem(refused)
    assert body == problem(nothing)
    assert [(e["field"], e["message"]) for e in body["errors"]] == [
        (field, NO_SUCH[field])
    ]
    assert stored(user) == before
    assert Task.objects.get(pk=their_task.pk).list_id == their_list.pk


def test_a_list_in_the_trash_is_400_like_a_missing_one(auth_client, user, row):
    binned = TaskListFactory(owner=user, name="Binned")
    services.trash_list(user=user, task_list=binned)
    before = stored(user)

    response = move(auth_client, row["b"], list=binned.pk)

    assert invalid_fields(response) == {"list": ["No such list."]}
    assert stored(user) == before


def test_a_parent_in_the_trash_is_400_like_a_missing_one(auth_client, user, row):
    row["d"].move_to_trash()
    before = stored(user)

    response = move(auth_client, row["b"], parent=row["d"].pk)

    assert invalid_fields(response) == {"parent": ["No such task."]}
    assert stored(user) == before


def test_after_and_before_together_are_400(auth_client, user, row):
    before = stored(user)

    response = move(auth_client, row["a"], after=row["b"].pk, before=row["c"].pk)

    assert invalid_fields(response) == {"before": ["Give after or before, not both."]}
    assert stored(user) == before


@pytest.mark.parametrize("field", ["after", "before"])
@pytest.mark.parametrize("anchor", ["subtask", "parent", "other list", "old sibling"])
def test_an_anchor_that_is_not_a_new_sibling_is_400(
    auth_client, user, row, home, branch, field, anchor
):
    anchors = {
        "subtask": branch["s"].pk,  # under a, not beside b
        "parent": row["a"].pk,  # moving s: its parent is no sibling
        "other list": Task.objects.get(title="h1").pk,
        "old sibling": row["c"].pk,  # b moving to Home
    }
    moved = branch["s"] if anchor == "parent" else row["b"]
    body = {field: anchors[anchor]}
    if anchor == "old sibling":
        body["list"] = home.pk
    before = stored(user)

    response = move(auth_client, moved, **body)

    assert invalid_fields(response) == {field: [NO_SUCH[field]]}
    assert stored(user) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"list": "Work"}, "list"),
        ({"list": None}, "list"),
        ({"list": True}, "list"),
        ({"parent": "none"}, "parent"),
        ({"parent": 1.5}, "parent"),
        ({"after": "first"}, "after"),
        ({"after": [1]}, "after"),
        ({"before": None}, "before"),
        ({"before": 0}, "before"),
    ],
)
def test_a_malformed_move_is_400(auth_client, user, row, body, field):
    before = stored(user)

    response = move(auth_client, row["b"], **body)

    assert list(invalid_fields(response)) == [field]
    assert stored(user) == before


def test_another_users_task_cannot_be_moved(other_client, user, row):
    before = stored(user)
    missing = Task.objects.order_by("-pk")[0].pk + 1000

    theirs = move(other_client, row["b"], after=None)
    nothing = move(other_client, {"id": missing}, after=None)

    assert theirs.status_code == nothing.status_code == 404
    assert problem(theirs) == problem(nothing)
    assert stored(user) == before


def test_a_move_requires_authentication(api_client, user, row):
    before = stored(user)

    response = move(api_client, row["b"], after=None)

    assert response.status_code == 401
    assert stored(user) == before


# Limits


def test_a_move_under_a_parent_with_all_its_subtasks_is_409(
    auth_client, user, work, row, monkeypatch
):
    monkeypatch.setattr(services, "CHILDREN_PER_TASK", 2)
    for name in ("x", "y"):
        TaskFactory(owner=user, parent=row["a"], title=name)
    before = stored(user)

    refused = move(auth_client, row["b"], parent=row["a"].pk)
    reorder = move(auth_client, Task.objects.get(title="y"), after=None)

    assert invalid_fields(refused, 409) == {
        "parent": ["A task has at most 2 subtasks."]
    }
    assert reorder.status_code == 200  # among the same siblings: room enough
    assert stored(user)["b"] == before["b"]


def test_a_move_into_a_full_list_counts_the_whole_subtree(
    auth_client, user, row, home, branch, monkeypatch
):
    monkeypatch.setattr(services, "TASKS_PER_LIST", 4)  # Home holds 2
    before = stored(user)

    three = move(auth_client, branch["s"], list=home.pk)  # s, s1, s2
    unchanged = stored(user)
    two = move(auth_client, branch["s1"], list=home.pk)  # s1, s2: exactly 4
    one_more = move(auth_client, row["b"], list=home.pk)
    auth_client.delete(f"/api/v1/tasks/{Task.objects.get(title='h1').pk}/")
    after_trash = move(auth_client, row["b"], list=home.pk)

    message = {"list": ["A list holds at most 4 tasks."]}
    assert invalid_fields(three, 409) == message
    assert unchanged == before
    assert two.status_code == 200
    assert invalid_fields(one_more, 409) == message
    assert after_trash.status_code == 200


# Many moves: one consistent order, short keys


def positions_of(user) -> list[str]:
    return list(Task.objects.filter(owner=user).values_list("position", flat=True))


@pytest.mark.parametrize("after", [None, "last"])
def test_many_moves_to_either_end_keep_one_order_and_short_keys(
    auth_client, user, work, after
):
    tasks = [TaskFactory(owner=user, list=work, title=str(n)) for n in range(5)]
    expected = [task.title for task in tasks]

    for _ in range(200):
        if after is None:  # the last one first
            moved = expected.pop()
            expected.insert(0, moved)
            body = {"after": None}
        else:  # the first one last
            moved = expected.pop(0)
            body = {"after": Task.objects.get(title=expected[-1]).pk}
            expected.append(moved)
        response = move(auth_client, Task.objects.get(title=moved), **body)
        assert response.status_code == 200

    keys = positions_of(user)
    assert order(auth_client, work) == expected
    assert len(set(keys)) == len(keys)
    assert max(len(key) for key in keys) <= positions.MAX_LENGTH


def test_moves_into_one_gap_again_and_again_rebalance_only_that_group(
    auth_client, user, work, home
):
    a, b, c, d = (TaskFactory(owner=user, list=work, title=name) for name in "abcd")
    kid = TaskFactory(owner=user, parent=a, title="kid")
    elsewhere = dict(
        Task.objects.exclude(list=work, parent=None).values_list("pk", "position")
    )
    moves = 330
    # Without a rebalance, keys put again and again right after "a" would
    # outgrow the limit in this many moves.
    low, high = a.position, b.position
    for _ in range(moves):
        high = positions.key_between(low, high)
    assert len(high) > positions.MAX_LENGTH
    expected = ["a", "b", "c", "d"]

    longest = 0
    for step in range(moves):
        moved = expected[-1] if step % 2 else expected[2]
        expected.remove(moved)
        expected.insert(1, moved)
        tasks = {task.title: task for task in (b, c, d)}
        response = move(auth_client, tasks[moved], after=a.pk)
        assert response.status_code == 200
        key = response.json()["position"]
        longest = max(longest, len(key))
        if step % 55 == 0:
            assert order(auth_client, work) == expected

    keys = list(
        Task.objects.filter(list=work, parent=None).values_list("position", flat=True)
    )
    assert order(auth_client, work) == expected
    assert len(set(keys)) == 4
    assert longest <= positions.MAX_LENGTH
    assert max(len(key) for key in keys) <= positions.MAX_LENGTH
    # The other groups kept their keys: kid under a, the Home list.
    assert (
        dict(Task.objects.exclude(list=work, parent=None).values_list("pk", "position"))
        == elsewhere
    )
    assert kid.pk in elsewhere


# Conditional requests


def test_a_stale_if_match_on_a_move_is_412_and_moves_nothing(auth_client, user, row):
    path = f"/api/v1/tasks/{row['a'].pk}/"
    stale = auth_client.get(path)["ETag"]
    auth_client.patch(path, {"title": "a2"}, format="json")
    before = stored(user)

    response = auth_client.post(
        path + "move/", {"after": row["c"].pk}, format="json", HTTP_IF_MATCH=stale
    )
    unmoved = stored(user)
    current = auth_client.get(path)["ETag"]
    allowed = auth_client.post(
        path + "move/", {"after": row["c"].pk}, format="json", HTTP_IF_MATCH=current
    )

    assert response.status_code == 412
    assert unmoved == before
    assert allowed.status_code == 200
    assert allowed["ETag"] != current


# Query budgets (the token's own reads are not counted: they name no tasks_
# table, and production reads the token from a cache)


def task_statements(queries) -> list[str]:
    """The statements that read or write tasks and lists. SQLite takes the
    owner's change number in a statement of its own; PostgreSQL takes it inside
    the UPDATE: either way, one write."""
    return [
        query["sql"]
        for query in queries
        if '"tasks_' in query["sql"] and '"tasks_changeclock"' not in query["sql"]
    ]


def grow(user, task: Task, children: int) -> None:
    """Give `task` this many subtasks, each with a subtask of its own."""
    for _ in range(children):
        TaskFactory(owner=user, parent=TaskFactory(owner=user, parent=task))


@pytest.mark.parametrize("subtree", [0, 30])
@pytest.mark.parametrize("body", [{"after": "c"}, {"after": None}, {"before": "d"}])
def test_a_move_among_siblings_takes_at_most_four_queries_whatever_the_subtree(
    auth_client, user, work, row, optimized, subtree, body
):
    grow(user, row["a"], subtree)
    body = {name: row[value].pk if value else None for name, value in body.items()}

    with CaptureQueriesContext(connection) as queries:
        response = move(auth_client, row["a"], **body)

    assert response.status_code == 200
    statements = task_statements(queries)
    assert len(statements) <= 4, statements
    # The task with its list locked, the neighbour, the write.
    assert len(statements) == 3, statements


def test_a_move_to_another_list_costs_the_same_whatever_the_subtree(
    auth_client, user, row, home, optimized
):
    grow(user, row["a"], 30)
    TaskFactory(owner=user, parent=row["b"])
    costs = []
    for task in (row["b"], row["a"]):  # 2 tasks, then 61
        with CaptureQueriesContext(connection) as queries:
            response = move(auth_client, task, list=home.pk)
        assert response.status_code == 200
        costs.append(len(task_statements(queries)))

    assert Task.objects.filter(list=home).count() == 2 + 2 + 61
    # The task, both lists locked, one aggregate (the new place's room and
    # last key, the subtree's size and depth), one write for all of them.
    assert costs == [4, 4]


@pytest.mark.parametrize("anchor", [{}, {"after": None}, {"before": "c"}])
def test_a_move_under_a_new_parent_takes_four_queries_whatever_the_subtree(
    auth_client, user, row, home, optimized, anchor
):
    grow(user, row["a"], 10)
    TaskFactory(owner=user, parent=row["b"])
    TaskFactory(owner=user, parent=row["b"])
    anchor = {
        name: Task.objects.filter(parent=row["b"]).first().pk if value else None
        for name, value in anchor.items()
    }
    with CaptureQueriesContext(connection) as queries:
        response = move(auth_client, row["a"], parent=row["b"].pk, **anchor)

    assert response.status_code == 200
    # The task, the lists locked (the new parent's found by a subquery), one
    # aggregate (the parent and its ancestors, the new siblings and the
    # anchor's neighbour, the subtree), the write.
    assert len(task_statements(queries)) == 4
    assert Task.objects.get(pk=row["a"].pk).parent_id == row["b"].pk


@pytest.mark.parametrize("page", [1, 2])
def test_a_list_in_manual_order_takes_at_most_two_queries(
    auth_client, user, work, row, optimized, page
):
    for task in row.values():
        grow(user, task, 3)
    TaskFactory.create_batch(5, owner=user)  # in the inbox

    with CaptureQueriesContext(connection) as queries:
        response = auth_client.get(
            f"/api/v1/tasks/?list={work.pk}&ordering=position&page_size=10&page={page}"
        )

    assert response.status_code == 200
    assert response.json()["count"] == 4 + 4 * 6
    assert len(response.json()["results"]) == 10
    statements = task_statements(queries)
    assert len(statements) <= 2, statements


def test_the_lists_take_at_most_two_queries_whatever_their_number(
    auth_client, user, optimized
):
    costs = []
    for count in (1, 30):
        for task_list in TaskListFactory.create_batch(count, owner=user):
            TaskFactory.create_batch(2, owner=user, list=task_list)
        with CaptureQueriesContext(connection) as queries:
            response = auth_client.get("/api/v1/lists/?page_size=100")
        assert response.status_code == 200
        costs.append(task_statements(queries))

    assert len(response.json()["results"]) == 32
    assert all(item["task_count"] == 2 for item in response.json()["results"][1:])
    assert len(costs[1]) <= 2, costs[1]
    assert len(costs[0]) == len(costs[1])


# Concurrent writers (PostgreSQL: SQLite runs one writer at a time)

ON_POSTGRESQL = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite runs one writer at a time"
)


def slowed(monkeypatch, module, name: str) -> None:
    """Make module.<name> slow, so that concurrent requests overlap between
    reading a group's keys and writing a new one."""
    real = getattr(module, name)

    def slow(*args, **kwargs):
        result = real(*args, **kwargs)
        time.sleep(0.2)
        return result

    monkeypatch.setattr(module, name, slow)


def keys_in(task_list, parent=None) -> list[tuple[str, str]]:
    """(title, key) of a sibling group outside the trash, in manual order."""
    rows = Task.objects.filter(list=task_list, parent=parent, deleted_at=None)
    return list(rows.order_by("position", "pk").values_list("title", "position"))


@pytest.mark.django_db(transaction=True)
@ON_POSTGRESQL
@pytest.mark.parametrize("after", ["t0", None])
def test_concurrent_moves_to_one_spot_leave_one_consistent_order(
    user, login, monkeypatch, after
):
    work = TaskListFactory(owner=user)
    tasks = [TaskFactory(owner=user, list=work, title=f"t{n}") for n in range(8)]
    anchor = tasks[0].pk if after else None
    token = login(user)
    slowed(monkeypatch, moves, "position_among")

    statuses = at_once(
        *[
            lambda task=task: move(bearer(token), task, after=anchor)
            for task in tasks[4:]
        ]
    )

    assert statuses == [200] * 4
    keys = keys_in(work)
    titles = [title for title, _ in keys]
    # No duplicate key, no task lost.
    assert len({key for _, key in keys}) == len(keys) == 8
    assert sorted(titles) == sorted(task.title for task in tasks)
    moved = titles[1:5] if after else titles[:4]
    assert sorted(moved) == ["t4", "t5", "t6", "t7"]
    assert [title for title in titles if title not in moved] == ["t0", "t1", "t2", "t3"]
    # The API lists them in the same order.
    client = bearer(token)
    assert order(client, work) == titles


@pytest.mark.django_db(transaction=True)
@ON_POSTGRESQL
def test_concurrent_moves_of_neighbours_keep_every_task_once(user, login, monkeypatch):
    # Each moves next to a task another is moving at the same time.
    work = TaskListFactory(owner=user)
    tasks = [TaskFactory(owner=user, list=work, title=f"t{n}") for n in range(6)]
    token = login(user)
    slowed(monkeypatch, moves, "position_among")
    pairs = [(0, 5), (5, 1), (1, 4), (4, 0)]  # (moved, after)

    statuses = at_once(
        *[
            lambda moved=moved, anchor=anchor: move(
                bearer(token), tasks[moved], after=tasks[anchor].pk
            )
            for moved, anchor in pairs
        ]
    )

    assert statuses == [200] * 4
    keys = keys_in(work)
    assert len({key for _, key in keys}) == len(keys) == 6
    assert sorted(title for title, _ in keys) == [f"t{n}" for n in range(6)]
    assert order(bearer(token), work) == [title for title, _ in keys]


@pytest.mark.django_db(transaction=True)
@ON_POSTGRESQL
@pytest.mark.parametrize("under", [False, True])
def test_concurrent_creates_in_one_list_get_distinct_keys(
    user, login, monkeypatch, under
):
    work = TaskListFactory(owner=user)
    parent = TaskFactory(owner=user, list=work, title="parent")
    TaskFactory(owner=user, list=work, title="existing")
    token = login(user)
    slowed(monkeypatch, services, "_group")
    body = {"parent": parent.pk} if under else {"list": work.pk}

    statuses = at_once(
        *[
            lambda n=n: bearer(token).post(
                "/api/v1/tasks/", {"title": f"new {n}", **body}, format="json"
            )
            for n in range(5)
        ]
    )

    assert statuses == [201] * 5
    keys = keys_in(work, parent=parent if under else None)
    assert len({key for _, key in keys}) == len(keys) == (5 if under else 7)
    new = [title for title, _ in keys if title.startswith("new")]
    assert sorted(new) == [f"new {n}" for n in range(5)]
    if not under:  # after the tasks that were there
        assert [title for title, _ in keys[:2]] == ["parent", "existing"]


@pytest.mark.django_db(transaction=True)
@ON_POSTGRESQL
def test_concurrent_moves_between_two_lists_both_ways_both_succeed(
    user, login, monkeypatch
):
    one, two = TaskListFactory(owner=user), TaskListFactory(owner=user)
    there = [TaskFactory(owner=user, list=one, title=f"one {n}") for n in range(3)]
    back = [TaskFactory(owner=user, list=two, title=f"two {n}") for n in range(3)]
    token = login(user)
    slowed(monkeypatch, moves, "_stats")

    statuses = at_once(
        *[lambda task=task: move(bearer(token), task, list=two.pk) for task in there],
        *[lambda task=task: move(bearer(token), task, list=one.pk) for task in back],
    )

    assert statuses == [200] * 6
    for task_list in (one, two):
        keys = keys_in(task_list)
        assert len({key for _, key in keys}) == len(keys) == 3
    assert sorted(title for title, _ in keys_in(one)) == ["two 0", "two 1", "two 2"]
