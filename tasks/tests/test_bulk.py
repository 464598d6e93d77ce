"""POST /api/v1/tasks/bulk/."""

import pytest

from api.tests.helpers import NOT_FOUND, invalid_fields, problem
from tasks.models import Priority, Task
from tasks.serializers import TaskSerializer
from tasks.tags import tags_named
from tasks.tests.factories import TaskFactory

pytestmark = pytest.mark.django_db
PATH = "/api/v1/tasks/bulk/"


def bulk(client, operations, **extra):
    return client.post(PATH, {"operations": operations, **extra}, format="json")


def positions(response, status: int = 400) -> set[str]:
    """The positions of the operations a 400 names ("operations.2.title")."""
    return {field.split(".")[1] for field in invalid_fields(response, status)}


def state(user) -> list[tuple]:
    return list(
        user.tasks.order_by("id").values_list(
            "title", "completed", "priority", "deleted_at"
        )
    )


def test_every_kind_of_operation_in_one_atomic_request(auth_client, user):
    a, b, c = TaskFactory.create_batch(3, owner=user)
    done = TaskFactory(owner=user, completed=True)

    response = bulk(
        auth_client,
        [
            {"op": "create", "data": {"title": "new", "tags": ["x"]}},
            {"op": "update", "id": a.pk, "data": {"priority": "high"}},
            {"op": "complete", "id": b.pk},
            {"op": "reopen", "id": done.pk},
            {"op": "delete", "id": c.pk},
        ],
    )

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 200, 200, 200, 204]
    assert results[0]["task"]["tags"] == ["x"]
    assert results[1]["task"]["title"] == a.title  # not sent, not changed
    assert Task.objects.get(pk=a.pk).priority == Priority.HIGH
    assert Task.objects.get(pk=b.pk).completed is True
    assert Task.objects.get(pk=done.pk).completed is False
    assert Task.objects.get(pk=c.pk).deleted_at is not None
    assert user.tasks.filter(title="new").exists()


def test_an_update_never_clears_what_it_does_not_send(auth_client, user):
    task = TaskFactory(owner=user, priority=Priority.LOW, description="keep")
    task.tags.set(tags_named(user, ["keep"]))

    bulk(auth_client, [{"op": "update", "id": task.pk, "data": {"title": "new"}}])

    task.refresh_from_db()
    assert (task.title, task.description, task.priority) == ("new", "keep", 1)
    assert list(task.tags.values_list("name", flat=True)) == ["keep"]


@pytest.mark.parametrize(
    "bad",
    [
        {"op": "update", "id": 0, "data": {"title": ""}},  # id replaced below
        {"op": "create", "data": {"title": ""}},
        {"op": "create"},
        {"op": "update"},
        {"op": "explode", "id": 1},
    ],
)
def test_one_bad_operation_changes_nothing(auth_client, user, bad):
    task = TaskFactory(owner=user)
    if bad.get("id") == 0:
        bad = {**bad, "id": task.pk}
    before = state(user)

    response = bulk(
        auth_client,
        [
            {"op": "create", "data": {"title": "first"}},
            {"op": "complete", "id": task.pk},
            bad,
        ],
    )

    assert response.status_code == 400
    assert positions(response) == {"2"}  # the bad one's position, and only it
    assert state(user) == before


def test_more_than_100_operations_is_400(auth_client, user):
    response = bulk(auth_client, [{"op": "create", "data": {"title": "t"}}] * 101)

    assert response.status_code == 400
    assert "operations" in invalid_fields(response)
    assert not Task.objects.exists()


def test_another_users_task_is_404_and_nothing_changes(auth_client, user, other_user):
    mine, theirs = TaskFactory(owner=user), TaskFactory(owner=other_user)
    before = state(user), state(other_user)

    response = bulk(
        auth_client,
        [{"op": "complete", "id": mine.pk}, {"op": "delete", "id": theirs.pk}],
        atomic=False,
    )

    assert response.status_code == 404
    assert problem(response) == NOT_FOUND
    assert (state(user), state(other_user)) == before


