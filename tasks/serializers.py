import builtins
import copy
from typing import TYPE_CHECKING, cast

from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Lower
from django.utils import timezone
from rest_framework import serializers

from api.fields import ReachableField, StrictBooleanField, StrictCharField
from api.problems import CONFLICT, UNIQUE

from .models import (
    COLOR,
    DESCRIPTION_MAX_LENGTH,
    LIST_NAME_MAX_LENGTH,
    TAG_NAME_MAX_LENGTH,
    TAGS_PER_TASK,
    TITLE_MAX_LENGTH,
    Priority,
    Tag,
    Task,
    TaskList,
)
from .services import place_new_task
from .tags import tags_named

if TYPE_CHECKING:
    _ModelSerializer = serializers.ModelSerializer
else:
    _ModelSerializer = object  # a mixin: ModelSerializer comes after it


class PriorityField(serializers.ChoiceField):
    """A priority by name ("none", "low", "medium", "high"), stored as its rank."""

    def __init__(self, **kwargs) -> None:
        super().__init__(choices=Priority.labels, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        label = super().to_internal_value(data)
        return Priority.values[Priority.labels.index(label)]

    def to_representation(self, value):
        return Priority(value).label


class TagNamesField(serializers.ListField):
    """A task's tags by name, matched to the caller's tags ignoring case (new
    names become new tags); listed in alphabetical order."""

    child = StrictCharField(max_length=TAG_NAME_MAX_LENGTH)

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", TAGS_PER_TASK)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        names = super().to_internal_value(data)
        unique: dict[str, str] = {}
        for name in names:
            unique.setdefault(name.lower(), name)
        return list(unique.values())

    def to_representation(self, value):
        return sorted(value or [], key=str.lower)


class BuiltOnceFieldsMixin(_ModelSerializer):
    """A ModelSerializer whose fields are built once per class, then copied.

    DRF inspects the model for every serializer it creates, then re-creates
    every field from its constructor arguments: a tenth of a create request.
    The fields depend only on the class (no subclass here builds them from
    the request or the instance), so each serializer gets copies of the first
    build's unbound fields, which binding then names and attaches. A field
    holding other fields (a list's child) is copied deeply, so that its
    children belong to the copy.
    """

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_built_fields")
        if built is None:
            built = super().get_fields()
            cls._built_fields = built  # type: ignore[attr-defined]
        return {
            name: copy.deepcopy(field)
            if hasattr(field, "child") or hasattr(field, "fields")
            else copy.copy(field)
            for name, field in built.items()
        }


class SubtaskCountSerializer(serializers.Serializer):
    """How many subtasks (direct, outside the trash) a task has."""

    open = serializers.IntegerField(source="open_subtasks", read_only=True)
    total = serializers.IntegerField(source="all_subtasks", read_only=True)


class TaskSerializer(BuiltOnceFieldsMixin, serializers.ModelSerializer):
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
    priority = PriorityField(required=False)
    due_at = serializers.DateTimeField(allow_null=True, required=False)
    due_date = serializers.DateField(allow_null=True, required=False)
    tags = TagNamesField(required=False, source="tag_names")
    list = ReachableField(
        model=TaskList,
        noun="list",
        narrow=lambda lists: lists.alive(),
        required=False,
        help_text="One of your lists; your inbox when left out (or the parent's "
        "list, for a subtask). Changed by POST .../move/.",
    )
    # A field, not Field.parent: DRF takes declared fields off the class.
    parent = ReachableField(  # type: ignore[assignment]
        model=Task,
        noun="task",
        narrow=lambda tasks: tasks.alive().select_related("list"),
        required=False,
        allow_null=True,
        help_text="The task this one is a subtask of, in the same list; null at "
        "the top level. Changed by POST .../move/.",
    )
    subtask_count = SubtaskCountSerializer(source="*", read_only=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "list",
            "parent",
            "position",
            "subtask_count",
            "title",
            "description",
            "completed",
            "completed_at",
            "priority",
            "due_at",
            "due_date",
            "tags",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "position",
            "completed_at",
            "created_at",
            "updated_at",
        ]

    def validate(self, attrs: dict) -> dict:
        if self.instance is not None:
            self._unmoved(attrs)
        elif (
            attrs.get("parent") is not None
            and "list" in attrs
            and attrs["parent"].list_id != attrs["list"].pk
        ):
            raise serializers.ValidationError(
                {"parent": "This task is not in the list given."}
            )
        # PUT replaces the task: a field it leaves out goes back to its default
        # rather than keeping the old value (PATCH is for changing some fields).
        if self.instance is not None and not self.partial:
            for name, default in PUT_DEFAULTS.items():
                attrs.setdefault(name, default)

        # A PATCH changes only what it sends, so the task as it would be after
        # it must not have both deadlines.
        def after(name: str):
            if name in attrs or self.instance is None:
                return attrs.get(name)
            return getattr(self.instance, name)

        if after("due_at") is not None and after("due_date") is not None:
            # Both sent is bad input; one sent onto a task holding the other
            # conflicts with the task as stored (409, see api.problems).
            both_sent = "due_at" in attrs and "due_date" in attrs
            raise serializers.ValidationError(
                {"due_date": "A task has a due time (due_at) or a due date, not both."},
                code="invalid" if both_sent else CONFLICT,
            )
        return attrs

    def _unmoved(self, attrs: dict) -> None:
        """A change names the list and parent it has, or none: moving is
        POST .../move/, which takes the subtree along."""
        task = cast(Task, self.instance)
        for name in ("list", "parent"):
            if name in attrs:
                given = attrs.pop(name)
                if getattr(given, "pk", None) != getattr(task, f"{name}_id"):
                    raise serializers.ValidationError(
                        {name: f"Move a task with POST /api/v1/tasks/{task.pk}/move/."}
                    )

    def create(self, validated_data: dict) -> Task:
        names = validated_data.pop("tag_names", None)
        parent = validated_data.get("parent")
        # Placed with its list locked; the task, its tags and any reopened
        # ancestors commit together, whether or not the caller opened a
        # transaction.
        with transaction.atomic(savepoint=False):
            validated_data.update(
                place_new_task(
                    user=validated_data["owner"],
                    task_list=validated_data.pop("list", None),
                    parent=parent,
                )
            )
            task = super().create(validated_data)
            task.open_subtasks = task.all_subtasks = 0
            if names:
                self._set_tags(task, names)
            else:
                task.tag_names = []  # a new task has none: no query to find out
            if parent is not None and parent.completed and not task.completed:
                task.completion_changed()  # an open subtask reopens its parent
        return task

    def update(self, instance: Task, validated_data: dict) -> Task:
        names = validated_data.pop("tag_names", None)
        was_completed = instance.completed
        task = super().update(instance, validated_data)
        if task.completed != was_completed:  # its subtasks or ancestors follow
            task.completion_changed()
        if names is not None:
            self._set_tags(task, names)
        return task

    def _set_tags(self, task: Task, names: builtins.list[str]) -> None:
        # After the task's own write, so the count is exact (tags.check_room).
        tags = tags_named(task.owner, names, limited=True)
        # The task's tags that this user may change, rather than all of its
        # links (task.tags.set), which would take tags the rule keeps from
        # them into account.
        held = set(
            Tag.objects.writable_by(task.owner)
            .filter(tasks=task)
            .values_list("pk", flat=True)
        )
        wanted = {tag.pk for tag in tags}
        task.tags.remove(*(held - wanted))
        task.tags.add(*(wanted - held))
        task.tag_names = [tag.name for tag in tags]

    def to_representation(self, instance: Task) -> dict:
        if not hasattr(instance, "tag_names"):  # not read with with_tag_names()
            instance.tag_names = [tag.name for tag in instance.tags.all()]
        if instance.tag_names is None:  # no tags: the subquery found no row
            instance.tag_names = []
        if "subtask_count" in self.fields and not hasattr(instance, "all_subtasks"):
            instance.count_subtasks()  # not read with for_answers()
        return super().to_representation(instance)


# What PUT sets a field it leaves out to.
PUT_DEFAULTS = {
    "description": "",
    "completed": False,
    "priority": Priority.NONE,
    "due_at": None,
    "due_date": None,
    "tag_names": [],
}


class ColorField(StrictCharField):
    """A colour as "#RRGGBB" (hexadecimal digits, either case)."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", 7)
        kwargs.setdefault("validators", [COLOR])
        super().__init__(**kwargs)

    def schema_rules(self, direction: str) -> dict:
        return {"pattern": "^#[0-9A-Fa-f]{6}$"}


class TaskListSerializer(BuiltOnceFieldsMixin, serializers.ModelSerializer):
    """One of the caller's lists, with how many tasks it holds (outside the
    trash)."""

    name = StrictCharField(max_length=LIST_NAME_MAX_LENGTH)
    color = ColorField(
        allow_null=True,
        required=False,
        help_text='"#RRGGBB", or null for the client\'s default.',
    )
    archived = serializers.BooleanField(read_only=True)
    task_count = serializers.IntegerField(read_only=True)
    open_task_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = TaskList
        fields = [
            "id",
            "name",
            "color",
            "position",
            "is_inbox",
            "archived",
            "archived_at",
            "task_count",
            "open_task_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "position",
            "is_inbox",
            "archived_at",
            "created_at",
            "updated_at",
        ]

    def validate(self, attrs: dict) -> dict:
        # PUT replaces what may change: a colour it leaves out is none.
        if self.instance is not None and not self.partial:
            attrs.setdefault("color", None)
        return attrs

    def to_representation(self, instance: TaskList) -> dict:
        if "task_count" in self.fields and not hasattr(instance, "task_count"):
            instance.count_tasks()  # not read with with_counts()
        return super().to_representation(instance)


class TrashedListSerializer(TaskListSerializer):
    """A list in the trash: read-only, with when it was put there."""

    class Meta(TaskListSerializer.Meta):
        fields = [*TaskListSerializer.Meta.fields, "deleted_at"]
        read_only_fields = fields


class TagSerializer(serializers.ModelSerializer):
    """One of the caller's tags, with how many of the caller's tasks carry it."""

    name = StrictCharField(max_length=TAG_NAME_MAX_LENGTH)
    task_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Tag
        fields = ["id", "name", "task_count", "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate_name(self, name: str) -> str:
        owner = self.context["request"].user
        # As the unique constraint compares: LOWER() of both.
        clash = (
            Tag.objects.readable_by(owner)
            .annotate(key=Lower("name"))
            .filter(key=Lower(Value(name)))
        )
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError(
                "You already have a tag with this name.", code=UNIQUE
            )
        return name


class TagExportSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["name", "created_at"]


class TrashedTaskSerializer(TaskSerializer):
    """A task in the trash: read-only, with when it was put there."""

    class Meta(TaskSerializer.Meta):
        fields = [*TaskSerializer.Meta.fields, "deleted_at"]
        read_only_fields = fields


class TaskTransferSerializer(TaskSerializer):
    """A task in an export file: the API's rules, plus its own timestamps.

    export_tasks writes it and import_tasks reads it, so a round trip keeps every
    field. On import only the title is required: a missing creation or update
    time is "now", and a completed task without completed_at finished when it
    was last updated.
    """

    completed_at = serializers.DateTimeField(allow_null=True, required=False)
    deleted_at = serializers.DateTimeField(allow_null=True, required=False)
    created_at = serializers.DateTimeField(required=False)
    updated_at = serializers.DateTimeField(required=False)

    class Meta(TaskSerializer.Meta):
        fields = [
            name
            for name in TaskSerializer.Meta.fields
            if name not in {"id", "list", "parent", "position", "subtask_count"}
        ] + ["deleted_at"]
        read_only_fields: builtins.list[str] = []

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)  # the API's rules: one deadline at most
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
