"""POST /api/v1/tasks/bulk/: up to 100 operations on the caller's tasks at once.

Every task named must be the caller's (and not in the trash), or the request is a
404 and nothing changes. Atomic (the default): one bad operation is a 400 (409
when every error is a clash with stored data) whose errors name each bad
operation by position ("operations.2.title"), with nothing changed. With
"atomic": false each operation stands alone and reports its own status.
"""

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_serializer
from rest_framework import exceptions, serializers
from rest_framework.settings import api_settings

from api.exceptions import Conflict
from api.fields import IdField, StrictBooleanField
from api.problems import CONFLICT, field_errors, validation_status
from api.schema import FieldErrorSerializer

from . import services
from .models import Task
from .serializers import TaskSerializer

MAX_OPERATIONS = 100
NOT_FOUND = exceptions.ErrorDetail("Not found.", code="not_found")
NEEDS_DATA = {"create", "update"}


class OperationSerializer(serializers.Serializer):
    op = serializers.ChoiceField(
        choices=["create", "update", "complete", "reopen", "delete"]
    )
    id = IdField(required=False)
    # DRF moves declared fields off the class, so this does not hide .data.
    data = serializers.DictField(  # type: ignore[assignment]
        required=False, help_text="The task's fields, as for POST or PATCH."
    )

    def validate(self, attrs: dict) -> dict:
        if (attrs["op"] == "create") == ("id" in attrs):
            message = "create takes no id." if "id" in attrs else "Required."
            raise serializers.ValidationError({"id": [message]})
        if attrs["op"] in NEEDS_DATA and "data" not in attrs:
            raise serializers.ValidationError({"data": ["Required."]})
        return attrs


class BulkSerializer(serializers.Serializer):
    operations = OperationSerializer(  # type: ignore[call-arg]  # stubs lack it
        many=True, allow_empty=False, max_length=MAX_OPERATIONS
    )
    atomic = StrictBooleanField(default=True)


def _operation_schema(op: str, **fields) -> type[serializers.Serializer]:
    """One kind of operation, for the schema (OperationSerializer checks)."""
    body = {"op": serializers.ChoiceField(choices=[op]), **fields}
    name = f"{op.capitalize()}Operation"
    return type(name, (serializers.Serializer,), body)


def _task_id():
    return IdField()


@extend_schema_serializer(component_name="Bulk")
class BulkSchemaSerializer(BulkSerializer):
    """1 to 100 operations, applied in order; all or nothing unless "atomic" is
    false. A create takes no id."""

    # The request as the schema shows it: each kind of operation with its own
    # fields. OperationSerializer checks them; tasks.schema.add_rules
    # adds what a serializer cannot state.

    operations = PolymorphicProxySerializer(  # type: ignore[assignment]
        component_name="Operation",
        serializers={
            "create": _operation_schema("create", data=TaskSerializer()),
            "update": _operation_schema(
                "update", id=_task_id(), data=TaskSerializer(partial=True)
            ),
            **{
                op: _operation_schema(op, id=_task_id())
                for op in ("complete", "reopen", "delete")
            },
        },
        resource_type_field_name="op",
        many=True,
    )


class ResultSerializer(serializers.Serializer):
    op = serializers.CharField()
    id = serializers.IntegerField(allow_null=True)
    status = serializers.IntegerField(
        help_text="200, 201 or 204; 400, 404 or 409 when not atomic."
    )
    task = TaskSerializer(required=False)
    errors = FieldErrorSerializer(  # type: ignore[assignment]
        many=True,
        required=False,
        help_text="Why an operation failed (when not atomic), as in a 400's errors.",
    )


class BulkResponseSerializer(serializers.Serializer):
    results = ResultSerializer(many=True)


