"""Adding a file's lists, tasks and tags to an account (import_tasks).

Everything is checked before anything is written: each row with the API's
rules (the serializers in transfer.py), then the file as a whole (keys, the
tree of subtasks, the limits). One problem, and nothing is imported.

The file's lists become new lists of the account, except its inbox, whose
tasks go to the account's inbox (which takes the file inbox's name, colour and
times while it holds no task, as a new account's does). Lists before the
file's inbox in the file go before the account's lists, the others after
them; tasks go after what their list already holds, in the file's order.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Max, Min

from . import positions, services, transfer
from .models import (
    CHILDREN_PER_TASK,
    LISTS_PER_USER,
    MAX_DEPTH,
    TAG_NAME_MAX_LENGTH,
    TASKS_PER_LIST,
    Tag,
    Task,
    TaskList,
    bulk_create_keeping_timestamps,
)
from .tags import tags_named

# Where a task goes that names no list, and the file inbox's tasks: the
# account's inbox (a file's keys start at 1).
INBOX = 0


class Refused(Exception):
    """The file cannot be imported, for these reasons (one a line)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(eq=False)  # rows are told apart by identity, not by their fields
class Row:
    """A valid row: its line, and its fields as the serializer gave them."""

    line: int
    fields: dict[str, Any]


@dataclass(eq=False)
class PlacedTask(Row):
    named: int | None = None  # the key of the list it names, if it names one
    parent: "PlacedTask | None" = None
    list: int = INBOX  # the key of the list it goes to
    level: int = 1


@dataclass
class Plan:
    lists: list[Row] = field(default_factory=list)  # the file's inbox excluded
    # Where the file's inbox stands among its lists (None: it has none).
    inbox_at: int | None = None
    inbox: Row | None = None
    tasks: list[PlacedTask] = field(default_factory=list)
    tags: dict[str, datetime | None] = field(default_factory=dict)


def check(contents: transfer.Contents) -> Plan:
    """The file's rows, checked and placed; Refused if anything is wrong."""
    problems: list[str] = []
    lists = _valid(contents.lists, transfer.ListTransferSerializer, problems)
    rows = _valid(contents.tasks, transfer.PlacedTaskTransferSerializer, problems)
    if any(not 0 < len(name) <= TAG_NAME_MAX_LENGTH for name in contents.tags):
        problems.append(f"tags: names must be 1 to {TAG_NAME_MAX_LENGTH} characters.")
    if problems:
        raise Refused(problems)
    plan = Plan(tags=contents.tags)
    list_keys = _keys(lists, "list", problems)
    for row in lists:
        if not row.fields["is_inbox"]:
            plan.lists.append(row)
        elif plan.inbox is None:
            plan.inbox, plan.inbox_at = row, len(plan.lists)
        else:
            problems.append(
                f"line {row.line}: is_inbox: a file has one inbox (line "
                f"{plan.inbox.line} is one)."
            )
    tasks = [PlacedTask(row.line, row.fields) for row in rows]
    task_keys = _keys(tasks, "task", problems)
    inbox_key = plan.inbox.fields["transfer_key"] if plan.inbox else None
    for task in tasks:
        list_key = task.fields.get("list_key")
        parent_key = task.fields.get("parent_key")
        if list_key is not None and list_key not in list_keys:
            problems.append(f"line {task.line}: list: no list has key {list_key}.")
        if parent_key is not None and parent_key not in task_keys:
            problems.append(f"line {task.line}: parent: no task has key {parent_key}.")
        task.parent = task_keys.get(parent_key) if parent_key is not None else None
        task.named = (
            INBOX if list_key is not None and list_key == inbox_key else list_key
        )
    if not problems:
        _place(tasks, problems)
    if not problems:
        _check_sizes(tasks, list_keys, problems)
    if problems:
        raise Refused(problems)
    plan.tasks = tasks
    return plan


def _valid(rows: list[tuple[int, Any]], serializer_class, problems) -> list[Row]:
    valid = []
    for line, data in rows:
        serializer = serializer_class(data=data)
        if serializer.is_valid():
            valid.append(Row(line, dict(serializer.validated_data)))
        else:
            problems.extend(_describe(line, serializer.errors))
    return valid


def _describe(line: int, errors) -> list[str]:
    if not isinstance(errors, dict):
        return [f"line {line}: {' '.join(map(str, errors))}"]
    return [
        f"line {line}: {name}: {' '.join(map(str, messages))}"
        for name, messages in errors.items()
    ]


