"""Ids a request names, past what a bigint column holds: 404, like any missing id."""

import pytest
from rest_framework.test import APIClient

from api.fields import MAX_ID
from api.tests.helpers import NOT_FOUND, problem
from tasks.models import Tag, Task
from tasks.tests.factories import TaskFactory

pytestmark = pytest.mark.django_db

# Ids no row can have: one past the largest, and far past any 64-bit integer.
PAST_THE_RANGE = [MAX_ID + 1, 2**70]


def test_the_largest_id_is_the_largest_bigint():
    assert MAX_ID == 9223372036854775807


@pytest.mark.parametrize("big", PAST_THE_RANGE)
def test_an_in_lookup_past_the_range_matches_nothing(user, big):
    task = TaskFactory(owner=user)

    assert list(Task.objects.filter(pk__in=[task.pk, big])) == [task]
    assert not Task.objects.filter(pk__in=[big]).exists()


def _bulk(client, task: Task, op: str, task_id: int, atomic: bool):
    operation: dict = {"op": op, "id": task_id}
    if op == "update":
        operation["data"] = {"title": "changed"}
    operations = [{"op": "complete", "id": task.pk}, operation]
    return client.post(
        "/api/v1/tasks/bulk/",
        {"operations": operations, "atomic": atomic},
        format="json",
    )


@pytest.mark.parametrize("atomic", [True, False])
@pytest.mark.parametrize("op", ["update", "complete", "reopen", "delete"])
@pytest.mark.parametrize("big", PAST_THE_RANGE)
def test_a_bulk_id_past_the_range_is_404_like_a_missing_one(
    auth_client, user, op, atomic, big
):
    task = TaskFactory(owner=user)
    gone = TaskFactory(owner=user).pk
    Task.objects.filter(pk=gone).delete()  # an id that was, and is no more
    before = list(Task.objects.values_list("pk", "title", "completed", "deleted_at"))

    missing = _bulk(auth_client, task, op, gone, atomic)
    response = _bulk(auth_client, task, op, big, atomic)

    assert response.status_code == missing.status_code == 404
    assert problem(response) == problem(missing) == NOT_FOUND
    after = list(Task.objects.values_list("pk", "title", "completed", "deleted_at"))
    assert after == before


PATHS = [
    ("get", "/api/v1/tasks/{}/"),
    ("put", "/api/v1/tasks/{}/"),
    ("patch", "/api/v1/tasks/{}/"),
    ("delete", "/api/v1/tasks/{}/"),
    ("post", "/api/v1/tasks/{}/complete/"),
    ("post", "/api/v1/tasks/{}/reopen/"),
    ("post", "/api/v1/tasks/{}/restore/"),
    ("get", "/api/v1/tags/{}/"),
    ("put", "/api/v1/tags/{}/"),
    ("patch", "/api/v1/tags/{}/"),
    ("delete", "/api/v1/tags/{}/"),
    ("get", "/api/v1/trash/{}/"),
    ("delete", "/api/v1/trash/{}/"),
]


@pytest.mark.parametrize("if_match", [None, "*"])
@pytest.mark.parametrize(("method", "path"), PATHS)
@pytest.mark.parametrize("big", [*PAST_THE_RANGE, -1, 0])
def test_a_path_id_out_of_the_range_is_404(
    auth_client, user, method, path, if_match, big
):
    TaskFactory(owner=user)
    Tag.objects.create(owner=user, name="t")
    headers = {"HTTP_IF_MATCH": if_match} if if_match else {}

    response = getattr(auth_client, method)(
        path.format(big), {"title": "t", "name": "t"}, format="json", **headers
    )

    assert response.status_code == 404
    assert problem(response) == NOT_FOUND


def test_the_schema_states_the_id_range():
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    id_range = {"minimum": 1, "maximum": MAX_ID}
    path_ids = [
        parameter["schema"]
        for path, by_method in schema["paths"].items()
        for operation in by_method.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "path" and "{id}" in path
    ]
    assert path_ids
    for schema_of_id in path_ids:
        assert schema_of_id.items() >= {"type": "integer", **id_range}.items()
    components = schema["components"]["schemas"]
    for op in ("Update", "Complete", "Reopen", "Delete"):
        body_id = components[f"{op}OperationRequest"]["properties"]["id"]
        assert body_id.items() >= {"type": "integer", **id_range}.items()
