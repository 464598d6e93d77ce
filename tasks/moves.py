"""Moving a task, with its subtree, within or between the caller's lists.

A move runs in at most four statements whatever the subtree's size: the task
(its view reads it), the lists locked, one aggregate that reads everything the
checks and the new key need (the new place's room, siblings and neighbours,
the subtree's size and depth, the new parent and its ancestors), and one
write. A reorder among the same siblings locks its list in the statement that
reads the task (TaskViewSet) and needs no aggregate: three.
"""

import functools
import operator

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    Max,
    Min,
    Q,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from .models import Task, TaskList
from .models.task import ANCESTOR_PATHS, below
from .services import (
    MISSING,
    check_depth,
    check_room,
    ensure_writable,
    for_update,
    invalid,
    key_between_siblings,
    position_among,
)


def move_task(
    *,
    user,
    task: Task,
    list_id: int = MISSING,
    parent_id: int | None = MISSING,
    after: int | None = MISSING,
    before: int = MISSING,
    locked: dict[int, TaskList] | None = None,
) -> Task:
    """Move `task` with its whole subtree; a field left out keeps its value.

    A task moved to another list goes to its top level unless a parent is
    given; without `after` or `before` it goes last among its new siblings,
    or keeps its place if its siblings stay the same. `locked`: the task's
    list, if the caller locked it already (a reorder).
    """
    if after is not MISSING and before is not MISSING:
        raise invalid("before", "Give after or before, not both.")
    under = parent_id not in (MISSING, None)
    if under and parent_id == task.parent_id and list_id in (MISSING, task.list_id):
        under = False  # the parent it has: among the same siblings
    if not under:
        if list_id is MISSING:
            list_id = task.list_id
        if parent_id is MISSING:
            parent_id = task.parent_id if list_id == task.list_id else None
        if (list_id, parent_id) == (task.list_id, task.parent_id):
            return _reorder(user, task, after, before, locked)
    lists = _lock(user, task, list_id, parent_id if under else None)
    if list_id is MISSING:  # the parent's list, which _lock found
        list_id = next((pk for pk in lists if pk != task.list_id), task.list_id)
    if list_id not in lists:
        raise invalid("list", "No such list.")
    for task_list in lists.values():
        ensure_writable(task_list)
    stats = _stats(user, task, list_id, parent_id, after, before)
    if under:
        _check_parent(task, stats, parent_id, list_id)
    moving = 1 + stats["alive"] if list_id != task.list_id else 0
    check_room(
        stats["in_list"] + moving,
        stats["children"] + 1,
        parent_id if under else None,
    )
    siblings = Task.objects.writable_by(user).filter(
        list_id=list_id, parent_id=parent_id
    )
    position = _new_key(siblings.exclude(pk=task.pk), stats, after, before)
    _write(user, task, list_id, parent_id, position, with_subtree=stats["all"] > 0)
    if under and stats["parent_done"] and not task.completed:
        task.completion_changed()  # an open task reopens its new parent
    return task


def _reorder(user, task: Task, after, before, locked) -> Task:
    """Among the same siblings: the neighbours' keys, then the write."""
    if locked is None:
        lists = TaskList.objects.writable_by(user).alive().filter(pk=task.list_id)
        locked = {row.pk: row for row in for_update(lists)}
    ensure_writable(locked[task.list_id])  # the task's own list: it is there
    tasks = Task.objects.writable_by(user)
    siblings = tasks.filter(list_id=task.list_id, parent_id=task.parent_id)
    position = position_among(
        siblings.exclude(pk=task.pk), after, before, task.position
    )
    if position is not None:
        task.position = position
        task.save(update_fields=["position", "updated_at"])
    return task


def _lock(user, task: Task, list_id, parent_id) -> dict[int, TaskList]:
    """The task's list and the one it goes to (named, or the new parent's),
    locked in id order; a list that is not the caller's is left out."""
    lists = TaskList.objects.writable_by(user).alive()
    if list_id is MISSING:
        parents = Task.objects.writable_by(user).alive().filter(pk=parent_id)
        wanted = Q(pk=task.list_id) | Q(pk__in=parents.values("list_id"))
    else:
        wanted = Q(pk__in={task.list_id, list_id})
    return {row.pk: row for row in for_update(lists.filter(wanted)).order_by("pk")}


