"""The admin's lists: the list admin, and lists and subtasks on the task admin
(its form's checks and the "Move to another list" action)."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tasks.admin import lists as list_admin
from tasks.admin import task_actions
from tasks.models import MAX_DEPTH, Task, TaskList, Tombstone
from tasks.tests.factories import TaskFactory, TaskListFactory
from users.models import User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LISTS = "/admin/tasks/tasklist/"
TASKS = "/admin/tasks/task/"


@pytest.fixture
def operator_client() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def inbox(owner) -> TaskList:
    return TaskList.objects.inbox_of(owner.pk)


def shown(response) -> list:
    return list(response.context["cl"].result_list)


def said(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# The list admin


def test_list_changelist_counts_each_lists_tasks_outside_the_trash(operator_client):
    owner = UserFactory(username="counted")
    work = TaskListFactory(owner=owner, name="Work")
    TaskFactory.create_batch(2, owner=owner, list=work)
    TaskFactory(owner=owner, list=work, completed=True)
    TaskFactory(owner=owner, list=work, deleted_at=timezone.now())
    TaskFactory(owner=owner)  # the inbox's

    rows = shown(operator_client.get(LISTS, {"q": "counted"}))

    counts = {row.name: (row.task_count, row.open_task_count) for row in rows}
    assert counts == {"Inbox": (1, 1), "Work": (3, 2)}


def test_list_changelist_reads_its_page_and_counts_in_one_query(operator_client):
    for owner in UserFactory.create_batch(5):
        TaskFactory(owner=owner, list=TaskListFactory(owner=owner, name="Work"))

    with CaptureQueriesContext(connection) as queries:
        response = operator_client.get(LISTS)

    assert len(shown(response)) == 11  # the operator has an inbox too
    reads = [q["sql"] for q in queries if 'FROM "tasks_tasklist"' in q["sql"]]
    assert len(reads) == 2  # the count, then the page with its counts
    assert '"tasks_task"' in reads[1] and '"users_user"' in reads[1]


@pytest.mark.parametrize(
    ("query", "expected"),
    [("groc", {"Groceries"}), ("alice", {"Inbox", "Groceries"}), ("zz", set())],
)
def test_list_search_finds_by_name_and_owner(operator_client, query, expected):
    TaskListFactory(owner=UserFactory(username="alice"), name="Groceries")
    TaskListFactory(owner=UserFactory(username="bob"), name="Work")

    response = operator_client.get(LISTS, {"q": query})

    assert {row.name for row in shown(response)} == expected


def test_list_changelist_filters_inboxes_and_archived_lists(operator_client):
    owner = UserFactory()
    old = TaskListFactory(owner=owner, name="Old", archived_at=timezone.now())
    work = TaskListFactory(owner=owner, name="Work")

    def found(**query) -> list:
        return shown(operator_client.get(LISTS, {"q": owner.username, **query}))

    inboxes = found(is_inbox__exact="1")
    archived = found(archived_at__isempty="0")
    current = found(archived_at__isempty="1")

    assert [row.pk for row in inboxes] == [inbox(owner).pk]
    assert [row.pk for row in archived] == [old.pk]
    assert {row.pk for row in current} == {inbox(owner).pk, work.pk}


def test_an_inbox_cannot_be_deleted_from_its_page(operator_client):
    owner_inbox = inbox(UserFactory())

    page = operator_client.get(f"{LISTS}{owner_inbox.pk}/change/")
    refused = operator_client.post(f"{LISTS}{owner_inbox.pk}/delete/", {"post": "yes"})

    assert page.status_code == 200
    assert "deletelink" not in page.content.decode()
    assert refused.status_code == 403
    assert TaskList.objects.filter(pk=owner_inbox.pk).exists()


def test_bulk_delete_leaves_inboxes_out_and_deletes_the_rest(operator_client):
    owner = UserFactory()
    work = TaskListFactory(owner=owner, name="Work")
    task = TaskFactory(owner=owner, list=work)
    chosen = {
        "action": "delete_selected",
        "_selected_action": [inbox(owner).pk, work.pk],
    }

    confirm = operator_client.post(LISTS, chosen)
    done = operator_client.post(
        LISTS, {**chosen, "_selected_action": [work.pk], "post": "yes"}, follow=True
    )

    assert confirm.status_code == 200
    assert "Left out 1 inbox" in confirm.content.decode()
    assert list(confirm.context["queryset"]) == [work]
    assert done.status_code == 200
    assert list(TaskList.objects.filter(owner=owner)) == [inbox(owner)]
    # The feed hears of the list and its task, deleted for good.
    assert set(Tombstone.objects.values_list("kind", "object_id")) == {
        ("list", work.pk),
        ("task", task.pk),
    }


def test_bulk_delete_of_inboxes_alone_deletes_nothing(operator_client):
    owners = UserFactory.create_batch(2)
    chosen = [inbox(owner).pk for owner in owners]

    response = operator_client.post(
        LISTS, {"action": "delete_selected", "_selected_action": chosen}, follow=True
    )

    assert "Left out 2 inboxes" in " ".join(said(response))
    assert TaskList.objects.filter(pk__in=chosen).count() == 2


def test_deleting_an_account_in_the_admin_deletes_its_inbox(operator_client):
    owner = UserFactory()
    TaskFactory(owner=owner)

    response = operator_client.post(
        f"/admin/users/user/{owner.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 302
    assert not User.objects.filter(pk=owner.pk).exists()
    assert not TaskList.objects.filter(owner_id=owner.pk).exists()


def test_operators_add_a_list_last_and_cannot_give_it_away(operator_client):
    owner = UserFactory()
    work = TaskListFactory(owner=owner, name="Work")

    added = operator_client.post(
        f"{LISTS}add/", {"owner": owner.pk, "name": "  Home ", "color": "#00ff00"}
    )
    home = TaskList.objects.get(name="Home")
    operator_client.post(
        f"{LISTS}{home.pk}/change/",
        {"owner": UserFactory().pk, "name": "House", "color": ""},
    )

    assert added.status_code == 302
    assert work.position < home.position
    home.refresh_from_db()
    assert (home.owner, home.name, home.color) == (owner, "House", None)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"name": "   "}, "This field is required."),
        ({"name": "x" * 121}, "at most 120 characters"),
        ({"color": "red"}, "#RRGGBB"),
    ],
)
def test_list_form_refuses_what_the_api_refuses(operator_client, fields, error):
    owner = UserFactory()

    response = operator_client.post(
        f"{LISTS}add/", {"owner": owner.pk, "name": "Fine", "color": "", **fields}
    )

    assert response.status_code == 200
    assert error in response.content.decode()
    assert list(TaskList.objects.filter(owner=owner)) == [inbox(owner)]


def test_list_form_refuses_a_list_past_the_limit(operator_client, monkeypatch):
    monkeypatch.setattr(list_admin, "LISTS_PER_USER", 2)
    owner = UserFactory()
    TaskListFactory(owner=owner, name="Work")

    response = operator_client.post(f"{LISTS}add/", {"owner": owner.pk, "name": "3rd"})

    assert "A user has at most 2 lists." in response.content.decode()
    assert owner.task_lists.count() == 2


# Lists and subtasks on the task admin


def test_task_changelist_shows_list_and_parent_links_to_a_lists_tasks(operator_client):
    owner = UserFactory()
    work = TaskListFactory(owner=owner, name="Work")
    parent = TaskFactory(owner=owner, list=work, title="Parent")
    child = TaskFactory(owner=owner, list=work, parent=parent)
    TaskFactory(owner=owner)
    TaskListFactory()

    everything = operator_client.get(TASKS)
    one_list = operator_client.get(TASKS, {"list": work.pk})

    page = everything.content.decode()
    assert f'<a href="?list={work.pk}">Work</a>' in page
    assert '<td class="field-parent nowrap">Parent</td>' in page
    # No list filter until a list is chosen; then its owner's lists.
    assert "By list" not in page
    assert [task.pk for task in shown(one_list)] == [child.pk, parent.pk]
    [list_filter] = [
        f for f in one_list.context["cl"].filter_specs if f.title == "list"
    ]
    assert [name for _, name in list_filter.lookup_choices] == ["Inbox", "Work"]


@pytest.mark.parametrize("chosen", ["work", "1x", "²", "999999"])
def test_task_changelist_by_a_list_that_is_none_shows_nothing(operator_client, chosen):
    work = TaskListFactory()
    TaskFactory(owner=work.owner, list=work)

    response = operator_client.get(TASKS, {"list": chosen})

    assert response.status_code == 200
    assert shown(response) == []


def test_task_changelist_reads_lists_and_parents_with_its_page(operator_client):
    owner = UserFactory()
    work = TaskListFactory(owner=owner, name="Work")
    parent = TaskFactory(owner=owner, list=work)
    TaskFactory.create_batch(3, owner=owner, list=work, parent=parent)

    with CaptureQueriesContext(connection) as few:
        first = operator_client.get(TASKS)
    TaskFactory.create_batch(20, owner=owner, list=work, parent=parent)
    with CaptureQueriesContext(connection) as many:
        second = operator_client.get(TASKS)

    assert (first.status_code, second.status_code) == (200, 200)
    assert (len(shown(first)), len(shown(second))) == (4, 24)
    assert len(many) == len(few)


def test_task_form_picks_list_and_parent_by_id_with_a_lookup(operator_client):
    page = operator_client.get(f"{TASKS}add/").content.decode()

    for field, model in [("list", "tasklist"), ("parent", "task")]:
        assert f'<select name="{field}"' not in page
        assert (
            f'<a href="/admin/tasks/{model}/?_to_field=id" class="related-lookup" '
            f'id="lookup_id_{field}"'
        ) in page


def post_task(client: Client, task: Task | None = None, **fields):
    """The task form as an operator sends it: the task's own values, changed."""
    values = {
        "title": "Task",
        "description": "",
        "priority": 0,
        "list": "",
        "parent": "",
    }
    if task is not None:
        values.update(
            owner=task.owner_id,
            list=task.list_id,
            parent=task.parent_id or "",
            title=task.title,
        )
    values.update(fields)
    path = f"{TASKS}add/" if task is None else f"{TASKS}{task.pk}/change/"
    return client.post(path, values)


