"""The task admin's actions beyond Django's: moving tasks to another list, and
changing their state with their subtask trees; with the rules on where tasks
may go, which the task form shares."""

import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case, Count, Q, QuerySet, Value, When
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from api.exceptions import Conflict

from .. import positions, services
from ..models import MAX_DEPTH, TASKS_PER_LIST, Task, TaskList, TaskQuerySet
from ..models.task import ANCESTOR_PATHS
from .changelist import an_id

# A move updates the subtrees of this many tasks at once: few statements,
# each well inside SQLite's expression depth (1000) however many are moved.
MOVE_BATCH = 100


class Refused(Exception):
    """Why a move, or a change to one task, cannot happen (nothing has
    changed)."""


def move_to_list(tasks: QuerySet[Task], target_id: str) -> tuple[TaskList, int, int]:
    """Move `tasks` to the end of the list `target_id` of the same owner, each
    one whose ancestors are not among them with its whole subtree, to the top
    level; returns the list, how many tasks moved and how many with their
    subtasks. Tasks already in that list stay where they are."""
    target_pk = an_id(target_id)
    if target_pk is None:
        raise Refused('give the list to move them to in "To list".')
    owners = list(tasks.order_by().values_list("owner_id", flat=True).distinct()[:2])
    if len(owners) > 1:
        raise Refused("the tasks selected belong to several users: choose one's.")
    with transaction.atomic():
        rows = list(
            tasks.order_by("list_id", "position", "pk").values_list(
                "pk", "list_id", *ANCESTOR_PATHS
            )
        )
        selected = {row[0] for row in rows}
        sources = {row[1] for row in rows}
        # The lists the tasks leave too, as the API's move locks both.
        target = locked_lists({target_pk, *sources}).get(target_pk)
        if target is None:
            raise Refused(f"no list has the id {target_pk}.")
        if target.owner_id != owners[0]:
            raise Refused(f'"{target}" is another user\'s list.')
        roots = [
            pk
            for pk, list_id, *above in rows
            if list_id != target.pk and selected.isdisjoint(above)
        ]
        if not roots:
            raise Refused(f'the tasks selected are in "{target}" already.')
        batches = [roots[i : i + MOVE_BATCH] for i in range(0, len(roots), MOVE_BATCH)]
        moving = sum(_subtrees(batch).alive().count() for batch in batches)
        refusal = refuses_tasks(target, adding=moving)
        if refusal:
            raise Refused(refusal)
        last = Task.objects.last_position(target.pk, None)
        keys = iter(positions.keys_between(last, None, len(roots)))
        total, now = 0, timezone.now()
        for batch in batches:
            total += _subtrees(batch).update(list=target)
            places = [When(pk=pk, then=Value(next(keys))) for pk in batch]
            Task.objects.filter(pk__in=batch).update(
                parent=None, position=Case(*places), updated_at=now
            )
    return target, len(roots), total


def _subtrees(roots: list[int]) -> TaskQuerySet:
    """The tasks `roots` and every subtask below them, in one query."""
    tops = Task.objects.filter(pk__in=roots).only("pk", "list_id", "owner_id")
    return functools.reduce(operator.or_, map(Task.objects.subtree_of, tops))


def locked_lists(ids) -> dict[int, TaskList]:
    """The lists `ids`, locked until the transaction ends, as the API locks a
    list before it places a task in it (the same lock, in id order)."""
    rows = services.for_update(TaskList.objects.filter(pk__in=set(ids)))
    return {row.pk: row for row in rows.order_by("pk")}


def refuses_tasks(task_list: TaskList, adding: int) -> str | None:
    """Why `adding` more tasks may not go to the list, or None: the API's
    rules, an archived list read-only and a trashed one gone."""
    if task_list.deleted_at is not None:
        return f'"{task_list}" is in the trash.'
    if task_list.archived_at is not None:
        return f'"{task_list}" is archived.'
    if adding:
        held = Task.objects.filter(list=task_list).alive().count()
        if held + adding > TASKS_PER_LIST:
            return (
                f'"{task_list}" holds {held:,} tasks; with these it would '
                f"pass the limit of {TASKS_PER_LIST:,}."
            )
    return None