def _keys(rows: list, noun: str, problems: list[str]) -> dict:
    """The rows that have a key, by key; a key given twice is a problem."""
    by_key: dict[int, Any] = {}
    for row in rows:
        key = row.fields.get("transfer_key")
        if key is None:
            continue
        if key in by_key:
            problems.append(
                f"line {row.line}: key: line {by_key[key].line} has the {noun} "
                f"key {key} too."
            )
        else:
            by_key[key] = row
    return by_key


def _place(tasks: list[PlacedTask], problems: list[str]) -> None:
    """Each task's list and level, from the top of its tree down; a task that
    names no list goes where its parent is. Finds cycles and a tree too deep."""
    placed: set[PlacedTask] = set()
    for start in tasks:
        path: list[PlacedTask] = []  # from `start` up to the first placed task
        on_path: set[PlacedTask] = set()
        task: PlacedTask | None = start
        while task is not None and task not in placed:
            if task in on_path:
                cycle = path[path.index(task) :]
                keys = ", ".join(str(t.fields["transfer_key"]) for t in cycle)
                problems.append(
                    f"line {task.line}: parent: the tasks with keys {keys} are "
                    "each other's parents (a cycle)."
                )
                return
            path.append(task)
            on_path.add(task)
            task = task.parent
        for task in reversed(path):
            parent = task.parent
            task.level = 1 if parent is None else parent.level + 1
            if task.named is not None:
                task.list = task.named
            elif parent is not None:
                task.list = parent.list
            if parent is not None and task.list != parent.list:
                problems.append(
                    f"line {task.line}: parent: the task with key "
                    f"{parent.fields['transfer_key']} is in another list."
                )
            if task.level > MAX_DEPTH:
                problems.append(
                    f"line {task.line}: parent: subtasks nest at most {MAX_DEPTH} "
                    f"levels deep, counting the top; this one is on level "
                    f"{task.level}."
                )
            placed.add(task)


def _check_sizes(tasks: list[PlacedTask], lists: dict, problems: list[str]) -> None:
    """The limits a file can break on its own (those it breaks with what the
    account holds are checked as it is written)."""
    alive = [task for task in tasks if task.fields.get("deleted_at") is None]
    children = Counter(task.parent for task in alive if task.parent is not None)
    for parent, count in children.items():
        if count > CHILDREN_PER_TASK:
            problems.append(
                f"line {parent.line}: a task has at most {CHILDREN_PER_TASK:,} "
                f"subtasks outside the trash; this one has {count:,}."
            )
    for key, count in Counter(task.list for task in alive).items():
        if key != INBOX and count > TASKS_PER_LIST:
            problems.append(
                f"line {lists[key].line}: a list holds at most {TASKS_PER_LIST:,} "
                f"tasks outside the trash; this one has {count:,}."
            )


# Writing


def write(owner, plan: Plan) -> tuple[list[Task], list[TaskList]]:
    """Add the plan's lists, tasks and tags to `owner`, in one transaction;
    Refused past a limit. Returns the tasks and lists made."""
    with transaction.atomic():
        # The inbox's lock: lists are made, and inbox tasks placed, in turn.
        inbox = services.lock_inbox(owner)
        _check_room(owner, inbox, plan)
        _write_tags(owner, plan)  # before the tasks' tags: they would take theirs
        lists = _write_lists(owner, inbox, plan)
        targets = {INBOX: inbox}
        for row, made in zip(plan.lists, lists, strict=True):
            targets[row.fields["transfer_key"]] = made
        tasks = _write_tasks(owner, targets, plan.tasks)
    return tasks, lists


def _check_room(owner, inbox: TaskList, plan: Plan) -> None:
    problems = []
    held = TaskList.objects.writable_by(owner).alive().count()
    adding = sum(1 for row in plan.lists if row.fields.get("deleted_at") is None)
    if held + adding > LISTS_PER_USER:
        problems.append(
            f"lists: an account holds at most {LISTS_PER_USER} lists outside the "
            f"trash; {owner.username} has {held} and the file adds {adding}."
        )
    in_inbox = Task.objects.writable_by(owner).filter(list=inbox).alive().count()
    adding = sum(
        1
        for task in plan.tasks
        if task.list == INBOX and task.fields.get("deleted_at") is None
    )
    if in_inbox + adding > TASKS_PER_LIST:
        problems.append(
            f"list: a list holds at most {TASKS_PER_LIST:,} tasks outside the "
            f"trash; the inbox has {in_inbox:,} and the file adds {adding:,}."
        )
    if problems:
        raise Refused(problems)


