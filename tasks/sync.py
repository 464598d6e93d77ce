"""The change feed, GET /api/v1/sync/: every change to the caller's tasks,
tags and lists since a cursor, in the order the changes committed.

How changes are numbered is in models/sync.py. A change's position is (change
number, kind, id): one transaction's changes share a number, and kind and id
order them within it. The cursor is the last position served, signed, so that
a client cannot forge one or carry one over to another account.

The positions of a page come from one SQL statement (a UNION ALL of tasks, tags,
lists and tombstones), so from one snapshot: a page never holds a later change
without the earlier ones. The rows are then read as they are now, which may be
newer than their position; a row changed since shows again further on.

A record shows its columns only, never a count derived from other rows (a
list's tasks, a task's subtasks, a tag's tasks): those rows' changes do not
resend it, so a client derives the counts from its copy.
"""

from dataclasses import dataclass

from django.core import signing
from django.db import connection
from django.db.models import F, QuerySet, Value
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import APIException

from users.models import User

from .models import ChangeClock, Tag, Task, TaskList, Tombstone
from .serializers import TaskListSerializer, TaskSerializer

# The kinds of change, in their order within one change number. A cursor holds
# a kind's number: a new kind goes at the end.
TASK, TAG, DELETED_TASK, DELETED_TAG, LIST, DELETED_LIST = range(6)
TYPES = {
    TASK: "task",
    TAG: "tag",
    LIST: "list",
    DELETED_TASK: "task",
    DELETED_TAG: "tag",
    DELETED_LIST: "list",
}
DELETIONS = (DELETED_TASK, DELETED_TAG, DELETED_LIST)
# "/2": lists joined the feed. A cursor from before follows a copy that has
# no lists, and tasks without their list, parent and position (the migration
# that gave them these stamped no change numbers): it is refused, and the
# client syncs again from scratch.
SALT = "tasks.sync.cursor/2"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


class CursorGone(APIException):
    status_code = status.HTTP_410_GONE
    default_detail = (
        "This sync cursor is invalid or has expired. Sync again from scratch: "
        "request /api/v1/sync/ without a cursor and replace your local copy."
    )
    default_code = "cursor_invalid"


@dataclass(frozen=True, order=True)
class Position:
    seq: int
    kind: int
    id: int


# Before every change, including rows written before changes were numbered (0).
START = Position(seq=0, kind=-1, id=0)


def encode(user: User, position: Position) -> str:
    return signing.dumps([user.pk, position.seq, position.kind, position.id], salt=SALT)


def decode(user: User, cursor: str) -> Position:
    """The position a cursor holds, if it is this user's (changes() checks that
    it can still be followed)."""
    try:
        user_id, *fields = signing.loads(cursor, salt=SALT)
        position = Position(*fields)
    except (signing.BadSignature, ValueError, TypeError):
        raise CursorGone() from None
    if user_id != user.pk or not all(type(f) is int for f in fields):
        raise CursorGone()
    return position


def changes(
    user: User, after: Position, limit: int
) -> tuple[list[dict], Position, bool]:
    """Up to `limit` changes after a position: (changes, the last position, more?)."""
    found = _positions(user, after, limit + 1)
    if after != START:
        # Read after the positions: tombstones forgotten before they were
        # read show here, and the cursor is refused rather than followed past
        # deletions it never saw.
        _check_followable(user, after)
    more = len(found) > limit
    found = found[:limit]
    rows = _rows(user, found)
    entries = []
    for position in found:
        if position.kind in DELETIONS:
            entries.append(_entry(position, None))
            continue
        row = rows[position.kind].get(position.id)
        if row is None:
            continue  # deleted since: its tombstone comes further on
        # A task or a list in the trash is gone from the client's copy.
        if getattr(row, "deleted_at", None) is not None:
            entries.append(_entry(position, None))
        else:
            entries.append(_entry(position, _DATA[position.kind](row).data))
    return entries, (found[-1] if found else after), more


def _check_followable(user: User, after: Position) -> None:
    clock = ChangeClock.objects.readable_by(user).values_list("seq", "pruned_through")
    last, pruned_through = clock.first() or (0, 0)
    # Ahead of the clock: the database was restored to an earlier point.
    # At or below the forgotten line: deletions it needs are gone.
    if after.seq > last or (pruned_through and after.seq <= pruned_through):
        raise CursorGone()


def _entry(position: Position, data: dict | None) -> dict:
    """A change as the feed shows it; without data, a deletion."""
    return {
        "type": TYPES[position.kind],
        "id": position.id,
        "deleted": data is None,
        "data": data,
    }


def _live(user: User) -> dict[int, QuerySet]:
    """Where each kind of record is read from, as the user may read them."""
    return {
        TASK: Task.objects.readable_by(user),
        TAG: Tag.objects.readable_by(user),
        LIST: TaskList.objects.readable_by(user),
    }


def _sources(user: User) -> dict[int, QuerySet]:
    """Where each kind of change is read from, as the user may read them."""
    tombstones = Tombstone.objects.readable_by(user)
    # A tombstone's kind is the type of what it buried (Tombstone.Kind).
    buried = {kind: tombstones.filter(kind=TYPES[kind]) for kind in DELETIONS}
    return _live(user) | buried


