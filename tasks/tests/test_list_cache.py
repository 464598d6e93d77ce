"""The default task list served from Redis, and never stale after a write.

Against a real Redis, committing for real (the redis_cache fixture).
"""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken
from rest_framework.test import APIClient

from tasks.models import Task
from tasks.tests.factories import TaskFactory
from users.tests.factories import UserFactory


@pytest.fixture
def owner(redis_cache):
    return UserFactory()


@pytest.fixture
def client(owner) -> APIClient:
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {AuthToken.objects.create(owner)[1]}"
    )
    return client


def titles(client) -> list[str]:
    response = client.get("/api/v1/tasks/")
    assert response.status_code == 200
    return [task["title"] for task in response.json()["results"]]


def statements(client, path="/api/v1/tasks/") -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return [q["sql"] for q in queries if q["sql"] not in ("BEGIN", "COMMIT")]


def test_a_cached_list_costs_no_query_and_is_the_same_page(client, owner):
    TaskFactory.create_batch(3, owner=owner)
    first = client.get("/api/v1/tasks/").json()

    assert statements(client) == []
    assert client.get("/api/v1/tasks/").json() == first


def test_lists_with_parameters_are_not_cached(client, owner):
    TaskFactory(owner=owner)
    client.get("/api/v1/tasks/?completed=false")

    assert statements(client, "/api/v1/tasks/?completed=false") != []


def test_every_api_write_shows_in_the_next_list(client, owner):
    assert titles(client) == []

    created = client.post("/api/v1/tasks/", {"title": "First"}).json()
    assert titles(client) == ["First"]

    client.patch(f"/api/v1/tasks/{created['id']}/", {"title": "Renamed"})
    assert titles(client) == ["Renamed"]

    client.put(f"/api/v1/tasks/{created['id']}/", {"title": "Replaced"})
    assert titles(client) == ["Replaced"]

    client.delete(f"/api/v1/tasks/{created['id']}/")
    assert titles(client) == []


def test_another_users_write_leaves_the_cached_list_alone(client, owner):
    TaskFactory(owner=owner, title="Mine")
    titles(client)
    other = APIClient()
    other.credentials(
        HTTP_AUTHORIZATION=f"Bearer {AuthToken.objects.create(UserFactory())[1]}"
    )

    other.post("/api/v1/tasks/", {"title": "Theirs"})

    assert statements(client) == []
    assert titles(client) == ["Mine"]


def test_admin_edits_and_bulk_actions_show_in_the_next_list(client, owner):
    task = TaskFactory(owner=owner, title="Before")
    assert titles(client) == ["Before"]
    operator = Client()
    operator.force_login(UserFactory(is_staff=True, is_superuser=True))

    operator.post(
        f"/admin/tasks/task/{task.pk}/change/",
        {"owner": owner.pk, "title": "After", "description": "", "priority": 0},
    )
    assert titles(client) == ["After"]

    operator.post(
        "/admin/tasks/task/",
        {"action": "mark_completed", "_selected_action": [task.pk]},
    )
    assert client.get("/api/v1/tasks/").json()["results"][0]["completed"] is True

    operator.post(
        "/admin/tasks/task/",
        {"action": "delete_selected", "_selected_action": [task.pk], "post": "yes"},
    )
    assert titles(client) == []


def test_imports_and_purges_show_in_the_next_list(client, owner, tmp_path):
    assert titles(client) == []
    path = tmp_path / "tasks.csv"
    path.write_text("title,completed\nImported,true\n")

    call_command(
        "import_tasks", str(path), "--user", owner.username, stdout=io.StringIO()
    )
    assert titles(client) == ["Imported"]

    call_command(
        "purge_tasks", "--completed-before", "0", "--no-input", stdout=io.StringIO()
    )
    assert titles(client) == []
    assert not Task.objects.exists()


def test_the_cached_page_links_to_the_host_it_was_asked_on(client, owner):
    TaskFactory.create_batch(25, owner=owner)  # two pages: page 1 links to page 2
    client.get("/api/v1/tasks/", HTTP_HOST="localhost")

    first = client.get("/api/v1/tasks/", HTTP_HOST="localhost").json()
    other = client.get("/api/v1/tasks/", HTTP_HOST="127.0.0.1").json()

    assert first["next"] == "http://localhost/api/v1/tasks/?page=2"
    assert other["next"] == "http://127.0.0.1/api/v1/tasks/?page=2"


def test_without_redis_lists_still_work(client, owner, redis_down):
    TaskFactory(owner=owner, title="Still here")

    assert titles(client) == ["Still here"]
    client.post("/api/v1/tasks/", {"title": "And this"})
    assert titles(client) == ["And this", "Still here"]