def _write_lists(owner, inbox: TaskList, plan: Plan) -> list[TaskList]:
    unused = not Task.objects.writable_by(owner).filter(list=inbox).exists()
    if plan.inbox is not None and unused:
        # An inbox still unused takes the file's, as a new account's would.
        fields = plan.inbox.fields
        TaskList.objects.filter(pk=inbox.pk).update(
            name=fields["name"],
            color=fields.get("color"),
            created_at=fields["created_at"],
            updated_at=fields["updated_at"],
        )
    held = TaskList.objects.writable_by(owner)
    ends = held.aggregate(first=Min("position"), last=Max("position"))
    split = plan.inbox_at if plan.inbox_at is not None else 0
    keys = positions.keys_between(None, ends["first"], split)
    keys += positions.keys_between(ends["last"], None, len(plan.lists) - split)
    lists = [
        TaskList(owner=owner, position=key, **_list_fields(row))
        for row, key in zip(plan.lists, keys, strict=True)
    ]
    times = [(made.created_at, made.updated_at) for made in lists]
    # bulk_create stamps both times with now: the file's go back on after.
    lists = TaskList.objects.bulk_create(lists)
    for made, (created_at, updated_at) in zip(lists, times, strict=True):
        made.created_at, made.updated_at = created_at, updated_at
    TaskList.objects.bulk_update(lists, ["created_at", "updated_at"])
    return lists


def _list_fields(row: Row) -> dict[str, Any]:
    return {
        name: value
        for name, value in row.fields.items()
        if name not in {"transfer_key", "is_inbox"}
    }


def _write_tasks(
    owner, lists: dict[int, TaskList], placed: list[PlacedTask]
) -> list[Task]:
    """The tasks, a level at a time (a subtask's parent needs its id)."""
    groups: dict[tuple, list[PlacedTask]] = defaultdict(list)
    for task in placed:
        groups[(task.list, task.parent)].append(task)
    made: dict[PlacedTask, Task] = {}
    for (where, parent), members in groups.items():
        if where == INBOX and parent is None:
            mine = Task.objects.writable_by(owner)
            last = mine.last_position(lists[INBOX].pk, None)
            keys = positions.keys_between(last, None, len(members))
        else:
            keys = positions.spread(len(members))
        for task, key in zip(members, keys, strict=True):
            fields = {
                name: value
                for name, value in task.fields.items()
                if name not in {"transfer_key", "list_key", "parent_key", "tag_names"}
            }
            made[task] = Task(
                owner=owner, list=lists[task.list], position=key, **fields
            )
    for level in range(1, MAX_DEPTH + 1):
        batch = [task for task in placed if task.level == level]
        for task in batch:
            if task.parent is not None:
                made[task].parent = made[task.parent]  # made a level before
        if batch:
            bulk_create_keeping_timestamps([made[task] for task in batch])
    tasks = [made[task] for task in placed]
    _tag_tasks(owner, tasks, [task.fields.get("tag_names", []) for task in placed])
    return tasks


def _write_tags(owner, plan: Plan) -> None:
    """The file's tags that the account lacks, made with the file's times (the
    account's own tags keep theirs)."""
    had = {
        name.lower()
        for name in Tag.objects.writable_by(owner).values_list("name", flat=True)
    }
    tags = tags_named(owner, list(plan.tags))
    dated = []
    for tag, created_at in zip(tags, plan.tags.values(), strict=True):
        if created_at is not None and tag.name.lower() not in had:
            tag.created_at = created_at
            dated.append(tag)
    Tag.objects.bulk_update(dated, ["created_at"])


def _tag_tasks(owner, tasks: list[Task], names: list[list[str]]) -> None:
    """Give each task its tags (the owner's, created where missing)."""
    every_name = list({name.lower(): name for row in names for name in row}.values())
    tags = {tag.name.lower(): tag for tag in tags_named(owner, every_name)}
    Task.tags.through.objects.bulk_create(
        [
            Task.tags.through(task=task, tag=tags[name.lower()])
            for task, row in zip(tasks, names, strict=True)
            for name in row
        ],
        batch_size=1000,
    )