def _positions(user: User, after: Position, limit: int) -> list[Position]:
    parts = []
    for kind, rows in _sources(user).items():
        # A tombstone's position holds the id of what it buried.
        id_field = "object_id" if kind in DELETIONS else "pk"
        # A lower bound on change_seq alone, so that the index scan starts at
        # the cursor rather than at the user's first change.
        rows = rows.filter(change_seq__gte=after.seq)
        if kind < after.kind:
            rows = rows.exclude(change_seq=after.seq)
        elif kind == after.kind:
            rows = rows.exclude(change_seq=after.seq, **{f"{id_field}__lte": after.id})
        rows = rows.annotate(
            p_seq=F("change_seq"), p_kind=Value(kind), p_id=F(id_field)
        ).values_list("p_seq", "p_kind", "p_id")
        if connection.features.supports_slicing_ordering_in_compound:
            # Each kind's first rows from its (owner, change_seq) index, rather
            # than all of them sorted (SQLite cannot limit a part of a UNION).
            rows = rows.order_by("change_seq", id_field)[:limit]
        else:
            rows = rows.order_by()
        parts.append(rows)
    union = parts[0].union(*parts[1:], all=True)
    return [Position(*row) for row in union.order_by("p_seq", "p_kind", "p_id")[:limit]]


def _rows(user: User, found: list[Position]) -> dict[int, dict]:
    """The records at these positions, as they are now, by kind and id (one
    query for each kind on the page)."""
    readers = _live(user) | {TASK: Task.objects.readable_by(user).with_tag_names()}
    rows: dict[int, dict] = {}
    for kind, readable in readers.items():
        wanted = [p.id for p in found if p.kind == kind]
        found_rows = readable.filter(pk__in=wanted) if wanted else []
        rows[kind] = {row.pk: row for row in found_rows}
    return rows


class SyncTaskSerializer(TaskSerializer):
    """A task as the feed shows it: as GET /api/v1/tasks/{id}/ does, without
    its subtask counts (the client's to derive from its subtasks' parents)."""

    class Meta(TaskSerializer.Meta):
        fields = [
            name for name in TaskSerializer.Meta.fields if name != "subtask_count"
        ]


class SyncTagSerializer(serializers.ModelSerializer):
    """A tag as the feed shows it (task counts are the client's to derive)."""

    class Meta:
        model = Tag
        fields = ["id", "name", "created_at"]


class SyncListSerializer(TaskListSerializer):
    """A list as the feed shows it: as GET /api/v1/lists/{id}/ does, without
    its task counts (the client's to derive from its tasks' lists)."""

    class Meta(TaskListSerializer.Meta):
        fields = [
            name
            for name in TaskListSerializer.Meta.fields
            if name not in {"task_count", "open_task_count"}
        ]

    def to_representation(self, instance: TaskList) -> dict:
        # ModelSerializer's own: TaskListSerializer's would count the tasks.
        return serializers.ModelSerializer.to_representation(self, instance)


_DATA = {TASK: SyncTaskSerializer, TAG: SyncTagSerializer, LIST: SyncListSerializer}


class SyncQuerySerializer(serializers.Serializer):
    cursor = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="The cursor the previous response gave; none for everything.",
    )
    limit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_LIMIT,
        default=DEFAULT_LIMIT,
        help_text=f"Changes per response, at most {MAX_LIMIT}.",
    )


# The shape of a change, for the schema (changes() builds them): one shape
# for each type, told apart by `type`, so that a client (and a validator)
# knows what `data` holds without guessing from its fields.


class SyncChangeSerializer(serializers.Serializer):
    # Each type's own serializer narrows `type` and gives `data` its shape
    # (DRF takes declared fields off the class, so `data` does not hide .data).
    type = serializers.ChoiceField(choices=sorted(set(TYPES.values())))
    id = serializers.IntegerField()
    deleted = serializers.BooleanField(
        help_text="Deleted or in the trash: remove it from your copy."
    )


class SyncTaskChangeSerializer(SyncChangeSerializer):
    """A change to one of the caller's tasks."""

    type = serializers.ChoiceField(choices=["task"])
    data = SyncTaskSerializer(  # type: ignore[assignment]
        allow_null=True, help_text="The task as it is now; null when deleted."
    )


class SyncTagChangeSerializer(SyncChangeSerializer):
    """A change to one of the caller's tags."""

    type = serializers.ChoiceField(choices=["tag"])
    data = SyncTagSerializer(  # type: ignore[assignment]
        allow_null=True, help_text="The tag as it is now; null when deleted."
    )


class SyncListChangeSerializer(SyncChangeSerializer):
    """A change to one of the caller's lists."""

    type = serializers.ChoiceField(choices=["list"])
    data = SyncListSerializer(  # type: ignore[assignment]
        allow_null=True, help_text="The list as it is now; null when deleted."
    )


@extend_schema_field(
    PolymorphicProxySerializer(
        component_name="SyncChange",
        serializers={
            "task": SyncTaskChangeSerializer,
            "tag": SyncTagChangeSerializer,
            "list": SyncListChangeSerializer,
        },
        resource_type_field_name="type",
    )
)
class SyncChangeField(serializers.JSONField):
    """A change to a task, a tag or a list, as its type says."""


class SyncPageSerializer(serializers.Serializer):
    changes = serializers.ListField(child=SyncChangeField())
    cursor = serializers.CharField(help_text="Pass it as ?cursor= next time.")
    has_more = serializers.BooleanField(
        help_text="More changes wait: ask again with the new cursor now."
    )
