"""ETags, If-None-Match (304) and If-Match (412) on tasks."""

import time

import pytest
from django.db import connection

from api.tests.helpers import at_once, bearer
from tasks.models import Task
from tasks.serializers import TaskSerializer
from tasks.tests.factories import TaskFactory

pytestmark = pytest.mark.django_db


def path(task) -> str:
    return f"/api/v1/tasks/{task.id if isinstance(task, Task) else task['id']}/"


def test_every_task_response_carries_the_same_etag_for_the_same_task(auth_client):
    created = auth_client.post("/api/v1/tasks/", {"title": "a", "tags": ["x"]})
    read = auth_client.get(path(created.json()))

    assert created["ETag"].startswith('"') and created["ETag"].endswith('"')
    assert read["ETag"] == created["ETag"]
    before = read["ETag"]
    for change in (
        lambda: auth_client.patch(path(created.json()), {"title": "b"}),
        lambda: auth_client.post(path(created.json()) + "complete/"),
        lambda: auth_client.put(path(created.json()), {"title": "c"}),
    ):
        changed = change()
        assert changed.status_code == 200
        assert changed["ETag"] != before
        assert auth_client.get(path(created.json()))["ETag"] == changed["ETag"]
        before = changed["ETag"]


def test_renaming_a_tag_changes_its_tasks_etag(auth_client):
    task = auth_client.post("/api/v1/tasks/", {"title": "a", "tags": ["x"]}).json()
    before = auth_client.get(path(task))["ETag"]
    tag_id = auth_client.get("/api/v1/tags/").json()[0]["id"]

    auth_client.patch(f"/api/v1/tags/{tag_id}/", {"name": "y"})

    assert auth_client.get(path(task))["ETag"] != before


@pytest.mark.parametrize(
    ("sent", "expected"), [("current", 304), ("weak", 304), ("*", 304), ("stale", 200)]
)
def test_if_none_match(auth_client, user, sent, expected):
    task = TaskFactory(owner=user)
    current = auth_client.get(path(task))["ETag"]
    header = {
        "current": current,
        "weak": f"W/{current}",
        "*": "*",
        "stale": '"0000", "1111"',
    }[sent]

    response = auth_client.get(path(task), HTTP_IF_NONE_MATCH=header)

    assert response.status_code == expected
    assert response["ETag"] == current
    assert (response.content == b"") is (expected == 304)


WRITES = [
    ("patch", "", {"title": "changed"}),
    ("put", "", {"title": "changed"}),
    ("delete", "", None),
    ("post", "complete/", None),
]


@pytest.mark.parametrize(("method", "suffix", "body"), WRITES)
def test_a_stale_if_match_is_412_and_changes_nothing(
    auth_client, user, method, suffix, body
):
    task = TaskFactory(owner=user, title="original")
    stale = auth_client.get(path(task))["ETag"]
    auth_client.patch(path(task), {"description": "someone else's change"})
    before = auth_client.get(path(task)).json()

    for header in (stale, f"W/{auth_client.get(path(task))['ETag']}"):
        response = getattr(auth_client, method)(
            path(task) + suffix, body, HTTP_IF_MATCH=header
        )
        assert response.status_code == 412
        assert "If-Match" in response.json()["detail"]
    assert auth_client.get(path(task)).json() == before


@pytest.mark.parametrize("header", ["", "abc", '"a" "b"', "W/abc", "**x"])
@pytest.mark.parametrize(("method", "suffix", "body"), WRITES)
def test_a_malformed_if_match_matches_nothing_so_changes_nothing(
    auth_client, user, method, suffix, body, header
):
    task = TaskFactory(owner=user, title="original")
    before = auth_client.get(path(task)).json()

    response = getattr(auth_client, method)(
        path(task) + suffix, body, HTTP_IF_MATCH=header
    )

    assert response.status_code == 412
    assert auth_client.get(path(task)).json() == before


@pytest.mark.parametrize(("method", "suffix", "body"), WRITES)
def test_a_current_if_match_lets_the_write_through(
    auth_client, user, method, suffix, body
):
    task = TaskFactory(owner=user, title="original")
    for header in (auth_client.get(path(task))["ETag"], "*"):
        TaskFactory(owner=user)  # other tasks' changes do not matter
        response = getattr(auth_client, method)(
            path(task) + suffix, body, HTTP_IF_MATCH=header
        )
        assert response.status_code in (200, 204)
        if method == "delete":
            break


def test_if_match_on_another_users_task_is_404(other_client, user):
    task = TaskFactory(owner=user)

    response = other_client.patch(path(task), {"title": "x"}, HTTP_IF_MATCH="*")

    assert response.status_code == 404
    assert Task.objects.get().title == task.title


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite runs one writer at a time"
)
def test_of_two_racing_writers_with_one_etag_exactly_one_wins(user, login, monkeypatch):
    task = TaskFactory(owner=user)
    token = login(user)
    client = bearer(token)
    etag = client.get(path(task))["ETag"]
    # A slow write: the second writer arrives while the first holds the row.
    original_update = TaskSerializer.update

    def slow_update(self, instance, validated_data):
        time.sleep(0.3)
        return original_update(self, instance, validated_data)

    monkeypatch.setattr(TaskSerializer, "update", slow_update)
    statuses = at_once(
        *[
            lambda title=title: bearer(token).patch(
                path(task), {"title": title}, HTTP_IF_MATCH=etag
            )
            for title in "ab"
        ]
    )

    assert sorted(statuses) == [200, 412]
    assert Task.objects.get().title in ("a", "b")


def test_a_browser_client_may_send_if_match_and_read_the_etag(
    api_client, auth_client, user, settings
):
    origin = "https://app.example.com"
    settings.CORS_ALLOWED_ORIGINS = [origin]
    task = TaskFactory(owner=user)

    preflight = api_client.options(
        path(task),
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="PATCH",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, if-match, idempotency-key",
    )
    response = auth_client.get(path(task), HTTP_ORIGIN=origin)

    allowed = preflight["access-control-allow-headers"]
    assert {"if-match", "if-none-match", "idempotency-key"} <= set(allowed.split(", "))
    assert "ETag" in response["access-control-expose-headers"]


@pytest.mark.django_db(transaction=True)
def test_options_with_if_match_describes_the_endpoint(auth_client, user):
    # DRF's OPTIONS metadata probes get_object() as a PUT, outside any
    # transaction: If-Match must not lock (nor check) there.
    task = TaskFactory(owner=user)

    response = auth_client.options(path(task), HTTP_IF_MATCH='"stale"')

    assert response.status_code == 200
    assert Task.objects.get().title == task.title