def test_a_task_added_without_a_list_goes_last_in_its_owners_inbox(operator_client):
    owner = UserFactory()
    first = TaskFactory(owner=owner)

    response = post_task(operator_client, owner=owner.pk, title="Added")

    added = Task.objects.get(title="Added")
    assert response.status_code == 302
    assert added.list == inbox(owner)
    assert added.position > first.position


def test_a_subtask_added_without_a_list_goes_in_its_parents(operator_client):
    work = TaskListFactory()
    parent = TaskFactory(owner=work.owner, list=work)
    older = TaskFactory(owner=work.owner, list=work, parent=parent)

    post_task(operator_client, owner=work.owner_id, parent=parent.pk, title="Added")

    added = Task.objects.get(title="Added")
    assert (added.list, added.parent) == (work, parent)
    assert added.position > older.position


def test_changing_a_tasks_list_puts_it_last_there(operator_client):
    owner = UserFactory()
    work = TaskListFactory(owner=owner, name="Work")
    there = TaskFactory(owner=owner, list=work)
    task = TaskFactory(owner=owner)

    response = post_task(operator_client, task, list=work.pk)

    assert response.status_code == 302
    task.refresh_from_db()
    assert task.list == work
    assert task.position > there.position


def test_making_a_task_a_subtask_puts_it_last_among_its_siblings(operator_client):
    owner = UserFactory()
    parent = TaskFactory(owner=owner)
    sibling = TaskFactory(owner=owner, parent=parent)
    task = TaskFactory(owner=owner)

    post_task(operator_client, task, parent=parent.pk)

    task.refresh_from_db()
    assert task.parent == parent
    assert task.position > sibling.position