def test_an_operation_on_a_task_deleted_earlier_in_the_request_undoes_all(
    auth_client, user
):
    task = TaskFactory(owner=user)
    before = state(user)

    response = bulk(
        auth_client,
        [
            {"op": "create", "data": {"title": "t"}},
            {"op": "delete", "id": task.pk},
            {"op": "complete", "id": task.pk},
        ],
    )

    assert response.status_code == 404
    assert state(user) == before


def test_not_atomic_an_operation_on_a_task_trashed_earlier_is_its_own_404(
    auth_client, user
):
    task = TaskFactory(owner=user)

    response = bulk(
        auth_client,
        [{"op": "delete", "id": task.pk}, {"op": "complete", "id": task.pk}],
        atomic=False,
    )

    assert response.status_code == 200
    deleted, completed = response.json()["results"]
    assert deleted == {"op": "delete", "id": task.pk, "status": 204}
    assert completed == {
        "op": "complete",
        "id": task.pk,
        "status": 404,
        "errors": [{"field": None, "code": "not_found", "message": "Not found."}],
    }


def test_not_atomic_each_operation_reports_its_own_status(auth_client, user):
    task = TaskFactory(owner=user)

    response = bulk(
        auth_client,
        [
            {"op": "create", "data": {"title": ""}},
            {"op": "complete", "id": task.pk},
            {"op": "create", "data": {"title": "kept"}},
        ],
        atomic=False,
    )

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == [400, 200, 201]
    assert results[0]["errors"] == [
        {"field": "title", "code": "blank", "message": "This field may not be blank."}
    ]
    assert Task.objects.get(pk=task.pk).completed is True
    assert user.tasks.filter(title="kept").exists()


def test_bulk_requires_authentication(api_client, user):
    task = TaskFactory(owner=user)

    response = bulk(api_client, [{"op": "delete", "id": task.pk}])

    assert response.status_code == 401
    assert Task.objects.get(pk=task.pk).deleted_at is None


@pytest.mark.parametrize("atomic", [True, False])
def test_updates_that_together_break_a_rule_are_409_not_500(auth_client, user, atomic):
    task = TaskFactory(owner=user)

    response = bulk(
        auth_client,
        [
            {"op": "update", "id": task.pk, "data": {"due_at": "2026-12-01T09:00:00Z"}},
            {"op": "update", "id": task.pk, "data": {"due_date": "2026-12-02"}},
        ],
        atomic=atomic,
    )

    task.refresh_from_db()
    if atomic:  # the second update conflicts with the task the first left
        assert positions(response, 409) == {"1"}
        assert task.due_at is None
    else:
        assert [r["status"] for r in response.json()["results"]] == [200, 409]
        assert task.due_at is not None and task.due_date is None


@pytest.mark.parametrize("atomic", [True, False])
def test_a_database_rule_the_checks_missed_is_that_operations_409(
    auth_client, user, monkeypatch, atomic
):
    # As if a concurrent write slipped past the serializer's check: the
    # database's constraint refuses the row.
    monkeypatch.setattr(TaskSerializer, "validate", lambda self, attrs: attrs)
    task = TaskFactory(owner=user, due_at=None, due_date=None)
    both = {"due_at": "2026-12-01T09:00:00Z", "due_date": "2026-12-02"}

    response = bulk(
        auth_client,
        [
            {"op": "create", "data": {"title": "kept?"}},
            {"op": "update", "id": task.pk, "data": both},
        ],
        atomic=atomic,
    )

    rule = "A task has a due time (due_at) or a due date, not both."
    if atomic:
        assert invalid_fields(response, 409) == {"operations.1": [rule]}
        assert user.tasks.count() == 1
    else:
        assert [r["status"] for r in response.json()["results"]] == [201, 409]
        assert response.json()["results"][1]["errors"] == [
            {"field": None, "code": "conflict", "message": rule}
        ]