def _stats(user, task: Task, list_id: int, parent_id, after, before) -> dict:
    """In one aggregate: the new list's tasks outside the trash (`in_list`),
    the new siblings (`children`, `last`, the neighbours of an anchor), the
    subtree (`all`, `alive`, `deepest`), the new parent (`parent_found`,
    `parent_list`, `parent_done`, its ancestors `above_N`)."""
    alive = Q(deleted_at__isnull=True)
    target = Q(list_id=list_id)
    group = target & (
        Q(parent__isnull=True) if parent_id is None else Q(parent_id=parent_id)
    )
    siblings = group & ~Q(pk=task.pk)
    chain = below(task.pk)  # the levels under the task
    subtree = Q(list_id=task.list_id) & functools.reduce(operator.or_, chain)
    depth = Case(
        *(When(q, then=Value(level)) for level, q in enumerate(chain, start=1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    wanted = target | subtree
    aggregates = {
        "in_list": Count("pk", filter=target & alive),
        "children": Count("pk", filter=group & alive),
        "last": Max("position", filter=siblings),
        "all": Count("pk", filter=subtree),
        "alive": Count("pk", filter=subtree & alive),
        "deepest": Max(depth, filter=subtree),
    }
    if parent_id is not None:
        here = Q(pk=parent_id) & alive
        wanted |= Q(pk=parent_id)
        aggregates |= {
            "parent_found": Count("pk", filter=here),
            "parent_list": Max("list_id", filter=here),
            "parent_done": Count("pk", filter=here & Q(completed=True)),
        } | {
            f"above_{n}": Max(path, filter=here)
            for n, path in enumerate(ANCESTOR_PATHS)
        }
    anchor = after if after not in (MISSING, None) else before
    if anchor not in (MISSING, None):
        key = Subquery(Task._base_manager.filter(pk=anchor).values("position"))
        nearer = Q(position__gt=key) if anchor == after else Q(position__lt=key)
        aggregates |= {
            "anchor": Max("position", filter=siblings & Q(pk=anchor)),
            "beyond": (Min if anchor == after else Max)(
                "position", filter=siblings & nearer
            ),
        }
    elif after is None:
        aggregates["first"] = Min("position", filter=siblings)
    found = Task.objects.writable_by(user).filter(wanted).aggregate(**aggregates)
    found["height"] = 1 + (found["deepest"] or 0)
    return found


def _check_parent(task: Task, stats: dict, parent_id, list_id: int) -> None:
    if not stats["parent_found"]:
        raise invalid("parent", "No such task.")
    if stats["parent_list"] != list_id:
        raise invalid("parent", "This task is not in the list given.")
    above = [stats[f"above_{n}"] for n in range(len(ANCESTOR_PATHS))]
    ancestors = [parent_id, *(pk for pk in above if pk is not None)]
    if task.pk in ancestors:
        raise invalid("parent", "A task cannot go under itself or its subtasks.")
    # Trashed subtasks count towards depth: they may come back.
    check_depth(parent_level=len(ancestors), height=stats["height"])


def _new_key(siblings, stats: dict, after, before) -> str:
    if after is MISSING and before is MISSING:
        return key_between_siblings(siblings, stats["last"], None)
    if after is None:
        return key_between_siblings(siblings, None, stats["first"])
    field = "after" if after is not MISSING else "before"
    if stats["anchor"] is None:
        raise invalid(field, "No such task among the new neighbours.")
    if field == "after":
        return key_between_siblings(siblings, stats["anchor"], stats["beyond"])
    return key_between_siblings(siblings, stats["beyond"], stats["anchor"])


def _write(user, task: Task, list_id, parent_id, position, *, with_subtree) -> None:
    """The task's new place; its subtasks follow it to a new list, in the
    same UPDATE."""
    if list_id == task.list_id or not with_subtree:
        task.list_id, task.parent_id, task.position = list_id, parent_id, position
        task.save(update_fields=["list", "parent", "position", "updated_at"])
        return
    itself = Q(pk=task.pk)
    rows = Task.objects.writable_by(user).subtree_of(task)  # where they are now
    now = timezone.now()
    rows.update_owned(
        task.owner_id,
        list_id=list_id,
        parent_id=Case(
            When(itself, then=Value(parent_id)),
            default=F("parent_id"),
            output_field=IntegerField(),
        ),
        position=Case(
            When(itself, then=Value(position)),
            default=F("position"),
            output_field=CharField(),
        ),
        updated_at=now,
    )
    task.list_id, task.parent_id, task.position = list_id, parent_id, position
    task.updated_at = now