def test_an_untouched_place_keeps_its_position(operator_client):
    task = TaskFactory()
    TaskFactory(owner=task.owner)
    before = task.position

    post_task(operator_client, task, title="Renamed")

    task.refresh_from_db()
    assert (task.title, task.position) == ("Renamed", before)


def chain(owner, levels: int) -> list[Task]:
    tasks = [TaskFactory(owner=owner)]
    for _ in range(levels - 1):
        tasks.append(TaskFactory(owner=owner, parent=tasks[-1]))
    return tasks


def with_subtask(task: Task, changes: dict) -> dict:
    TaskFactory(owner=task.owner, parent=task)
    return changes


# Each case's changes to the task "Mine" (in its owner's inbox), given the
# owner, the task and another list of the owner's.
PLACES = {
    "another user's list": lambda owner, task, work: {"list": TaskListFactory().pk},
    "a parent in another list": lambda owner, task, work: {
        "parent": TaskFactory(owner=owner, list=work).pk
    },
    "itself as parent": lambda owner, task, work: {"parent": task.pk},
    "a trashed parent": lambda owner, task, work: {
        "parent": TaskFactory(owner=owner, deleted_at=timezone.now()).pk
    },
    "too deep": lambda owner, task, work: {"parent": chain(owner, MAX_DEPTH)[-1].pk},
    "an archived list": lambda owner, task, work: {
        "list": TaskListFactory(owner=owner, name="Old", archived_at=timezone.now()).pk
    },
    "a trashed list": lambda owner, task, work: {
        "list": TaskListFactory(owner=owner, name="Old", deleted_at=timezone.now()).pk
    },
    "a task with subtasks": lambda owner, task, work: with_subtask(
        task, {"list": work.pk}
    ),
    "an owner with subtasks": lambda owner, task, work: with_subtask(
        task, {"owner": UserFactory().pk, "list": ""}
    ),
}


