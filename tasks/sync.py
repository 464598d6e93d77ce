"""The change feed, GET /api/v1/sync/: every change to the caller's tasks and
tags since a cursor, in the order the changes committed.

How changes are numbered is in models/sync.py. A change's position is (change
number, kind, id): one transaction's changes share a number, and kind and id
order them within it. The cursor is the last position served, signed, so that
a client cannot forge one or carry one over to another account.

The positions of a page come from one SQL statement (a UNION ALL of tasks, tags
and tombstones), so from one snapshot: a page never holds a later change
without the earlier ones. The rows are then read as they are now, which may be
newer than their position; a row changed since shows again further on.
"""

from dataclasses import dataclass

from django.core import signing
from django.db import connection
from django.db.models import F, QuerySet, Value
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import APIException

from users.models import User

from .models import ChangeClock, Tag, Task, Tombstone
from .serializers import TaskSerializer

TASK, TAG, DELETED_TASK, DELETED_TAG = range(4)
TYPES = {TASK: "task", TAG: "tag", DELETED_TASK: "task", DELETED_TAG: "tag"}
SALT = "tasks.sync.cursor"
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
        if position.kind in (DELETED_TASK, DELETED_TAG):
            entries.append(_deleted(position))
            continue
        row = rows[position.kind].get(position.id)
        if row is None:
            continue  # deleted since: its tombstone comes further on
        if position.kind == TASK and row.deleted_at is not None:
            entries.append(_deleted(position))  # in the trash
        else:
            entries.append(
                {
                    "type": TYPES[position.kind],
                    "id": position.id,
                    "deleted": False,
                    "data": _DATA[position.kind](row).data,
                }
            )
    return entries, (found[-1] if found else after), more


def _check_followable(user: User, after: Position) -> None:
    clock = ChangeClock.objects.readable_by(user).values_list("seq", "pruned_through")
    last, pruned_through = clock.first() or (0, 0)
    # Ahead of the clock: the database was restored to an earlier point.
    # At or below the forgotten line: deletions it needs are gone.
    if after.seq > last or (pruned_through and after.seq <= pruned_through):
        raise CursorGone()


def _deleted(position: Position) -> dict:
    return {
        "type": TYPES[position.kind],
        "id": position.id,
        "deleted": True,
        "data": None,
    }


def _sources(user: User) -> dict[int, QuerySet]:
    """Where each kind of change is read from, as the user may read them."""
    tombstones = Tombstone.objects.readable_by(user)
    return {
        TASK: Task.objects.readable_by(user),
        TAG: Tag.objects.readable_by(user),
        DELETED_TASK: tombstones.filter(kind=Tombstone.Kind.TASK),
        DELETED_TAG: tombstones.filter(kind=Tombstone.Kind.TAG),
    }


def _positions(user: User, after: Position, limit: int) -> list[Position]:
    parts = []
    for kind, rows in _sources(user).items():
        # A tombstone's position holds the id of what it buried.
        id_field = "object_id" if kind in (DELETED_TASK, DELETED_TAG) else "pk"
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
    wanted = {kind: [p.id for p in found if p.kind == kind] for kind in (TASK, TAG)}
    rows: dict[int, dict] = {TASK: {}, TAG: {}}
    if wanted[TASK]:
        tasks = Task.objects.readable_by(user).with_tag_names()
        tasks = tasks.filter(pk__in=wanted[TASK])
        rows[TASK] = {task.pk: task for task in tasks}
    if wanted[TAG]:
        tags = Tag.objects.readable_by(user).filter(pk__in=wanted[TAG])
        rows[TAG] = {tag.pk: tag for tag in tags}
    return rows


class SyncTagSerializer(serializers.ModelSerializer):
    """A tag as the feed shows it (task counts are the client's to derive)."""

    class Meta:
        model = Tag
        fields = ["id", "name", "created_at"]


_DATA = {TASK: TaskSerializer, TAG: SyncTagSerializer}


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


@extend_schema_field(
    PolymorphicProxySerializer(
        component_name="SyncData",
        serializers=[TaskSerializer, SyncTagSerializer],
        resource_type_field_name=None,
    )
)
class SyncDataField(serializers.JSONField):
    """The task or tag as it is now (null when deleted)."""


class SyncChangeSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["task", "tag"])
    id = serializers.IntegerField()
    deleted = serializers.BooleanField(
        help_text="Deleted or in the trash: remove it from your copy."
    )
    # DRF takes declared fields off the class, so this does not hide .data.
    data = SyncDataField(  # type: ignore[assignment]
        allow_null=True, help_text="The task or tag as it is now; null when deleted."
    )


class SyncPageSerializer(serializers.Serializer):
    changes = SyncChangeSerializer(many=True)
    cursor = serializers.CharField(help_text="Pass it as ?cursor= next time.")
    has_more = serializers.BooleanField(
        help_text="More changes wait: ask again with the new cursor now."
    )
