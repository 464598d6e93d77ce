"""Hostile input: every case answers 4xx JSON and changes nothing, never 500."""

import logging

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from api.tests.helpers import bearer, invalid_fields
from tasks.models import Tag, Task
from tasks.tests.factories import TaskFactory

pytestmark = pytest.mark.django_db

LISTS = ["/api/v1/tasks/", "/api/v1/trash/", "/api/v1/tags/", "/api/v1/sync/"]
PARAMS = [
    "completed", "priority", "tag", "due_before", "due_after", "overdue", "has_due",
    "search", "ordering", "page", "page_size", "cursor", "limit", "unknown",
]  # fmt: skip


@pytest.mark.parametrize("value", ["a\x00b", "x" * 10_000])
@pytest.mark.parametrize("param", PARAMS)
@pytest.mark.parametrize("path", LISTS)
def test_null_characters_and_huge_values_in_a_query_are_400(
    auth_client, path, param, value
):
    response = auth_client.get(path, {param: value})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert list(invalid_fields(response)) == [param]


def test_a_body_over_the_limit_is_413_and_writes_nothing(auth_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    operations = [{"op": "create", "data": {"title": "x" * 100}}] * 100

    created = auth_client.post(
        "/api/v1/tasks/", {"title": "x", "description": "y" * 20_000}, format="json"
    )
    bulk = auth_client.post(
        "/api/v1/tasks/bulk/", {"operations": operations}, format="json"
    )

    for response in (created, bulk):
        assert response.status_code == 413
        assert "10000 bytes" in response.json()["detail"]
    assert not Task.objects.exists()


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", "title=x"),
        ("application/x-www-form-urlencoded", "title=x"),
        ("multipart/form-data; boundary=b", "--b--"),
        ("application/xml", "<task/>"),
    ],
)
def test_anything_but_json_is_415(auth_client, content_type, body):
    response = auth_client.post("/api/v1/tasks/", body, content_type=content_type)

    assert response.status_code == 415
    assert response["Content-Type"] == "application/problem+json"
    assert not Task.objects.exists()


@pytest.mark.parametrize("name", ["token", "access_token", "auth", "authorization"])
def test_a_token_in_the_query_string_is_never_accepted(user, name):
    _, token = AuthToken.objects.create(user)

    response = APIClient().get("/api/v1/tasks/", {name: token})

    assert response.status_code == 401


def test_tokens_never_reach_the_logs(user, caplog):
    TaskFactory(owner=user)
    _, token = AuthToken.objects.create(user)
    client = bearer(token)
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION=f"Bearer {token[:-1]}x")

    with caplog.at_level(logging.DEBUG):
        client.get("/api/v1/tasks/")
        client.get("/api/v1/tasks/999999/")  # a logged 404
        client.post("/api/v1/tasks/", {"title": ""}, format="json")  # a logged 400
        wrong.get("/api/v1/tasks/")  # a logged 401
        APIClient().get("/api/v1/tasks/", {"token": token})  # a client's mistake

    assert caplog.records  # the requests above were logged
    assert token not in caplog.text
    assert token[:-1] not in caplog.text


@pytest.mark.parametrize(
    "field", ["id", "owner", "owner_id", "created_at", "updated_at", "completed_at",
              "deleted_at", "change_seq"]
)  # fmt: skip
def test_server_fields_cannot_be_set_by_a_client(auth_client, user, other_user, field):
    value = {
        "owner": other_user.pk,
        "owner_id": other_user.pk,
        "id": 999999,
        "change_seq": 999999,
    }.get(field, "2001-01-01T00:00:00Z")

    created = auth_client.post(
        "/api/v1/tasks/", {"title": "mine", field: value}, format="json"
    )
    task = Task.objects.get()
    patched = auth_client.patch(f"/api/v1/tasks/{task.id}/", {field: value})
    task.refresh_from_db()

    assert created.status_code == 201 and patched.status_code == 200
    assert task.owner == user
    assert task.id != 999999
    assert task.created_at.year != 2001 and task.updated_at.year != 2001
    assert task.completed_at is None and task.deleted_at is None
    assert task.change_seq < 999999  # the user's clock: a few changes so far


UNKNOWN = {"colour": "red", "version": 7}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/v1/tasks/", {"title": "t", **UNKNOWN}),
        ("patch", "/api/v1/tasks/{task}/", {"title": "t", **UNKNOWN}),
        ("post", "/api/v1/tags/", {"name": "n", **UNKNOWN}),
        ("patch", "/api/v1/tags/{tag}/", {"name": "n", **UNKNOWN}),
        (
            "post",
            "/api/v1/tasks/bulk/",
            {
                "operations": [
                    {"op": "create", "data": {"title": "t", **UNKNOWN}, **UNKNOWN}
                ],
                **UNKNOWN,
            },
        ),
    ],
    ids=["task create", "task patch", "tag create", "tag rename", "bulk"],
)
def test_unknown_fields_are_ignored_everywhere(auth_client, user, method, path, body):
    """The documented choice: an unknown field changes nothing and is no error
    (a client newer than the server may send fields this one does not know)."""
    task = Task.objects.create(owner=user, title="before")
    tag = Tag.objects.create(owner=user, name="before")

    response = getattr(auth_client, method)(
        path.format(task=task.pk, tag=tag.pk), body, format="json"
    )

    assert response.status_code in (200, 201), response.content
    assert b"colour" not in response.content
    assert b"version" not in response.content
    assert user.tasks.filter(title="t").exists() or user.tags.filter(name="n").exists()
