from collections.abc import Iterable

from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from todo_project.fields import StrictBooleanField, StrictCharField

from .models import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH, Task


class TaskSerializer(serializers.ModelSerializer):
    """A task as clients see it; the owner is always the caller and never shown."""

    # Leading and trailing whitespace is not part of a title; a title of spaces
    # is blank and refused.
    title = StrictCharField(max_length=TITLE_MAX_LENGTH)
    # A description is kept exactly as written (indentation may matter to it).
    description = StrictCharField(
        max_length=DESCRIPTION_MAX_LENGTH,
        allow_blank=True,
        trim_whitespace=False,
        required=False,
    )
    completed = StrictBooleanField(required=False)

    class Meta:
        model = Task
        fields = [
            "id",
            "title",
            "description",
            "completed",
            "completed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "completed_at", "created_at", "updated_at"]

    def validate(self, attrs: dict) -> dict:
        # PUT replaces the task: a field it leaves out goes back to its default
        # rather than keeping the old value (PATCH is for changing some fields).
        if self.instance is not None and not self.partial:
            attrs.setdefault("description", "")
            attrs.setdefault("completed", False)
        return attrs


LIST_FIELDS = TaskSerializer.Meta.fields
_DATETIME = serializers.DateTimeField()
_TIMESTAMPS = ("completed_at", "created_at", "updated_at")


def task_rows(rows: Iterable[dict]) -> list[dict]:
    """What TaskSerializer makes of tasks, from `.values(*LIST_FIELDS)` rows.

    A list page builds no model instances and runs no field objects per value:
    of a list request's time, those were the largest share after the queries.
    A test holds it to the serializer's output, field for field.
    """
    zone = _DATETIME.default_timezone()
    # DateTimeField.to_representation, inlined for its usual case: an aware
    # time, shown in the current time zone in ISO 8601 with Z for UTC.
    inline = zone is not None and api_settings.DATETIME_FORMAT == ISO_8601
    result = []
    for values in rows:
        row = dict(values)
        for name in _TIMESTAMPS:
            value = row[name]
            if value is None:
                continue
            if inline and value.tzinfo is not None:
                text = value.astimezone(zone).isoformat()
                row[name] = text[:-6] + "Z" if text.endswith("+00:00") else text
            else:
                row[name] = _DATETIME.to_representation(value)
        result.append(row)
    return result


class TaskTransferSerializer(TaskSerializer):
    """A task in an export file: the API's rules, plus its own timestamps.

    export_tasks writes it and import_tasks reads it, so a round trip keeps every
    field. On import only the title is required: a missing creation or update
    time is "now", and a completed task without completed_at finished when it
    was last updated.
    """

    completed_at = serializers.DateTimeField(allow_null=True, required=False)
    created_at = serializers.DateTimeField(required=False)
    updated_at = serializers.DateTimeField(required=False)

    class Meta(TaskSerializer.Meta):
        fields = [name for name in TaskSerializer.Meta.fields if name != "id"]
        read_only_fields: list[str] = []

    def validate(self, attrs: dict) -> dict:
        now = timezone.now()
        attrs.setdefault("created_at", now)
        attrs.setdefault("updated_at", max(attrs["created_at"], now))
        if attrs["updated_at"] < attrs["created_at"]:
            raise serializers.ValidationError(
                {"updated_at": ["Must not be before created_at."]}
            )
        if attrs.get("completed"):
            attrs["completed_at"] = attrs.get("completed_at") or attrs["updated_at"]
        elif attrs.get("completed_at") is not None:
            raise serializers.ValidationError(
                {"completed_at": ["Only a completed task has a completion time."]}
            )
        return attrs
