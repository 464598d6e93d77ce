import pytest
from django.db import connection

from tasks.tests.factories import TaskFactory

# No test transaction around the requests: they run as in production.
pytestmark = pytest.mark.django_db(transaction=True)


def in_transaction_per_query(send) -> list[bool]:
    seen: list[bool] = []

    def record(execute, sql, params, many, context):
        if sql != "BEGIN":  # SQLite's, sent as the transaction opens
            seen.append(connection.in_atomic_block)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        send()
    return seen


def test_reads_run_outside_a_transaction(auth_client, user):
    task = TaskFactory(owner=user)

    for path in ("/api/v1/tasks/", f"/api/v1/tasks/{task.pk}/", "/api/v1/users/me/"):
        seen = in_transaction_per_query(lambda path=path: auth_client.get(path))
        assert seen
        assert not any(seen), path


def test_without_the_optimizations_reads_take_a_transaction(auth_client, settings):
    settings.API_OPTIMIZATIONS = False

    seen = in_transaction_per_query(lambda: auth_client.get("/api/v1/tasks/"))

    assert seen
    assert all(seen)


@pytest.mark.parametrize("method", ["post", "patch", "delete"])
def test_writes_run_in_one_transaction(auth_client, user, method):
    task = TaskFactory(owner=user)
    path = "/api/v1/tasks/" if method == "post" else f"/api/v1/tasks/{task.pk}/"

    seen = in_transaction_per_query(
        lambda: getattr(auth_client, method)(path, {"title": "x"}, format="json")
    )

    assert seen
    assert all(seen)
