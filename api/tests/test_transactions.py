import pytest
from django.db import connection

from tasks.tests.factories import TaskFactory
from tasks.views import TaskViewSet

# No test transaction around the requests: they run as in production.
pytestmark = pytest.mark.django_db(transaction=True)


def in_transaction_per_query(send) -> list[bool]:
    seen: list[bool] = []

    def record(execute, sql, params, many, context):
        if not sql.startswith("BEGIN"):  # SQLite's, sent as the transaction opens
            seen.append(connection.in_atomic_block)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        send()
    return seen


def transactions_on_tasks(send) -> list[tuple[str, object]]:
    """Each statement on the tasks app's tables, and the outermost atomic block
    it ran in (None outside one): one block, one transaction."""
    seen: list[tuple[str, object]] = []

    def record(execute, sql, params, many, context):
        if "tasks_" in sql:
            blocks = connection.atomic_blocks
            seen.append((sql, blocks[0] if blocks else None))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        send()
    return seen


def test_reads_run_outside_a_transaction(auth_client, user, optimized):
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


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_writes_run_in_one_transaction(auth_client, user, method):
    task = TaskFactory(owner=user)
    path = f"/api/v1/tasks/{task.pk}/"

    seen = in_transaction_per_query(
        lambda: getattr(auth_client, method)(path, {"title": "x"}, format="json")
    )

    assert seen
    assert all(seen)


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        ({"title": "x"}, {}),  # one row, one statement on PostgreSQL
        ({"title": "x", "tags": ["a", "b"]}, {}),  # the task and its tag links
        ({"title": "x"}, {"HTTP_IDEMPOTENCY_KEY": "k1"}),  # the key and the task
    ],
)
def test_every_create_runs_in_one_transaction(auth_client, monkeypatch, body, headers):
    # The view's, opened before anything is written (on SQLite the model's
    # save opens one of its own, which would pass the checks below alone).
    opened_before = []
    perform_create = TaskViewSet.perform_create

    def record(self, serializer):
        opened_before.append(connection.in_atomic_block)
        perform_create(self, serializer)

    monkeypatch.setattr(TaskViewSet, "perform_create", record)
    # (The token is read before, outside: a read.)
    seen = transactions_on_tasks(
        lambda: auth_client.post("/api/v1/tasks/", body, format="json", **headers)
    )

    assert opened_before == [True]
    assert seen
    assert all(block is not None for _, block in seen)
    assert len({id(block) for _, block in seen}) == 1  # the same one throughout


def test_a_plain_create_takes_its_change_number_in_its_insert(auth_client):
    responses = []
    writes = transactions_on_tasks(
        lambda: responses.append(
            auth_client.post("/api/v1/tasks/", {"title": "x"}, format="json")
        )
    )

    assert responses[0].status_code == 201
    # Before them, in the same transaction: the inbox, locked, and the last
    # position among the new task's siblings (tasks.services).
    reads = [sql for sql, _ in writes if sql.startswith("SELECT")]
    writes = [(sql, block) for sql, block in writes if not sql.startswith("SELECT")]
    assert len(reads) == 2
    if connection.vendor == "postgresql":
        assert reads[0].endswith("FOR NO KEY UPDATE")
        # No separate upsert of the clock: the INSERT calls the function.
        [(sql, _)] = writes
        assert sql.startswith('INSERT INTO "tasks_task"')
        assert "tasks_next_change_seq" in sql
    else:  # the clock, then the task
        assert [sql.split()[2] for sql, _ in writes] == [
            '"tasks_changeclock"',
            '"tasks_task"',
        ]
    assert all(block is not None for _, block in writes)
