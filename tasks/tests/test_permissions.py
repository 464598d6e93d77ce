"""The ownership matrix: every task endpoint and method, as another user."""

import pytest

from tasks.models import Task
from tasks.tests.factories import TaskFactory

pytestmark = pytest.mark.django_db

DETAIL_CALLS = [
    ("get", None),
    ("put", {"title": "stolen", "description": "x", "completed": True}),
    ("patch", {"title": "stolen"}),
    ("patch", {"completed": True}),
    ("delete", None),
]


def snapshot(task: Task) -> tuple:
    task.refresh_from_db()
    return (
        task.owner_id,
        task.title,
        task.description,
        task.completed,
        task.updated_at,
    )


@pytest.mark.parametrize(("method", "payload"), DETAIL_CALLS)
def test_another_users_task_answers_exactly_like_a_missing_one(
    other_client, user, method, payload
):
    task = TaskFactory(owner=user)
    before = snapshot(task)
    missing_id = Task.objects.order_by("-id").first().id + 1000

    theirs = getattr(other_client, method)(f"/api/v1/tasks/{task.id}/", payload)
    missing = getattr(other_client, method)(f"/api/v1/tasks/{missing_id}/", payload)

    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()
    assert snapshot(task) == before


@pytest.mark.parametrize(("method", "payload"), DETAIL_CALLS)
def test_detail_endpoints_require_authentication(api_client, user, method, payload):
    task = TaskFactory(owner=user)
    before = snapshot(task)

    response = getattr(api_client, method)(f"/api/v1/tasks/{task.id}/", payload)

    assert response.status_code == 401
    assert snapshot(task) == before


def test_list_neither_shows_nor_counts_another_users_tasks(other_client, user):
    TaskFactory.create_batch(3, owner=user)

    body = other_client.get("/api/v1/tasks/").json()

    assert body["count"] == 0
    assert body["results"] == []


@pytest.mark.parametrize(
    "query", ["search=secret", "completed=false", "ordering=title", "page_size=100"]
)
def test_list_filters_never_reach_another_users_tasks(other_client, user, query):
    TaskFactory(owner=user, title="secret plan")

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
