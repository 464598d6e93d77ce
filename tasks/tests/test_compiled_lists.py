"""Lists served by SQL compiled once per combination of filters (speedups.compiled)."""

from datetime import timedelta
from urllib.parse import parse_qsl

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.tests.helpers import invalid_fields, problem
from tasks import services
from tasks.models import Tag, Task, TaskList
from tasks.speedups import lists as task_views
from tasks.speedups.compiled import STAND_IN_ID, CompiledQuery
from tasks.tests.factories import TaskFactory, TaskListFactory
from users.models import User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("optimized")]

# Every filter that may be compiled, with pages and page sizes, alone and together.
QUERIES = [
    "",
    "completed=false",
    "completed=true&ordering=title",
    "priority=high",
    "priority=none&ordering=-priority",
    "has_due=true&ordering=due_at",
    "has_due=false&completed=false",
    "ordering=-due_at&page_size=3",
    "ordering=title&page=2&page_size=3",
    "page=2&page_size=5",
    # {list}: one of the caller's lists.
    "list={list}&ordering=position",
    "list={list}&ordering=position&page=2&page_size=3",
    "list={list}&completed=false&ordering=-position",
]


def path_for(user, query: str) -> str:
    """The query's path for `user` (their list where it names one)."""
    work = TaskList.objects.get(owner=user, name="Work")
    return "/api/v1/tasks/?" + query.format(list=work.pk)


@pytest.fixture(autouse=True)
def empty_cache():
    task_views.compiled_lists.clear()
    yield
    task_views.compiled_lists.clear()


@pytest.fixture
def compiled_runs(monkeypatch) -> list[int]:
    """The owner ids that compiled SQL ran for."""
    runs: list[int] = []
    bind = CompiledQuery.bind

    def spy(self, owner_id, **named):
        runs.append(owner_id)
        return bind(self, owner_id, **named)

    monkeypatch.setattr(CompiledQuery, "bind", spy)
    return runs


def varied_tasks(owner, count: int = 12) -> None:
    """Tasks differing in everything a compiled filter or ordering reads: in
    the inbox, in a list (some of them subtasks), in an archived list."""
    now = timezone.now()
    tags = [Tag.objects.create(owner=owner, name=name) for name in ("Home", "work")]
    work = TaskListFactory(owner=owner, name="Work")
    archived = TaskListFactory(owner=owner, name="Old")
    TaskFactory(owner=owner, list=archived, title="in an archived list")
    services.archive_list(task_list=archived, archived=True)
    previous = None
    for n in range(count):
        task = TaskFactory(
            owner=owner,
            list=work if n % 2 else None,
            parent=previous if n % 4 == 3 else None,
            title=f"{owner.username} task {n % 5}",
            completed=n % 3 == 0,
            priority=n % 4,
            due_at=now + timedelta(days=n) if n % 2 else None,
            due_date=(now + timedelta(days=n)).date() if n % 4 == 2 else None,
        )
        task.tags.set(tags[: n % 3])
        previous = task if n % 2 else previous
    TaskFactory(owner=owner, title="in the trash").move_to_trash()
    Task.objects.filter(owner=owner).update(created_at=now - timedelta(days=1))


def test_the_filters_tested_are_every_filter_compiled():
    named = {name for query in QUERIES for name, _ in parse_qsl(query)}

    assert named - task_views.PAGE_PARAMETERS == task_views.COMPILED_FILTERS


@pytest.mark.parametrize("query", QUERIES)
def test_a_list_compiled_for_one_user_is_what_the_orm_gives_another(
    auth_client, other_client, user, other_user, compiled_runs, query
):
    varied_tasks(user)
    varied_tasks(other_user, count=9)
    path = path_for(other_user, query)

    first = auth_client.get(path_for(user, query))  # built by the ORM, then compiled
    compiled = other_client.get(path)
    task_views.compiled_lists.clear()
    built = other_client.get(path)

    assert first.status_code == compiled.status_code == built.status_code == 200
    assert compiled_runs == [other_user.pk]
    assert compiled.json() == built.json()
    assert compiled.json()["count"] > 0
    own = set(Task.objects.filter(owner=other_user).values_list("id", flat=True))
    assert {task["id"] for task in compiled.json()["results"]} <= own


def test_a_compiled_list_is_one_query(
    auth_client, other_client, user, other_user, compiled_runs
):
    varied_tasks(user)
    varied_tasks(other_user)
    auth_client.get("/api/v1/tasks/?completed=false")  # compiles

    with CaptureQueriesContext(connection) as queries:
        response = other_client.get("/api/v1/tasks/?completed=false")

    assert response.status_code == 200
    assert compiled_runs == [other_user.pk]
    # Beside the request's savepoint in the test's transaction: the token with
    # its user, knox's look at the user's other tokens (no token cache without
    # Redis), and the page, which carries the count.
    statements = [query["sql"] for query in queries if "SAVEPOINT" not in query["sql"]]
    assert len(statements) == 3, statements


