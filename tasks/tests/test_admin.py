import json

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from knox.models import AuthToken

from tasks import services, sync
from tasks.admin.changelist import EstimatedCountPaginator
from tasks.models import Priority, Tag, Task, TaskList
from tasks.tags import tags_named
from tasks.tests.factories import TaskFactory, TaskListFactory
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def statements(queries) -> list[str]:
    return [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]


@pytest.mark.parametrize(
    "path", ["/admin/tasks/task/", "/admin/tasks/tasklist/", "/admin/users/user/"]
)
def test_changelists_make_the_same_queries_whatever_the_page_size(
    operator_client, path
):
    TaskFactory.create_batch(5)
    with CaptureQueriesContext(connection) as few:
        assert operator_client.get(path).status_code == 200
    TaskFactory.create_batch(60)
    with CaptureQueriesContext(connection) as many:
        response = operator_client.get(path)

    assert response.status_code == 200
    assert len(statements(many)) == len(statements(few))


def test_task_changelist_search_finds_by_title_description_and_owner(operator_client):
    alice = UserFactory(username="alice", email="alice@corp.example")
    by_title = TaskFactory(title="Quarterly zebra report")
    by_description = TaskFactory(description="Feed the zebra")
    by_owner = TaskFactory(owner=alice, title="Something")
    TaskFactory(title="Unrelated")

    def found(query: str) -> set[int]:
        response = operator_client.get("/admin/tasks/task/", {"q": query})
        return {task.pk for task in response.context["cl"].result_list}

    assert found("zebra") == {by_title.pk, by_description.pk}
    assert found("alice") == {by_owner.pk}
    assert found("corp.example") == {by_owner.pk}


@pytest.mark.parametrize("query", ['"passport', "'s", '"quoted words"', "'"])
def test_task_changelist_search_survives_quotes(operator_client, query):
    TaskFactory(title="quoted words here")

    response = operator_client.get("/admin/tasks/task/", {"q": query})

    assert response.status_code == 200


