from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.tests.helpers import invalid_fields, problem
from tasks.models import Task
from tasks.tests.factories import TaskFactory

pytestmark = pytest.mark.django_db


def ids(response) -> list[int]:
    return [task["id"] for task in response.json()["results"]]


def make_tasks(owner, count: int) -> list[Task]:
    """Tasks created a minute apart, oldest first, so ordering is unambiguous."""
    start = timezone.now() - timedelta(days=1)
    tasks = TaskFactory.create_batch(count, owner=owner)
    for minutes, task in enumerate(tasks):
        Task.objects.filter(pk=task.pk).update(
            created_at=start + timedelta(minutes=minutes)
        )
    return tasks


def test_list_is_paginated_newest_first(auth_client, user):
    tasks = make_tasks(user, 3)

    response = auth_client.get("/api/v1/tasks/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3
    assert body["next"] is None and body["previous"] is None
    assert ids(response) == [t.id for t in reversed(tasks)]


def test_list_excludes_other_users_tasks(auth_client, user, other_user):
    mine = TaskFactory(owner=user)
    TaskFactory.create_batch(3, owner=other_user)

    response = auth_client.get("/api/v1/tasks/")

    assert response.json()["count"] == 1
    assert ids(response) == [mine.id]


def test_default_page_size_is_20(auth_client, user):
    make_tasks(user, 25)

    body = auth_client.get("/api/v1/tasks/").json()

    assert len(body["results"]) == 20
    assert body["count"] == 25
    assert body["next"] == "http://testserver/api/v1/tasks/?page=2"


def test_page_size_parameter_and_second_page(auth_client, user):
    tasks = make_tasks(user, 5)

    first = auth_client.get("/api/v1/tasks/?page_size=2")
    third = auth_client.get("/api/v1/tasks/?page_size=2&page=3")

    newest_first = [t.id for t in reversed(tasks)]
    assert ids(first) == newest_first[:2]
    assert ids(third) == newest_first[4:]
    assert third.json()["next"] is None


def test_page_size_of_100_is_the_most(auth_client, user):
    TaskFactory.create_batch(101, owner=user)

    body = auth_client.get("/api/v1/tasks/?page_size=100").json()

    assert len(body["results"]) == 100


@pytest.mark.parametrize("page_size", ["0", "101", "-1", "1.5", "x", "", "²"])
def test_a_page_size_outside_1_to_100_is_400_not_quietly_20(auth_client, page_size):
    response = auth_client.get("/api/v1/tasks/", {"page_size": page_size})

    assert invalid_fields(response) == {"page_size": ["A whole number from 1 to 100."]}


def test_page_size_given_twice_is_400(auth_client):
    response = auth_client.get("/api/v1/tasks/?page_size=5&page_size=6")

    assert list(invalid_fields(response)) == ["page_size"]


def test_page_past_the_end_is_404_json(auth_client, user):
    TaskFactory(owner=user)

    response = auth_client.get("/api/v1/tasks/?page=5")

    assert response.status_code == 404
    assert problem(response)["detail"] == "Invalid page."


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("false", False)])
def test_filter_by_completed(auth_client, user, value, expected):
    TaskFactory(owner=user, completed=True)
    TaskFactory(owner=user, completed=False)

    results = auth_client.get(f"/api/v1/tasks/?completed={value}").json()["results"]

    assert [task["completed"] for task in results] == [expected]


def test_search_matches_title_or_description_case_insensitively(
    auth_client, user, other_user
):
    in_title = TaskFactory(owner=user, title="Buy MILK", description="")
    in_description = TaskFactory(
        owner=user, title="Shopping", description="milk and eggs"
    )
    TaskFactory(owner=user, title="Walk the dog", description="")
    TaskFactory(owner=other_user, title="milk for someone else")

    response = auth_client.get("/api/v1/tasks/?search=milk")

    assert sorted(ids(response)) == sorted([in_title.id, in_description.id])


def test_search_requires_every_word(auth_client, user):
    both = TaskFactory(owner=user, title="Buy milk", description="at the corner shop")
    TaskFactory(owner=user, title="Buy bread", description="")

    response = auth_client.get("/api/v1/tasks/?search=buy%20shop")

    assert ids(response) == [both.id]