def test_a_compiled_list_past_its_last_page_is_404_as_the_orm_answers(
    auth_client, user, compiled_runs
):
    varied_tasks(user)
    path = "/api/v1/tasks/?completed=false&page_size=2"
    built = auth_client.get(f"{path}&page=9")  # a 404 compiles nothing
    auth_client.get(path)  # compiles

    compiled = auth_client.get(f"{path}&page=9")

    assert compiled_runs == [user.pk]
    assert built.status_code == compiled.status_code == 404
    assert problem(compiled) == problem(built)


def test_a_bad_page_size_is_400_with_or_without_compiled_sql(
    auth_client, user, compiled_runs
):
    varied_tasks(user)
    auth_client.get("/api/v1/tasks/?completed=false")  # compiles

    response = auth_client.get("/api/v1/tasks/?completed=false&page_size=0")

    assert list(invalid_fields(response)) == ["page_size"]


def test_the_order_of_the_parameters_makes_no_new_entry(
    auth_client, user, compiled_runs
):
    varied_tasks(user)

    first = auth_client.get("/api/v1/tasks/?completed=false&ordering=title")
    second = auth_client.get("/api/v1/tasks/?ordering=title&completed=false")

    assert first.json() == second.json()
    assert compiled_runs == [user.pk]
    assert len(task_views.compiled_lists) == 1


def test_a_filter_that_cannot_be_compiled_is_logged_and_served(
    auth_client, user, compiled_runs, monkeypatch, caplog
):
    # As if `search` (free text) were listed among the compiled filters.
    monkeypatch.setattr(
        task_views, "COMPILED_FILTERS", task_views.COMPILED_FILTERS | {"search"}
    )
    varied_tasks(user)

    for _ in range(2):
        response = auth_client.get("/api/v1/tasks/?search=task")
        assert response.status_code == 200
        assert response.json()["count"] == 12

    assert compiled_runs == []
    assert "Could not compile the task list" in caplog.text


@pytest.mark.parametrize(
    "query",
    [
        "search=task",
        "tag=home",
        "overdue=true",
        f"due_before={timezone.now().date().isoformat()}",
        f"due_after={timezone.now().date().isoformat()}",
        "completed=false&search=task",
        "page=last",
        "format=json",
        "completed=true&completed=false",
    ],
)
def test_lists_with_per_request_values_are_never_compiled(
    auth_client, user, compiled_runs, query
):
    varied_tasks(user)

    for _ in range(2):
        assert auth_client.get(f"/api/v1/tasks/?{query}").status_code == 200

    assert compiled_runs == []
    assert len(task_views.compiled_lists) == 0


def test_invalid_filters_are_not_compiled_and_stay_400(auth_client, compiled_runs):
    for _ in range(2):
        response = auth_client.get("/api/v1/tasks/?completed=maybe")
        assert list(invalid_fields(response)) == ["completed"]

    assert compiled_runs == []


def test_nothing_is_compiled_with_the_optimisations_off(
    auth_client, user, settings, compiled_runs
):
    settings.API_OPTIMIZATIONS = False
    varied_tasks(user)

    for _ in range(2):
        assert auth_client.get("/api/v1/tasks/?completed=false").status_code == 200

    assert compiled_runs == []


def test_only_a_query_scoped_to_the_stand_in_owner_with_closed_values_compiles(
    user,
):
    own = Task.objects.readable_by(User(pk=STAND_IN_ID))
    with pytest.raises(ValueError, match="stand-in"):
        CompiledQuery(Task.objects.values("id"))
    with pytest.raises(ValueError, match="unsliced"):
        CompiledQuery(own.values("id")[:5])
    with pytest.raises(ValueError, match="unsliced"):
        CompiledQuery(own)
    with pytest.raises(ValueError, match="unsliced"):
        CompiledQuery(own.values("title").distinct())
    with pytest.raises(ValueError, match="booleans and integers"):
        CompiledQuery(own.filter(title="free text").values("id"))
    with pytest.raises(ValueError, match="booleans and integers"):
        CompiledQuery(own.filter(due_by__lt=timezone.now()).values("id"))

    task = TaskFactory(owner=user, priority=2)
    compiled = CompiledQuery(own.filter(priority=2, completed=False).values("id"))
    assert compiled.rows(user.pk, offset=0, limit=5) == [{"id": task.id}]
    assert compiled.rows(user.pk + 1, offset=0, limit=5) == []


@pytest.mark.parametrize("query", ["", "archived=true", "archived=false&page_size=2"])
def test_the_lists_compiled_for_one_user_are_what_the_orm_gives_another(
    auth_client, other_client, user, other_user, settings, query
):
    from tasks.speedups import task_lists

    task_lists.compiled_pages.clear()
    varied_tasks(user)
    varied_tasks(other_user, count=9)
    TaskListFactory(owner=other_user, name="Empty", color="#00FF00")
    path = f"/api/v1/lists/?{query}"

    auth_client.get(path)  # compiles
    compiled = other_client.get(path)
    settings.API_OPTIMIZATIONS = False
    built = other_client.get(path)

    assert compiled.status_code == built.status_code == 200
    assert len(task_lists.compiled_pages) == 1
    assert compiled.json() == built.json()
    assert compiled.json()["count"] > 0
    own = set(TaskList.objects.filter(owner=other_user).values_list("id", flat=True))
    assert {row["id"] for row in compiled.json()["results"]} <= own