@dataclass
class TreeChanges:
    """What change_trees did."""

    changed: int  # tasks selected that changed
    total: int  # with the subtasks and the tasks above them that changed too
    left_out: int  # tasks selected that were refused
    reasons: list[str]  # why, once per reason


def set_completed(completed: bool) -> Callable[[Task], bool]:
    """Task.set_completed(), refused in a list that takes no changes."""

    def change(task: Task) -> bool:
        refusal = refuses_tasks(task.list, adding=0)
        if refusal:
            raise Refused(refusal)
        return task.set_completed(completed)

    return change


def restore(task: Task) -> bool:
    """Task.restore() as the API makes it (services.restore_task), on its
    owner's behalf: refused in a list in the trash or archived, or past a
    limit."""
    try:
        return services.restore_task(user=task.owner, task=task)
    except (Conflict, ValidationError) as refused:
        raise Refused(" ".join(_texts(refused.detail))) from refused


def _texts(detail) -> list[str]:
    """An API error's messages, without the fields they are keyed by."""
    if isinstance(detail, dict):
        detail = list(detail.values())
    if isinstance(detail, list):
        return [text for item in detail for text in _texts(item)]
    return [str(detail)]


def change_trees(
    tasks: QuerySet[Task], change: Callable[[Task], bool], done: Q
) -> TreeChanges:
    """Apply `change` (set_completed() or restore() above: each carries the
    change to the task's subtasks or the tasks above it, as the API does, and
    raises Refused for a task it may not change) to each of `tasks`. `done`
    matches a task in the state the change leaves it in.

    One task at a time, as the API changes them: an admin page is at most a
    few hundred tasks, and the model's methods are the one place that knows
    what a change reaches.
    """
    rows = list(tasks.order_by("pk").values_list("pk", *ANCESTOR_PATHS))
    selected = [pk for pk, *_ in rows]
    reach = Task.objects.filter(pk__in=_tree_ids(rows))
    before = _done_counts(reach, done, selected)
    left_out, reasons = 0, set()
    for pk in selected:
        # Read when its turn comes: a change to a task before it may have
        # reached it through the tree.
        read = Task.objects.select_related("list", "owner").with_subtask_counts()
        task = read.filter(pk=pk).first()
        if task is None:  # deleted meanwhile
            continue
        try:
            change(task)
        except Refused as refused:
            left_out += 1
            reasons.add(str(refused))
    after = _done_counts(reach, done, selected)
    return TreeChanges(
        changed=after[0] - before[0],
        total=after[1] - before[1],
        left_out=left_out,
        reasons=sorted(reasons),
    )


def _tree_ids(rows) -> set[int]:
    """The ids of the tasks of `rows` (values_list("pk", *ANCESTOR_PATHS)), of every
    subtask below them and every task above them: all that a change to them
    can reach."""
    ids = {pk for row in rows for pk in row if pk is not None}
    level = [pk for pk, *_ in rows]
    # A level at a time by the parent index: one query with a condition per
    # level ORed over joins reads every task (0.6 s at a million).
    for _ in range(MAX_DEPTH - 1):
        below = Task.objects.filter(parent_id__in=level).values_list("pk", flat=True)
        level = list(below)
        ids.update(level)
    return ids


def _done_counts(
    reach: QuerySet[Task], done: Q, selected: list[int]
) -> tuple[int, int]:
    """How many of the tasks `selected`, and of all those in `reach`, match
    `done`: one query."""
    counts = reach.aggregate(
        selected=Count("pk", filter=done & Q(pk__in=selected)),
        all=Count("pk", filter=done),
    )
    return counts["selected"], counts["all"]
