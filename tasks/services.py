"""Writes that span rows and take locks: placing a new task, moving tasks and
lists, and a list's trash and archive.

Every function runs inside the caller's transaction (those that write more
than one statement open one of their own when called outside one). A write that places a
row among its siblings first locks the list (or, for lists, the owner's
inbox): two writers placing rows in one list take turns, so each sees the
other's key and no two rows get the same one.
"""

from typing import Any, cast

from django.db import transaction
from django.db.models import Count, Max, Q, Subquery
from django.utils import timezone
from rest_framework import serializers

from api.exceptions import Conflict
from api.problems import CONFLICT

from . import positions
from .models import (
    CHILDREN_PER_TASK,
    LISTS_PER_USER,
    MAX_DEPTH,
    TASKS_PER_LIST,
    Task,
    TaskList,
)

MISSING: Any = object()  # a field the request left out


def invalid(field: str | None, message: str, code: str = "invalid"):
    """A 400 naming `field` (None: the request as a whole); with code
    CONFLICT, a 409."""
    error = serializers.ErrorDetail(message, code=code)
    return serializers.ValidationError([error] if field is None else {field: [error]})


def lock_lists(user, ids) -> dict[int, TaskList]:
    """The user's lists among `ids`, locked until the transaction ends (in id
    order: two writers locking the same two lists cannot deadlock)."""
    rows = TaskList.objects.writable_by(user).alive().filter(pk__in=set(ids))
    return {row.pk: row for row in for_update(rows).order_by("pk")}


def lock_inbox(user) -> TaskList:
    inbox = TaskList.objects.writable_by(user).filter(is_inbox=True)
    found = for_update(inbox).first()
    return found or TaskList.objects.inbox_of(user.pk)


def for_update(lists):
    # FOR NO KEY UPDATE: writers placing rows in one list still take turns,
    # but PostgreSQL's commit-time check of a task's foreign key to its list
    # (a share lock on the list's row) does not wait for them. With FOR
    # UPDATE, a PATCH committing (holding the owner's change clock) waited for
    # a create that held the list and waited for the clock: a deadlock.
    return lists.select_for_update(no_key=True)


def ensure_writable(task_list: TaskList) -> None:
    """An archived list and its tasks are read-only (a trashed one the caller
    has found through lock_lists' alive() already: it answers as missing)."""
    if task_list.archived_at is not None:
        raise Conflict(
            f'The list "{task_list.name}" is archived: unarchive it to change it '
            "or its tasks."
        )


def place_new_task(*, user, task_list: TaskList | None, parent: Task | None) -> dict:
    """The list and position of a task about to be created, checked against
    the limits with the list locked: {"list": ..., "position": ...}."""
    if task_list is None and parent is not None:
        task_list = parent.list
    if task_list is None:
        task_list = lock_inbox(user)
    else:
        task_list = lock_lists(user, [task_list.pk])[task_list.pk]
    ensure_writable(task_list)
    if parent is not None:
        check_depth(parent_level=_level(parent), height=1)
    stats = _group(user, task_list.pk, parent.pk if parent else None)
    check_room(stats["in_list"] + 1, stats["children"] + 1, parent)
    return {"list": task_list, "position": positions.key_between(stats["last"], None)}


def restore_task(*, user, task: Task) -> bool:
    """Back from the trash with what Task.restore() brings along, if its list
    is not in the trash (then the list must come back) and has room."""
    if task.deleted_at is None:
        return False
    task_list = lock_lists(user, [task.list_id]).get(task.list_id)
    if task_list is None:
        raise Conflict(
            f'Its list "{task.list.name}" is in the trash: restore the list.'
        )
    ensure_writable(task_list)
    tasks = Task.objects.writable_by(user)
    coming = tasks.subtree_of(task).filter(deleted_at=task.deleted_at).count()
    if task.parent_id is not None:
        coming += tasks.filter(pk__in=task.ancestor_ids()).trashed().count()
    stats = _group(user, task.list_id, task.parent_id)
    check_room(stats["in_list"] + coming, stats["children"] + 1, task.parent_id)
    return task.restore()


def check_depth(*, parent_level: int, height: int) -> None:
    if parent_level + height > MAX_DEPTH:
        raise invalid(
            "parent",
            f"Subtasks nest at most {MAX_DEPTH} levels deep, counting the top.",
        )


def check_room(in_list: int, children: int, parent) -> None:
    if in_list > TASKS_PER_LIST:
        raise invalid(
            "list", f"A list holds at most {TASKS_PER_LIST:,} tasks.", code=CONFLICT
        )
    if parent is not None and children > CHILDREN_PER_TASK:
        raise invalid(
            "parent",
            f"A task has at most {CHILDREN_PER_TASK:,} subtasks.",
            code=CONFLICT,
        )


def _level(task: Task) -> int:
    """1 for a top-level task, 2 for its subtasks, ..."""
    return 1 + len(task.ancestor_ids()) if task.parent_id is not None else 1