@pytest.mark.parametrize(
    ("case", "field", "error"),
    [
        ("another user's list", "list", "This list is another user's"),
        ("a parent in another list", "parent", "The parent must be in the task's"),
        ("itself as parent", "parent", "A task cannot be its own subtask."),
        ("a trashed parent", "parent", "This task is in the trash."),
        ("too deep", "parent", f"Subtasks nest at most {MAX_DEPTH} levels deep."),
        ("an archived list", "list", '"Old" is archived.'),
        ("a trashed list", "list", '"Old" is in the trash.'),
        ("a task with subtasks", "list", "This task has subtasks"),
        ("an owner with subtasks", "list", "This task has subtasks"),
    ],
)
def test_task_form_refuses_a_place_the_api_refuses(operator_client, case, field, error):
    owner = UserFactory()
    task = TaskFactory(owner=owner, title="Mine")
    changes = PLACES[case](owner, task, TaskListFactory(owner=owner, name="Work"))

    response = post_task(operator_client, task, **changes)

    assert response.status_code == 200  # the form again
    assert error in " ".join(response.context["adminform"].form.errors[field])
    task.refresh_from_db()
    assert (task.owner, task.list, task.parent) == (owner, inbox(owner), None)


def test_task_form_refuses_a_full_list(operator_client, monkeypatch):
    monkeypatch.setattr(task_actions, "TASKS_PER_LIST", 1)
    owner = UserFactory()
    work = TaskListFactory(owner=owner, name="Work")
    TaskFactory(owner=owner, list=work)

    response = post_task(operator_client, TaskFactory(owner=owner), list=work.pk)

    assert "pass the limit of 1." in response.content.decode()
    assert work.tasks.count() == 1


def test_task_form_allows_the_deepest_level_and_no_deeper(operator_client):
    owner = UserFactory()
    *_, third = chain(owner, MAX_DEPTH - 1)

    response = post_task(operator_client, owner=owner.pk, parent=third.pk, title="4th")

    assert response.status_code == 302
    assert Task.objects.get(title="4th").parent == third


# The "Move to another list" action


def move(client: Client, tasks, target) -> list[str]:
    response = client.post(
        TASKS,
        {
            "action": "move_to_list",
            "_selected_action": [task.pk for task in tasks],
            "target_list": str(getattr(target, "pk", target)),
        },
        follow=True,
    )
    assert response.status_code == 200
    return said(response)


def test_move_takes_each_task_with_its_subtasks_to_the_end_of_the_list(
    operator_client,
):
    owner = UserFactory()
    work = TaskListFactory(owner=owner, name="Work")
    there = TaskFactory(owner=owner, list=work)
    first, second = TaskFactory(owner=owner), TaskFactory(owner=owner)
    child = TaskFactory(owner=owner, parent=first)
    grandchild = TaskFactory(owner=owner, parent=child)
    stays = TaskFactory(owner=owner)
    seqs = dict(Task.objects.values_list("pk", "change_seq"))

    messages = move(operator_client, [second, first, child], work)

    assert messages == ['Moved 2 tasks (4 with their subtasks) to the end of "Work".']
    top = Task.objects.filter(list=work, parent=None).order_by("position")
    assert list(top) == [there, first, second]
    for task in (first, second, child, grandchild):
        task.refresh_from_db()
        assert task.list == work
        # The change feed shows each of them again.
        assert task.change_seq > seqs[task.pk]
    assert (child.parent, grandchild.parent) == (first, child)
    assert Task.objects.get(pk=stays.pk).list == inbox(owner)


