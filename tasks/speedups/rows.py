"""List rows formatted straight from `.values()`, as TaskSerializer would.

A list page built this way makes no model instances and runs no field objects
per value: of a list request's time, those were the largest share after the
queries. A test holds it to the serializer's output, field for field.
"""

import datetime
from collections.abc import Callable, Iterable

from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from ..models import Priority
from ..serializers import TaskSerializer

# The columns of a list row; tags come as `tag_names`, subtask counts as
# `open_subtasks` and `all_subtasks` (TaskQuerySet.for_answers).
LIST_FIELDS = [
    name for name in TaskSerializer.Meta.fields if name not in {"tags", "subtask_count"}
] + ["tag_names", "open_subtasks", "all_subtasks"]
_DATETIME = serializers.DateTimeField()
_PRIORITY_LABELS = dict(Priority.choices)  # what Priority(value).label gives
_TIMESTAMPS = ("completed_at", "due_at", "created_at", "updated_at")


def times_formatter(names: tuple[str, ...]) -> Callable[[dict], None]:
    """A function that formats the times `names` of a row in place, as DRF's
    DateTimeField would."""
    zone = _DATETIME.default_timezone()
    # DateTimeField.to_representation, inlined for its usual case: an aware
    # time, shown in the current time zone in ISO 8601 with Z for UTC.
    inline = zone is not None and api_settings.DATETIME_FORMAT == ISO_8601
    # Shown in UTC, a time the database gave in UTC needs no conversion.
    utc = inline and getattr(zone, "key", None) == "UTC"

    def format_times(row: dict) -> None:
        for name in names:
            value = row[name]
            if value is None:
                continue
            if utc and value.tzinfo is datetime.UTC:
                row[name] = value.isoformat()[:-6] + "Z"
            elif inline and value.tzinfo is not None:
                text = value.astimezone(zone).isoformat()
                row[name] = text[:-6] + "Z" if text.endswith("+00:00") else text
            else:
                row[name] = _DATETIME.to_representation(value)

    return format_times


def task_rows(rows: Iterable[dict]) -> list[dict]:
    """What TaskSerializer makes of tasks, from `.values(*LIST_FIELDS)` rows."""
    format_times = times_formatter(_TIMESTAMPS)
    result = []
    for values in rows:
        row = dict(values)
        format_times(row)
        row["priority"] = _PRIORITY_LABELS[row["priority"]]
        if row["due_date"] is not None:
            row["due_date"] = row["due_date"].isoformat()
        row["tags"] = sorted(row.pop("tag_names") or [], key=str.lower)
        row["subtask_count"] = {
            "open": row.pop("open_subtasks"),
            "total": row.pop("all_subtasks"),
        }
        result.append(row)
    return result