def _group(user, list_id: int, parent_id: int | None) -> dict:
    """Tasks outside the trash in the list and under the parent, and the last
    key among the parent's subtasks (trashed ones keep theirs), in one query."""
    in_group = Q(parent__isnull=True) if parent_id is None else Q(parent_id=parent_id)
    alive = Q(deleted_at__isnull=True)
    return (
        Task.objects.writable_by(user)
        .filter(list_id=list_id)
        .aggregate(
            in_list=Count("pk", filter=alive),
            children=Count("pk", filter=alive & in_group),
            last=Max("position", filter=in_group),
        )
    )


def position_among(
    siblings, after, before, keep: str | None, noun: str = "task"
) -> str | None:
    """The key between the named neighbours; when neither is named, None (no
    move) if there is a key to `keep`, else after the last sibling."""
    if after is MISSING and before is MISSING:
        if keep is not None:
            return None
        last = siblings.aggregate(last=Max("position"))["last"]
        return key_between_siblings(siblings, last, None)
    if after is None:
        first = siblings.order_by("position", "pk").values_list("position", flat=True)
        return key_between_siblings(siblings, None, first.first())
    anchor_id, field = (after, "after") if after is not MISSING else (before, "before")
    anchor = siblings.model._base_manager.filter(pk=anchor_id).values("position")
    if field == "after":
        rows = siblings.filter(Q(pk=anchor_id) | Q(position__gt=Subquery(anchor)))
        rows = rows.order_by("position", "pk")
    else:
        rows = siblings.filter(Q(pk=anchor_id) | Q(position__lt=Subquery(anchor)))
        rows = rows.order_by("-position", "-pk")
    found = list(rows.values_list("pk", "position")[:2])
    if not found or found[0][0] != anchor_id:
        raise invalid(field, f"No such {noun} among the new neighbours.")
    near = found[0][1]
    far = found[1][1] if len(found) > 1 else None
    if field == "after":
        return key_between_siblings(siblings, near, far)
    return key_between_siblings(siblings, far, near)


def key_between_siblings(siblings, low: str | None, high: str | None) -> str:
    key = positions.key_between(low, high)
    if not positions.needs_rebalance(key):
        return key
    # Rare: the keys here grew long. Give the group fresh short keys, with a
    # gap where the moving task goes.
    rows = list(siblings.order_by("position", "pk").values_list("pk", "position"))
    before = [pk for pk, position in rows if low is not None and position <= low]
    keys = positions.spread(len(rows) + 1)
    gap = len(before)
    fresh = keys[:gap] + keys[gap + 1 :]
    siblings.bulk_update(
        [Task(pk=pk, position=key) for (pk, _), key in zip(rows, fresh, strict=True)],
        ["position"],
    )
    return keys[gap]


# Lists


def place_new_list(*, user) -> str:
    """The position of a list about to be created (last), within the limit."""
    stats = lists_of(user)
    _check_list_room(stats["count"] + 1)
    return positions.key_between(stats["last"], None)


def lists_of(user) -> dict:
    """How many lists outside the trash the user has, and the last key, with
    the inbox's row locked (the owner's lists take turns on it)."""
    lock_inbox(user)
    return TaskList.objects.readable_by(user).aggregate(
        count=Count("pk", filter=Q(deleted_at__isnull=True)), last=Max("position")
    )


def _check_list_room(count: int) -> None:
    if count > LISTS_PER_USER:
        raise invalid(
            None, f"An account holds at most {LISTS_PER_USER} lists.", code=CONFLICT
        )


def move_list(*, user, task_list: TaskList, after: int | None) -> TaskList:
    lock_inbox(user)
    others = TaskList.objects.readable_by(user).exclude(pk=task_list.pk)
    # With keep=None, always a key.
    task_list.position = cast(
        str, position_among(others, after, MISSING, keep=None, noun="list")
    )
    task_list.save(update_fields=["position", "updated_at"])
    return task_list


def trash_list(*, user, task_list: TaskList) -> None:
    """The list and its tasks go to the trash together (one moment marks them,
    so that restoring brings back exactly those)."""
    if task_list.is_inbox:
        raise Conflict("The inbox cannot be deleted.")
    if task_list.deleted_at is not None:
        return
    with transaction.atomic(savepoint=False):
        task_list.deleted_at = timezone.now()
        task_list.save(update_fields=["deleted_at", "updated_at"])
        tasks = Task.objects.writable_by(user).filter(list=task_list)
        tasks.alive().update_owned(task_list.owner_id, deleted_at=task_list.deleted_at)


def restore_list(*, user, task_list: TaskList) -> None:
    if task_list.deleted_at is None:
        return
    _check_list_room(lists_of(user)["count"] + 1)
    with transaction.atomic(savepoint=False):
        tasks = Task.objects.writable_by(user).filter(list=task_list)
        trashed_with_it = tasks.filter(deleted_at=task_list.deleted_at)
        trashed_with_it.update_owned(task_list.owner_id, deleted_at=None)
        task_list.deleted_at = None
        task_list.save(update_fields=["deleted_at", "updated_at"])


def archive_list(*, task_list: TaskList, archived: bool) -> None:
    if task_list.is_inbox and archived:
        raise Conflict("The inbox cannot be archived.")
    if (task_list.archived_at is not None) == archived:
        return
    task_list.archived_at = timezone.now() if archived else None
    task_list.save(update_fields=["archived_at", "updated_at"])
