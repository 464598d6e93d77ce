from rest_framework import serializers

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