def test_filters_combine_with_search(auth_client, user):
    TaskFactory(owner=user, title="milk", completed=True)
    open_milk = TaskFactory(owner=user, title="milk", completed=False)

    response = auth_client.get("/api/v1/tasks/?search=milk&completed=false")

    assert ids(response) == [open_milk.id]


@pytest.mark.parametrize(
    "ordering",
    [
        "title",
        "-title",
        "created_at",
        "-created_at",
        "updated_at",
        "-updated_at",
        "completed",
        "-completed",
    ],
)
def test_ordering(auth_client, user, ordering):
    # Titles, creation and update times each put the tasks in a different order.
    tasks = make_tasks(user, 3)
    for task, title, completed in zip(
        tasks, ["banana", "cherry", "apple"], [True, False, True], strict=True
    ):
        Task.objects.filter(pk=task.pk).update(
            title=title,
            completed=completed,
            completed_at=timezone.now() if completed else None,
        )
    start = timezone.now()
    for minutes, task in enumerate([tasks[1], tasks[2], tasks[0]]):
        Task.objects.filter(pk=task.pk).update(
            updated_at=start + timedelta(minutes=minutes)
        )
    expected = list(Task.objects.order_by(ordering, "-id").values_list("id", flat=True))

    response = auth_client.get(f"/api/v1/tasks/?ordering={ordering}")

    assert ids(response) == expected


def test_ordering_ties_are_broken_by_id_so_pages_never_overlap(auth_client, user):
    TaskFactory.create_batch(6, owner=user, completed=False)

    pages = [
        ids(auth_client.get(f"/api/v1/tasks/?ordering=completed&page_size=2&page={n}"))
        for n in (1, 2, 3)
    ]

    seen = [task_id for page in pages for task_id in page]
    assert len(seen) == len(set(seen)) == 6


@pytest.mark.parametrize(
    "query",
    [
        "completed=maybe",
        "completed=1",
        "ordering=owner",
        "ordering=password",
        "ordering=-description",
        "search=" + "x" * 201,
        "search=nul%00byte",
    ],
)
def test_invalid_query_parameters_are_400_naming_the_parameter(
    auth_client, user, query
):
    TaskFactory(owner=user)

    response = auth_client.get(f"/api/v1/tasks/?{query}")

    assert response.status_code == 400
    assert list(invalid_fields(response)) == [query.split("=")[0]]


@pytest.mark.parametrize("page_size", [1, 20, 100])
def test_list_query_count_does_not_grow_with_page_size(
    auth_client, user, page_size, optimized
):
    TaskFactory.create_batch(100, owner=user)

    with CaptureQueriesContext(connection) as queries:
        response = auth_client.get(f"/api/v1/tasks/?page_size={page_size}")

    assert len(response.json()["results"]) == page_size
    # The request's own transaction is a savepoint inside the test's; beside it:
    # the token with its user, knox's look at the user's other tokens, and the
    # page, which carries the count.
    statements = [query["sql"] for query in queries if "SAVEPOINT" not in query["sql"]]
    assert len(statements) == 3, statements


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata"])
def test_list_items_are_exactly_what_the_detail_endpoint_shows(
    auth_client, user, settings, zone
):
    settings.TIME_ZONE = zone  # times are shown in it, as DRF does
    TaskFactory(owner=user, title="Ünïcode ✓", description="  kept\n", completed=True)
    TaskFactory(owner=user, title="Open", description="")

    listed = auth_client.get("/api/v1/tasks/").json()["results"]
    filtered = auth_client.get("/api/v1/tasks/?ordering=title").json()["results"]

    assert len(listed) == 2
    for item in listed + filtered:
        assert item == auth_client.get(f"/api/v1/tasks/{item['id']}/").json()


@pytest.mark.parametrize(
    "name", ["due_after", "completed", "priority", "has_due", "ordering"]
)
def test_an_empty_filter_value_is_400_not_ignored(auth_client, name):
    response = auth_client.get(f"/api/v1/tasks/?{name}=")

    assert invalid_fields(response) == {
        name: ["May not be empty; leave it out instead."]
    }


def test_an_empty_search_lists_everything(auth_client, user):
    TaskFactory(owner=user)

    response = auth_client.get("/api/v1/tasks/?search=")

    assert response.status_code == 200
    assert response.json()["count"] == 1