def run(
    user, operations: list[dict], atomic: bool, context: Mapping[str, Any]
) -> list[dict]:
    """Apply the operations in order; returns one result per operation.

    Each operation is checked just before it runs, against the tasks as the
    operations before it left them, and runs in a savepoint: one that breaks a
    database rule the checks could not see is that operation's error, not a 500.
    """
    tasks = {task.pk: task for task in _named_tasks(user, operations)}
    results, errors = [], {}
    stale = False
    for position, op in enumerate(operations):
        if stale and "id" in op:
            _refresh(user, tasks)
            stale = False
        serializer, error = _check(op, tasks, context)
        if not error:
            try:
                with transaction.atomic():
                    results.append(_apply(op, serializer, tasks))
                stale = stale or _changes_others(op)
                continue
            except exceptions.NotFound:
                if atomic:
                    raise
                results.append(_result(op, 404, errors=NOT_FOUND))
                continue
            except IntegrityError as exc:
                error = {api_settings.NON_FIELD_ERRORS_KEY: [_rule_broken(exc)]}
            except serializers.ValidationError as exc:  # found while saving
                error = exc.detail
            except Conflict as exc:  # an archived list
                detail = exceptions.ErrorDetail(str(exc.detail), code=CONFLICT)
                error = {api_settings.NON_FIELD_ERRORS_KEY: [detail]}
            # The savepoint undid the row, not the object in memory, which a
            # later operation on the same task would otherwise save.
            _read_again(user, tasks, op)
        errors[str(position)] = error  # keyed by position, as DRF keys a list's
        results.append(_result(op, 400, errors=error))
    if atomic and errors:
        raise serializers.ValidationError({"operations": errors})
    return results


def _rule_broken(exc: IntegrityError) -> exceptions.ErrorDetail:
    if "due_at_or_due_date" in str(exc):
        return exceptions.ErrorDetail(
            "A task has a due time (due_at) or a due date, not both.", code=CONFLICT
        )
    return exceptions.ErrorDetail(
        "This operation breaks a rule of the data.", code=CONFLICT
    )


def _changes_others(op: dict) -> bool:
    """Whether an operation may change tasks besides its own, which a later
    one may name: a completion, a reopening or a delete takes its subtree or
    ancestors along, a subtask created changes its parent's."""
    data = op.get("data", {})
    return (
        op["op"] not in NEEDS_DATA
        or "completed" in data
        or (op["op"] == "create" and data.get("parent") is not None)
    )


def _refresh(user, tasks: dict[int, Task]) -> None:
    """Every named task read again, in one query."""
    fresh = _writable(user).in_bulk(list(tasks))
    for pk, task in tasks.items():
        if pk in fresh:
            tasks[pk] = fresh[pk]
        else:  # trashed with its parent: _apply answers 404
            task.deleted_at = timezone.now()


def _read_again(user, tasks: dict[int, Task], op: dict) -> None:
    if "id" in op:
        tasks[op["id"]] = _writable(user).get(pk=op["id"])


def _writable(user):
    return Task.objects.writable_by(user).alive().for_answers().select_related("list")


def _named_tasks(user, operations: list[dict]) -> list[Task]:
    ids = {op["id"] for op in operations if "id" in op}
    found = list(_writable(user).filter(pk__in=ids))
    if len(found) != len(ids):  # another user's, trashed, or missing
        raise exceptions.NotFound()
    return found


def _check(op: dict, tasks: dict[int, Task], context: Mapping[str, Any]):
    """(a serializer ready to save, or None; the operation's errors, or {})."""
    if op["op"] not in NEEDS_DATA:
        return None, {}
    instance = tasks.get(op.get("id"))  # type: ignore[arg-type]
    serializer = TaskSerializer(
        instance, data=op["data"], partial=instance is not None, context=context
    )
    if serializer.is_valid():
        return serializer, {}
    return None, serializer.errors


def _apply(op: dict, serializer, tasks: dict[int, Task]) -> dict:
    kind = op["op"]
    if kind == "create":
        task = serializer.save(owner=serializer.context["request"].user)
        return _result(op, 201, task=task)
    task = tasks[op["id"]]
    if task.deleted_at is not None:  # trashed by an earlier operation
        raise exceptions.NotFound()
    services.ensure_writable(task.list)
    if kind == "update":
        return _result(op, 200, task=serializer.save())
    if kind == "delete":
        task.move_to_trash()
        return _result(op, 204)
    task.set_completed(kind == "complete")
    return _result(op, 200, task=task)


def _result(op: dict, status: int, task: Task | None = None, errors=None) -> dict:
    result: dict = {"op": op["op"], "id": op.get("id"), "status": status}
    if task is not None:
        result["id"] = task.pk
        result["task"] = TaskSerializer(task).data
    if errors is not None:
        result["errors"] = field_errors(errors)
        if status == 400:
            result["status"] = validation_status(result["errors"])
    return result
