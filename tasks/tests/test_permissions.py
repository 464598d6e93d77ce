"""The ownership matrix: every task endpoint and method, as another user."""

from datetime import date

import pytest

from api.tests.helpers import problem
from tasks.models import Priority, Tag, Task
from tasks.tags import tags_named
from tasks.tests.factories import TaskFactory

pytestmark = pytest.mark.django_db

DETAIL_CALLS = [
    ("get", None),
    ("put", {"title": "stolen", "description": "x", "completed": True}),
    ("patch", {"title": "stolen"}),
    ("patch", {"completed": True}),
    ("patch", {"tags": ["stolen"], "priority": "high"}),
    ("delete", None),
    ("post", "complete/"),
    ("post", "reopen/"),
]


def call(client, method: str, task_id: int, payload):
    """A detail call: the payload, or for an action its path under the task."""
    if isinstance(payload, str):
        return getattr(client, method)(f"/api/v1/tasks/{task_id}/{payload}")
    return getattr(client, method)(f"/api/v1/tasks/{task_id}/", payload)


def snapshot(task: Task) -> tuple:
    task.refresh_from_db()
    return (
        task.owner_id,
        task.title,
        task.description,
        task.completed,
        task.priority,
        list(task.tags.values_list("name", flat=True)),
        task.updated_at,
    )


@pytest.mark.parametrize(("method", "payload"), DETAIL_CALLS)
def test_another_users_task_answers_exactly_like_a_missing_one(
    other_client, user, method, payload
):
    task = TaskFactory(owner=user)
    before = snapshot(task)
    missing_id = Task.objects.order_by("-id").first().id + 1000

    theirs = call(other_client, method, task.id, payload)
    missing = call(other_client, method, missing_id, payload)

    assert theirs.status_code == missing.status_code == 404
    assert problem(theirs) == problem(missing)
    assert snapshot(task) == before


@pytest.mark.parametrize(("method", "payload"), DETAIL_CALLS)
def test_detail_endpoints_require_authentication(api_client, user, method, payload):
    task = TaskFactory(owner=user)
    before = snapshot(task)

    response = call(api_client, method, task.id, payload)

    assert response.status_code == 401
    assert snapshot(task) == before


def test_list_neither_shows_nor_counts_another_users_tasks(other_client, user):
    TaskFactory.create_batch(3, owner=user)

    body = other_client.get("/api/v1/tasks/").json()

    assert body["count"] == 0
    assert body["results"] == []


@pytest.mark.parametrize(
    "query",
    [
        "search=secret",
        "search=mine",
        "completed=false",
        "ordering=title",
        "page_size=100",
        "tag=mine",
        "priority=high",
        "has_due=true",
        "overdue=true",
        "due_before=2100-01-01T00:00:00Z",
        "ordering=due_at",
    ],
)
def test_list_filters_never_reach_another_users_tasks(other_client, user, query):
    task = TaskFactory(owner=user, title="secret plan", priority=Priority.HIGH)
    task.due_date = date(2000, 1, 1)
    task.save()
    task.tags.set(tags_named(user, ["mine"]))

    body = other_client.get(f"/api/v1/tasks/?{query}").json()

    assert body["count"] == 0


def test_create_always_belongs_to_the_caller(other_client, user, other_user):
    response = other_client.post("/api/v1/tasks/", {"title": "x", "owner": user.id})

    assert response.status_code == 201
    assert Task.objects.get().owner == other_user
    assert not user.tasks.exists()


def test_list_and_create_require_authentication(api_client):
    assert api_client.get("/api/v1/tasks/").status_code == 401
    assert api_client.post("/api/v1/tasks/", {"title": "x"}).status_code == 401
    assert not Task.objects.exists()


TAG_CALLS = [
    ("get", None),
    ("put", {"name": "x"}),
    ("patch", {"name": "x"}),
    ("delete", None),
]


@pytest.mark.parametrize(("method", "payload"), TAG_CALLS)
def test_another_users_tag_answers_exactly_like_a_missing_one(
    other_client, user, method, payload
):
    tag = Tag.objects.create(owner=user, name="mine")
    missing_id = tag.id + 1000

    theirs = getattr(other_client, method)(f"/api/v1/tags/{tag.id}/", payload)
    missing = getattr(other_client, method)(f"/api/v1/tags/{missing_id}/", payload)

    assert theirs.status_code == missing.status_code == 404
    assert problem(theirs) == problem(missing)
    assert Tag.objects.get(pk=tag.pk).name == "mine"


def test_tags_list_only_the_callers_and_counts_only_their_tasks(
    other_client, user, other_user
):
    TaskFactory(owner=user).tags.set(tags_named(user, ["work"]))
    TaskFactory(owner=other_user).tags.set(tags_named(other_user, ["Work"]))

    body = other_client.get("/api/v1/tags/").json()

    assert [(tag["name"], tag["task_count"]) for tag in body] == [("Work", 1)]


def test_a_task_payload_never_reaches_another_users_tags(other_client, user):
    theirs = Tag.objects.create(owner=user, name="shared-name")

    response = other_client.post(
        "/api/v1/tasks/", {"title": "x", "tags": ["shared-name"]}, format="json"
    )

    assert response.status_code == 201
    assert Tag.objects.filter(name="shared-name").count() == 2
    assert not theirs.tasks.exists()


def test_tags_require_authentication(api_client, user):
    tag = Tag.objects.create(owner=user, name="mine")

    assert api_client.get("/api/v1/tags/").status_code == 401
    assert api_client.post("/api/v1/tags/", {"name": "x"}).status_code == 401
    assert api_client.delete(f"/api/v1/tags/{tag.id}/").status_code == 401
    assert Tag.objects.count() == 1