def test_move_takes_a_subtask_alone_to_the_top_level(operator_client):
    owner = UserFactory()
    work = TaskListFactory(owner=owner, name="Work")
    parent = TaskFactory(owner=owner)
    child = TaskFactory(owner=owner, parent=parent)

    messages = move(operator_client, [child], work)

    child.refresh_from_db()
    assert messages == ['Moved 1 task to the end of "Work".']
    assert (child.list, child.parent) == (work, None)
    assert Task.objects.get(pk=parent.pk).list == inbox(owner)


def test_move_of_many_tasks_gives_short_ordered_keys(operator_client, monkeypatch):
    monkeypatch.setattr(task_actions, "MOVE_BATCH", 7)  # several batches
    owner = UserFactory()
    work = TaskListFactory(owner=owner, name="Work")
    tasks = Task.objects.bulk_create(
        [Task(owner=owner, title=f"task {n:03}") for n in range(300)]
    )

    move(operator_client, tasks, work)

    moved = list(work.tasks.order_by("position").values_list("title", "position"))
    assert [title for title, _ in moved] == [f"task {n:03}" for n in range(300)]
    assert max(len(position) for _, position in moved) <= 3


# Each case's selection and target, given the owner, their list "Work" (which
# holds two tasks) and the tasks selected (a task and its subtask).
REFUSALS = {
    "several owners": lambda owner, work, tasks: ([*tasks, TaskFactory()], work),
    "another user's list": lambda owner, work, tasks: (
        tasks,
        TaskListFactory(name="Theirs"),
    ),
    "an archived list": lambda owner, work, tasks: (
        tasks,
        TaskListFactory(owner=owner, name="Old", archived_at=timezone.now()),
    ),
    "a trashed list": lambda owner, work, tasks: (
        tasks,
        TaskListFactory(owner=owner, name="Old", deleted_at=timezone.now()),
    ),
    "no such list": lambda owner, work, tasks: (tasks, 999999),
    "no list given": lambda owner, work, tasks: (tasks, ""),
    "a list id past a bigint": lambda owner, work, tasks: (tasks, "9" * 30),
    "the same list": lambda owner, work, tasks: (list(work.tasks.all()), work),
    "a full list": lambda owner, work, tasks: (tasks, work),
}


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("several owners", "the tasks selected belong to several users"),
        ("another user's list", '"Theirs" is another user\'s list.'),
        ("an archived list", '"Old" is archived.'),
        ("a trashed list", '"Old" is in the trash.'),
        ("no such list", "no list has the id 999999."),
        ("no list given", 'give the list to move them to in "To list".'),
        ("a list id past a bigint", 'give the list to move them to in "To list".'),
        ("the same list", 'the tasks selected are in "Work" already.'),
        ("a full list", '"Work" holds 2 tasks; with these it would pass the limit'),
    ],
)
def test_move_refuses_and_changes_nothing(operator_client, monkeypatch, case, message):
    monkeypatch.setattr(task_actions, "TASKS_PER_LIST", 3)
    owner = UserFactory()
    work = TaskListFactory(owner=owner, name="Work")
    TaskFactory.create_batch(2, owner=owner, list=work)
    parent = TaskFactory(owner=owner)
    selected, target = REFUSALS[case](
        owner, work, [parent, TaskFactory(owner=owner, parent=parent)]
    )
    before = set(Task.objects.values_list("pk", "list", "parent", "position"))

    messages = move(operator_client, selected, target)

    assert len(messages) == 1
    assert messages[0].startswith(f"Nothing moved: {message}")
    assert set(Task.objects.values_list("pk", "list", "parent", "position")) == before


def test_the_action_bar_offers_a_list_with_a_lookup(operator_client):
    TaskFactory()

    page = operator_client.get(TASKS).content.decode()

    actions = page.split('<div class="actions">')[1].split("</div>\n</div>")[0]
    assert 'name="target_list"' in actions
    assert 'id="id_target_list"' in actions
    assert 'id="lookup_id_target_list"' in actions