def test_unfiltered_task_list_on_a_big_postgres_table_skips_count(
    operator_client, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("the estimate comes from PostgreSQL's statistics")
    TaskFactory.create_batch(30)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tasks_task")
    monkeypatch.setattr(EstimatedCountPaginator, "threshold", 10)

    with CaptureQueriesContext(connection) as queries:
        response = operator_client.get("/admin/tasks/task/")
        filtered = operator_client.get("/admin/tasks/task/", {"completed__exact": 0})

    sql = [q["sql"] for q in queries]
    assert response.context["cl"].result_count == 30  # the estimate, exact here
    assert not any("COUNT(*)" in s and "WHERE" not in s for s in sql)
    assert any("reltuples" in s for s in sql)
    assert filtered.context["cl"].result_count == 30  # counted: it has a filter


def test_small_tables_are_counted_exactly(operator_client):
    TaskFactory.create_batch(3)

    response = operator_client.get("/admin/tasks/task/")

    assert response.context["cl"].result_count == 3


def test_admin_keeps_a_description_exactly_as_written(operator_client):
    task = TaskFactory(description="  indented\n")

    operator_client.post(
        f"/admin/tasks/task/{task.pk}/change/",
        {
            "owner": task.owner.pk,
            "title": task.title,
            "description": "  indented\n",
            "completed": "on",
            "priority": 0,
        },
    )

    task.refresh_from_db()
    assert task.completed
    assert task.description == "  indented\n"


def test_task_changelist_filters_by_completed(operator_client):
    done = TaskFactory(completed=True)
    TaskFactory(completed=False)

    response = operator_client.get("/admin/tasks/task/", {"completed__exact": "1"})

    assert [task.pk for task in response.context["cl"].result_list] == [done.pk]


@pytest.mark.parametrize(
    ("action", "start", "expected"),
    [("mark_completed", False, True), ("mark_not_completed", True, False)],
)
def test_bulk_actions_keep_completed_at_right(operator_client, action, start, expected):
    tasks = TaskFactory.create_batch(3, completed=start)
    already = TaskFactory(completed=expected)
    first_completion = already.completed_at

    response = operator_client.post(
        "/admin/tasks/task/",
        {"action": action, "_selected_action": [t.pk for t in [*tasks, already]]},
        follow=True,
    )

    assert response.status_code == 200
    for task in Task.objects.filter(pk__in=[t.pk for t in tasks]):
        assert task.completed is expected
        assert (task.completed_at is not None) is expected
    already.refresh_from_db()
    assert already.completed_at == first_completion  # untouched
    assert "3 tasks" in response.content.decode()


def act(client: Client, action: str, tasks) -> list[str]:
    """Run a changelist action on `tasks`; the messages it left."""
    response = client.post(
        "/admin/tasks/task/",
        {"action": action, "_selected_action": [task.pk for task in tasks]},
        follow=True,
    )
    assert response.status_code == 200
    return [str(message) for message in response.context["messages"]]


def test_completing_a_task_in_the_admin_completes_its_subtasks(operator_client):
    parent = TaskFactory()
    child = TaskFactory(owner=parent.owner, parent=parent)
    grandchild = TaskFactory(owner=parent.owner, parent=child)
    bystander = TaskFactory(owner=parent.owner)

    said = act(operator_client, "mark_completed", [parent])

    assert said == ["Marked 1 task completed (3 with their subtasks)."]
    for task in (parent, child, grandchild):
        task.refresh_from_db()
        assert task.completed and task.completed_at is not None
    bystander.refresh_from_db()
    assert not bystander.completed


def test_reopening_a_subtask_in_the_admin_reopens_the_tasks_above_it(
    operator_client,
):
    parent = TaskFactory(completed=True)
    child = TaskFactory(owner=parent.owner, parent=parent, completed=True)
    sibling = TaskFactory(owner=parent.owner, parent=parent, completed=True)

    said = act(operator_client, "mark_not_completed", [child])

    assert said == ["Reopened 1 task (2 with the tasks above them)."]
    for task in (parent, child, sibling):
        task.refresh_from_db()
    assert (parent.completed, child.completed) == (False, False)
    assert parent.completed_at is None
    assert sibling.completed  # a subtask of an open task may be done


def test_restoring_a_subtask_in_the_admin_restores_its_trashed_parent(
    operator_client,
):
    parent = TaskFactory()
    child = TaskFactory(owner=parent.owner, parent=parent)
    sibling = TaskFactory(owner=parent.owner, parent=parent)
    parent.move_to_trash()

    said = act(operator_client, "restore_from_trash", [child])

    assert said == ["Restored 1 task (2 with their subtasks and the tasks above them)."]
    assert set(Task.objects.alive().values_list("pk", flat=True)) == {
        parent.pk,
        child.pk,
    }
    assert Task.objects.get(pk=sibling.pk).deleted_at is not None  # as the API


def test_restoring_a_task_in_the_admin_brings_back_what_was_trashed_with_it(
    operator_client,
):
    parent = TaskFactory()
    earlier = TaskFactory(owner=parent.owner, parent=parent)
    earlier.move_to_trash()
    child = TaskFactory(owner=parent.owner, parent=parent)
    parent.move_to_trash()

    said = act(operator_client, "restore_from_trash", [parent])

    assert said == ["Restored 1 task (2 with their subtasks and the tasks above them)."]
    assert set(Task.objects.alive().values_list("pk", flat=True)) == {
        parent.pk,
        child.pk,
    }


@pytest.mark.parametrize(
    ("action", "state", "done"),
    [
        ("mark_completed", {}, "Marked 1 task completed."),
        ("mark_not_completed", {"completed": True}, "Reopened 1 task."),
        ("restore_from_trash", {"deleted_at": timezone.now()}, "Restored 1 task."),
    ],
)
@pytest.mark.parametrize(
    ("list_state", "reason"),
    [("archived_at", '"Old" is archived'), ("deleted_at", '"Old" is in the trash')],
)
def test_state_actions_leave_a_read_only_lists_tasks_unchanged(
    operator_client, action, state, done, list_state, reason
):
    old = TaskListFactory(name="Old")
    kept = TaskFactory(owner=old.owner, list=old, **state)
    child = TaskFactory(owner=old.owner, parent=kept, **state)
    TaskList.objects.filter(pk=old.pk).update(**{list_state: timezone.now()})
    changes = TaskFactory(owner=old.owner, **state)
    columns = ["pk", "completed", "completed_at", "deleted_at", "change_seq"]
    before = set(Task.objects.filter(list=old).values_list(*columns))

    said = act(operator_client, action, [kept, child, changes])

    # Restoring words it as the API does ('Its list "Old" is in the trash: ...').
    assert said[0].startswith("Left out 2 tasks: ")
    assert reason in said[0]
    assert said[1:] == [done]
    assert set(Task.objects.filter(list=old).values_list(*columns)) == before
    assert Task.objects.get(pk=changes.pk).change_seq > changes.change_seq


def test_a_state_action_that_can_change_nothing_only_says_why(operator_client):
    old = TaskListFactory(name="Old", archived_at=timezone.now())
    kept = TaskFactory(owner=old.owner, list=old)

    said = act(operator_client, "mark_completed", [kept])

    assert said == ['Left out 1 task: "Old" is archived.']
    assert not Task.objects.get(pk=kept.pk).completed


def test_restoring_in_the_admin_keeps_the_apis_limits(operator_client, monkeypatch):
    monkeypatch.setattr(services, "TASKS_PER_LIST", 2)
    work = TaskListFactory(name="Work")
    TaskFactory.create_batch(2, owner=work.owner, list=work)
    trashed = TaskFactory(owner=work.owner, list=work, deleted_at=timezone.now())

    said = act(operator_client, "restore_from_trash", [trashed])

    assert said == ["Left out 1 task: A list holds at most 2 tasks."]
    assert Task.objects.get(pk=trashed.pk).deleted_at is not None


@pytest.mark.parametrize(
    ("start", "changes", "expected"),
    [
        # Completing a parent in its form completes its subtask.
        ({"completed": False}, {"completed": "on"}, (True, True)),
        # Reopening a subtask in its form reopens its parent.
        ({"completed": True}, {"completed": ""}, (False, False)),
    ],
)
def test_the_task_form_changes_completion_with_the_tree(
    operator_client, start, changes, expected
):
    parent = TaskFactory(**start)
    child = TaskFactory(owner=parent.owner, parent=parent, **start)
    edited = parent if changes["completed"] else child
    fields = {"owner": parent.owner.pk, "list": parent.list_id, "priority": 0}
    fields["parent"] = edited.parent_id or ""

    response = operator_client.post(
        f"/admin/tasks/task/{edited.pk}/change/",
        {**fields, "title": edited.title, "description": "", **changes},
    )

    assert response.status_code == 302
    parent.refresh_from_db()
    child.refresh_from_db()
    assert (parent.completed, child.completed) == expected


def test_an_open_task_put_under_a_completed_one_in_its_form_reopens_it(
    operator_client,
):
    parent = TaskFactory(completed=True)
    task = TaskFactory(owner=parent.owner)

    response = operator_client.post(
        f"/admin/tasks/task/{task.pk}/change/",
        {
            "owner": task.owner.pk,
            "list": task.list_id,
            "parent": parent.pk,
            "title": task.title,
            "description": "",
            "priority": 0,
        },
    )

    assert response.status_code == 302
    parent.refresh_from_db()
    assert not parent.completed  # an open task has only open tasks above it


@pytest.mark.parametrize("title", ["", "   "])
def test_admin_refuses_a_blank_title_like_the_api(operator_client, title):
    task = TaskFactory(title="Keep me")

    response = operator_client.post(
        f"/admin/tasks/task/{task.pk}/change/",
        {
            "owner": task.owner.pk,
            "title": title,
            "description": "",
            "completed": "",
            "priority": 0,
        },
    )

    assert response.status_code == 200  # the form again, with its error
    assert "This field is required." in response.content.decode()
    task.refresh_from_db()
    assert task.title == "Keep me"


def test_admin_refuses_a_too_long_description(operator_client):
    task = TaskFactory()

    response = operator_client.post(
        f"/admin/tasks/task/{task.pk}/change/",
        {"owner": task.owner.pk, "title": "ok", "description": "x" * 1001},
    )

    assert response.status_code == 200
    assert "at most 1000 characters" in response.content.decode()


def test_task_form_picks_the_owner_by_autocomplete(operator_client):
    UserFactory.create_batch(3)

    page = operator_client.get("/admin/tasks/task/add/").content.decode()
    found = operator_client.get(
        "/admin/autocomplete/",
        {
            "app_label": "tasks",
            "model_name": "task",
            "field_name": "owner",
            "term": "user",
        },
    )

    assert "admin-autocomplete" in page
    assert "<option value=" not in page.split('name="owner"')[1].split("</select>")[0]
    assert found.status_code == 200
    assert len(found.json()["results"]) >= 3


def test_user_changelist_shows_open_and_done_counts(operator_client):
    owner = UserFactory(username="counted")
    TaskFactory.create_batch(2, owner=owner, completed=False)
    TaskFactory.create_batch(3, owner=owner, completed=True)

    response = operator_client.get("/admin/users/user/", {"q": "counted"})

    (row,) = response.context["cl"].result_list
    assert (row.open_task_count, row.done_task_count) == (2, 3)


def test_only_staff_reach_the_admin():
    client = Client()
    client.force_login(UserFactory(is_staff=False))

    response = client.get("/admin/tasks/task/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_operators_see_a_tasks_tags_and_can_rename_a_tag(operator_client):
    task = TaskFactory(priority=Priority.HIGH)
    task.tags.set(tags_named(task.owner, ["work", "home"]))
    work = Tag.objects.get(name="work")

    page = operator_client.get(f"/admin/tasks/task/{task.pk}/change/")
    tags = operator_client.get("/admin/tasks/tag/?q=work")
    renamed = operator_client.post(
        f"/admin/tasks/tag/{work.pk}/change/",
        {"owner": task.owner.pk, "name": "job"},
    )

    assert page.status_code == 200
    assert "home, work" in page.content.decode()
    assert tags.status_code == 200
    assert "work" in tags.content.decode()
    assert renamed.status_code == 302
    assert sorted(task.tags.values_list("name", flat=True)) == ["home", "job"]


def test_operators_find_the_trash_and_restore_from_it(operator_client):
    trashed, alive = TaskFactory(title="binned"), TaskFactory(title="alive")
    Task.objects.filter(pk=trashed.pk).update(deleted_at=timezone.now())

    page = operator_client.get("/admin/tasks/task/?deleted_at__isempty=0")
    operator_client.post(
        "/admin/tasks/task/",
        {"action": "restore_from_trash", "_selected_action": [trashed.pk, alive.pk]},
    )

    assert [task.title for task in page.context["cl"].result_list] == ["binned"]
    assert not Task.objects.trashed().exists()


def test_moving_a_task_to_another_owner_moves_its_tags_by_name(operator_client):
    task = TaskFactory()
    old_owner = task.owner
    task.tags.set(tags_named(task.owner, ["medical"]))
    new_owner = UserFactory()

    response = operator_client.post(
        f"/admin/tasks/task/{task.pk}/change/",
        {"owner": new_owner.pk, "title": task.title, "description": "", "priority": 0},
    )

    assert response.status_code == 302
    assert [(tag.owner_id, tag.name) for tag in task.tags.all()] == [
        (new_owner.pk, "medical")
    ]
    # The old owner's change feed reports it gone; the new owner's shows it.
    old_feed = sync.changes(old_owner, sync.START, limit=10)[0]
    new_feed = sync.changes(new_owner, sync.START, limit=10)[0]
    assert {"type": "task", "id": task.pk, "deleted": True, "data": None} in old_feed
    assert ("task", task.pk, False) in {
        (c["type"], c["id"], c["deleted"]) for c in new_feed
    }


def test_the_user_list_counts_no_trashed_task(operator_client):
    owner = UserFactory(username="counted")
    TaskFactory.create_batch(2, owner=owner)
    TaskFactory(owner=owner, deleted_at=timezone.now())

    page = operator_client.get("/admin/users/user/?q=counted")

    [row] = page.context["cl"].result_list
    assert (row.open_task_count, row.done_task_count) == (2, 0)


@pytest.mark.parametrize(
    "query",
    [
        {"q": "a"},
        {"q": "pa"},
        {"q": "walk"},
        {"q": "a", "completed__exact": "0"},
        {"completed__exact": "0"},
        {"deleted_at__isempty": "0"},
        {"priority__exact": "3", "all": ""},
    ],
)
def test_a_filtered_task_list_reads_at_most_a_bound_of_tasks(operator_client, query):
    TaskFactory.create_batch(3, title="Walk the dog", description="")

    with CaptureQueriesContext(connection) as queries:
        response = operator_client.get("/admin/tasks/task/", query)

    assert response.status_code == 200
    reads = [s for s in statements(queries) if 'FROM "tasks_task"' in s]
    assert reads
    for sql in reads:
        # A LIMIT, or the ids a LIMITed read found: never COUNT(*) of every
        # match, nor the date hierarchy's MIN, MAX and DISTINCT over them.
        assert "LIMIT" in sql or '"tasks_task"."id" IN (' in sql, sql


def test_a_list_past_the_bound_says_so(operator_client, monkeypatch):
    monkeypatch.setattr(EstimatedCountPaginator, "bound", 3)
    monkeypatch.setattr(admin.site.get_model_admin(Task), "list_per_page", 2)
    TaskFactory.create_batch(5, title="Walk the dog", description="")
    TaskFactory(title="Unrelated", description="")

    response = operator_client.get("/admin/tasks/task/", {"q": "walk"})

    page = response.content.decode()
    assert response.context["cl"].result_count == 3
    assert len(response.context["cl"].result_list) == 2
    assert "3+ results" in page
    assert "3+ tasks" in page
    assert "Select all 3+ tasks" in page
    assert "All 3+ selected" in page


def test_a_list_within_the_bound_is_counted_exactly(operator_client):
    TaskFactory.create_batch(3, title="Walk the dog", description="")
    TaskFactory(title="Unrelated", description="")

    response = operator_client.get("/admin/tasks/task/", {"q": "walk"})

    page = response.content.decode()
    assert response.context["cl"].result_count == 3
    assert len(response.context["cl"].result_list) == 3
    assert "3 results" in page
    assert "3 tasks" in page
    assert "3+ " not in page


@pytest.mark.parametrize(
    ("word", "found"),
    [
        ("pa", {"Pay the bill", "Renew the passport", "Pay invoice #12"}),
        ("a", {"A walk", "Buy a map"}),
        ("#1", {"Pay invoice #12"}),
    ],
)
def test_a_short_search_word_finds_the_words_it_starts(operator_client, word, found):
    # Owners match by substring whatever the length: none of these has an "a".
    owner = UserFactory(username="owner", email="owner@host.test")
    for title in [
        "Pay the bill", "Renew the passport", "Book the spa", "A walk",
        "Buy a map", "Pay invoice #12",
    ]:  # fmt: skip
        TaskFactory(owner=owner, title=title, description="")

    response = operator_client.get("/admin/tasks/task/", {"q": word})

    assert {task.title for task in response.context["cl"].result_list} == found


def test_punctuation_alone_is_not_searched(operator_client):
    TaskFactory.create_batch(2, title="Walk the dog!", description="")

    with CaptureQueriesContext(connection) as queries:
        response = operator_client.get("/admin/tasks/task/", {"q": "! walk"})

    assert len(response.context["cl"].result_list) == 2
    assert not any("!" in sql for sql in statements(queries))


def test_a_short_search_word_reads_only_what_the_trigram_index_names():
    if connection.vendor != "postgresql":
        pytest.skip("the trigram indexes are PostgreSQL's")
    TaskFactory.create_batch(200, title="Walk the dog", description="")
    TaskFactory(title="Pay the bill", description="")
    task_admin = admin.site.get_model_admin(Task)
    found, _ = task_admin.get_search_results(None, Task.objects.all(), "pa")
    with connection.cursor() as cursor:
        # Only plans that can use an index: one that reads every row anyway
        # (all "%pa%" can have) shows as rows read and thrown away.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = json.loads(found.explain(format="json", analyze=True))

    def thrown_away(node) -> int:
        return (
            node.get("Rows Removed by Filter", 0)
            + node.get("Rows Removed by Index Recheck", 0)
            + sum(thrown_away(child) for child in node.get("Plans", []))
        )

    assert [task.title for task in found] == ["Pay the bill"]
    assert thrown_away(plan[0]["Plan"]) <= 1


def _tag(owner):
    return tags_named(owner, ["work"])[0]


def _token(owner):
    return AuthToken.objects.create(owner)[0]


@pytest.mark.parametrize(
    ("path", "table", "make"),
    [
        ("/admin/tasks/tag/", "tasks_tag", _tag),
        ("/admin/knox/authtoken/", "knox_authtoken", _token),
    ],
)
def test_tag_and_token_search_match_owners_without_a_join(
    operator_client, path, table, make
):
    mine = make(UserFactory(email="alice@corp.example"))
    make(UserFactory())

    with CaptureQueriesContext(connection) as queries:
        response = operator_client.get(path, {"q": "corp.example"})

    assert [row.pk for row in response.context["cl"].result_list] == [mine.pk]
    reads = [s for s in statements(queries) if f'FROM "{table}"' in s]
    count = next(sql for sql in reads if "COUNT" in sql)
    assert '"users_user"' not in count


@pytest.mark.parametrize("order", ["1", "-3", "5.1", "2.-4"])
def test_the_task_list_is_never_sorted_by_a_column(operator_client, order):
    # Sorting a million tasks by a column sorts every one: the list offers no
    # sort links, and keeps its own order for an ?o= written by hand.
    first = TaskFactory(title="Zebra stripes")
    second = TaskFactory(title="Aardvark burrow")

    with CaptureQueriesContext(connection) as queries:
        response = operator_client.get(f"/admin/tasks/task/?o={order}")

    assert response.status_code == 200
    page = response.content.decode()
    assert page.index(second.title) < page.index(first.title)  # newest first
    assert "sortable" not in page.split('id="result_list"')[1].split("</thead>")[0]
    listed = [s for s in statements(queries) if 'FROM "tasks_task"' in s]
    assert all(
        'ORDER BY "tasks_task"."id" DESC' in s for s in listed if "ORDER BY" in s
    )
