import random
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Max, Model
from django.template.defaultfilters import pluralize
from django.utils import timezone

from tasks import positions
from tasks.models import (
    CHILDREN_PER_TASK,
    INBOX_NAME,
    LISTS_PER_USER,
    MAX_DEPTH,
    TASKS_PER_LIST,
    Priority,
    Tag,
    Task,
    TaskList,
    bulk_create_keeping_timestamps,
    due_by,
)
from users.models import User

TITLES = [
    "Buy groceries", "Buy a birthday present for {name}", "Call {name} back",
    "Call the plumber", "Email {name} about the invoice", "Book the dentist",
    "Book flights to {city}", "Review the quarterly report",
    "Review {name}'s pull request",
    "Fix the kitchen sink", "Plan the team offsite", "Write the project proposal",
    "Renew the car insurance", "Renew the passport", "Pay the electricity bill",
    "Pay invoice #{n}", "Clean the garage", "Schedule a call with {name}",
    "Prepare slides for Monday", "Return the library books", "Order new bike tyres",
    "Update the CV", "Cancel the gym membership", "Check the tax return",
    "Send the newsletter draft", "Water the plants", "Walk the dog",
    "Take the car for its service", "Pick up the dry cleaning", "Back up the laptop",
]  # fmt: skip
NAMES = ["Sam", "Priya", "Jonas", "Amara", "Lee", "Sofia", "Tomás", "Mei", "Ola"]
CITIES = ["Lisbon", "Oslo", "Kyoto", "Nairobi", "Lima", "Tallinn", "Montréal"]
DETAILS = [
    "", "", "", "Before Friday.", "Ask Sam first.", "Two quotes, then decide.",
    "See the thread from last week.", "Low priority, but don't forget.",
    "Needs the receipt.", "Call back if no answer.", "Bring the paperwork.",
]  # fmt: skip
TAGS = ["work", "home", "errands", "health", "finance", "family"]
# Read once: Priority.values builds its list anew on every read.
PRIORITIES = Priority.values
LIST_NAMES = [
    "Work", "Home", "Errands", "Health", "Finance", "Family", "Side project",
    "Reading", "Travel", "Garden", "Car", "Learning",
]  # fmt: skip
# None: the client's default colour.
COLORS = [None, "#E53935", "#FB8C00", "#FDD835", "#43A047", "#1E88E5", "#8E24AA"]
SPAN = timedelta(days=365)
LIST_COLUMNS = "id, owner_id, name, color, position, is_inbox, created_at, updated_at"
TASK_COLUMNS = (
    "id, owner_id, list_id, parent_id, position, title, description, completed, "
    "completed_at, priority, due_at, due_date, due_by, created_at, updated_at"
)
# Tasks written per COPY (or run of bulk inserts), with their ids taken first:
# what the command holds in memory at once.
CHUNK = 100_000


class Command(BaseCommand):
    help = (
        "Create --users users with --tasks-per-user tasks each: a year of plausible "
        "history up to midnight UTC today, in --lists-per-user lists (an inbox "
        "first), a share of them subtasks; the same for the same --seed; fast "
        "(COPY on PostgreSQL, bulk inserts elsewhere). Seeded users share one "
        "password, printed at the end."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--users", type=int, default=100, help="Users to create (default: 100)."
        )
        parser.add_argument(
            "--tasks-per-user",
            type=int,
            default=100,
            help="Tasks for each user (default: 100).",
        )
        parser.add_argument(
            "--lists-per-user",
            type=int,
            default=3,
            help=f"Lists for each user, their inbox included (1 to {LISTS_PER_USER}; "
            "default: 3).",
        )
        parser.add_argument(
            "--subtask-share",
            type=float,
            default=0.2,
            help="About this share of the tasks are subtasks of an earlier task "
            f"in its list, some nested deeper, at most {MAX_DEPTH} levels "
            "(0 to 1; default: 0.2).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=0,
            help="Random seed: the same seed gives the same data (default: 0).",
        )
        parser.add_argument(
            "--prefix",
            default="seed",
            help="Usernames are PREFIX-000001, ...; their password is "
            '"PREFIX-password" (default prefix: "seed").',
        )

    def handle(
        self,
        *args,
        users: int,
        tasks_per_user: int,
        lists_per_user: int,
        subtask_share: float,
        seed: int,
        prefix: str,
        **options,
    ):
        if users < 1 or tasks_per_user < 0:
            raise CommandError(
                "--users must be at least 1 and --tasks-per-user at least 0."
            )
        if not 1 <= lists_per_user <= LISTS_PER_USER:
            raise CommandError(f"--lists-per-user must be 1 to {LISTS_PER_USER}.")
        if not 0 <= subtask_share <= 1:
            raise CommandError("--subtask-share must be 0 to 1.")
        if tasks_per_user > lists_per_user * TASKS_PER_LIST:
            raise CommandError(
                f"A list holds at most {TASKS_PER_LIST:,} tasks: "
                f"{tasks_per_user:,} tasks need more --lists-per-user."
            )
        if User.objects.filter(username__startswith=f"{prefix}-").exists():
            raise CommandError(
                f'Users named "{prefix}-..." exist already: choose another --prefix.'
            )
        started = time.monotonic()
        rng = random.Random(seed)  # noqa: S311 (sample data, not secrets)
        # Lists and the tasks' places in them draw from a stream of their own:
        # the tasks a seed gives (titles, times, ...) stay those it gave before
        # there were lists.
        placing = random.Random(f"{seed}:places")  # noqa: S311
        password = f"{prefix}-password"
        # History ends at midnight UTC today: the same seed gives the same data,
        # to the microsecond, all day.
        now = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
        total = users * tasks_per_user
        with transaction.atomic():
            owners = self._create_users(users, prefix, make_password(password))
            lists = _create_lists(placing, owners, lists_per_user, now - SPAN)
            progress = Progress(self.stdout, total, "tasks")
            per_chunk = max(1, CHUNK // max(tasks_per_user, 1))
            for start in range(0, users, per_chunk):
                chunk = owners[start : start + per_chunk]
                ids = _reserve_ids(Task, len(chunk) * tasks_per_user)
                arranged = _arranged_tasks(
                    chunk,
                    rng=rng,
                    placing=placing,
                    lists=lists,
                    per_user=tasks_per_user,
                    subtask_share=subtask_share,
                    now=now,
                )
                rows = _task_rows(arranged, ids)
                if connection.vendor == "postgresql":
                    _copy("tasks_task", TASK_COLUMNS, rows, progress)
                else:
                    _bulk_insert(rows, progress)
            progress.done()
            links = self._tag(rng, owners)
            subtasks = Task.objects.filter(
                owner__in=owners, parent__isnull=False
            ).count()
        if connection.vendor == "postgresql":
            # Fresh statistics for the planner (and the admin's estimated count).
            with connection.cursor() as cursor:
                cursor.execute(
                    "ANALYZE tasks_task, tasks_tasklist, tasks_tag, tasks_task_tags, "
                    "users_user"
                )
        list_count = users * lists_per_user
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {users} user{pluralize(users)}, {total} task"
                f"{pluralize(total)} and {links} tag link{pluralize(links)} in "
                f"{time.monotonic() - started:.1f}s ({list_count} list"
                f"{pluralize(list_count)}, {subtasks} subtask{pluralize(subtasks)}). "
                f"Users {prefix}-{1:06d} to {prefix}-{users:06d}, password "
                f'"{password}".'
            )
        )

    def _create_users(self, count: int, prefix: str, password_hash: str) -> list[int]:
        # bulk_create sends no post_save: these accounts get no inbox from the
        # signal, and _create_lists makes each one.
        users = [
            User(
                username=f"{prefix}-{n:06d}",
                email=f"{prefix}-{n:06d}@example.com",
                password=password_hash,
            )
            for n in range(1, count + 1)
        ]
        created = User.objects.bulk_create(users, batch_size=2000)
        return [user.pk for user in created]

    def _tag(self, rng: random.Random, owners: list[int]) -> int:
        """Give every user the same few tags and about half the tasks one or two
        of them; returns how many links were made."""
        tags = Tag.objects.bulk_create(
            [Tag(owner_id=owner, name=name) for owner in owners for name in TAGS],
            batch_size=5000,
        )
        by_owner: dict[int, list[int]] = {}
        for tag in tags:
            by_owner.setdefault(tag.owner_id, []).append(tag.pk)
        # In id order, so that the same seed tags the same tasks.
        tasks = Task.objects.filter(owner__in=owners).order_by("owner_id", "id")
        links = [
            (task_id, tag_id)
            for task_id, owner_id in tasks.values_list("id", "owner_id").iterator(
                chunk_size=10000
            )
            for tag_id in rng.sample(by_owner[owner_id], rng.choice([0, 0, 1, 1, 2]))
        ]
        if connection.vendor == "postgresql":
            _copy("tasks_task_tags", "task_id, tag_id", iter(links))
        else:
            Link = Task.tags.through
            Link.objects.bulk_create(
                [Link(task_id=task, tag_id=tag) for task, tag in links],
                batch_size=5000,
            )
        return len(links)


def _reserve_ids(model: type[Model], count: int) -> Iterator[int]:
    """`count` primary keys for rows of `model` written with their ids, so that
    a subtask's row can name its parent's before either is written.

    PostgreSQL hands them out from the table's sequence, as to any insert. On
    SQLite they follow the highest ever given (sqlite_sequence: a deleted id is
    never given again, which the change feed's tombstones rely on); the
    command's transaction took the database's write lock with its first insert
    (the users), so no other writer can take them meanwhile.
    """
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                "FROM generate_series(1, %s)",
                [table, count],
            )
            return iter(sorted(pk for (pk,) in cursor.fetchall()))
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        given = cursor.fetchone()
    highest = model._base_manager.aggregate(highest=Max("pk"))["highest"]
    top = max(given[0] if given else 0, highest or 0)
    return iter(range(top + 1, top + 1 + count))


def _create_lists(
    rng: random.Random, owners: list[int], per_user: int, created: datetime
) -> dict[int, list[int]]:
    """Each owner's lists, their inbox first, all made at the start of the
    history; returns their ids by owner."""
    ids = _reserve_ids(TaskList, len(owners) * per_user)
    keys = positions.spread(per_user)
    rows = []
    for owner in owners:
        names = [INBOX_NAME, *_list_names(rng, per_user - 1)]
        for index, (name, key) in enumerate(zip(names, keys, strict=True)):
            color = rng.choice(COLORS) if index else None
            row = (next(ids), owner, name, color, key, index == 0, created, created)
            rows.append(row)
    if connection.vendor == "postgresql":
        _copy("tasks_tasklist", LIST_COLUMNS, iter(rows))
    else:
        fields = _names(LIST_COLUMNS)
        lists = [TaskList(**dict(zip(fields, row, strict=True))) for row in rows]
        TaskList.objects.bulk_create(lists, batch_size=5000)
        # bulk_create stamped them with the time now; the history's start, as
        # COPY writes it.
        for task_list in lists:
            task_list.created_at = task_list.updated_at = created
        TaskList.objects.bulk_update(lists, ["created_at", "updated_at"], 5000)
    by_owner: dict[int, list[int]] = defaultdict(list)
    for pk, owner, *_ in rows:
        by_owner[owner].append(pk)
    return by_owner


def _list_names(rng: random.Random, count: int) -> list[str]:
    names = rng.sample(LIST_NAMES, min(count, len(LIST_NAMES)))
    return names + [f"Project {n}" for n in range(1, count - len(names) + 1)]


def _copy(
    table: str, columns: str, rows: Iterator[tuple], progress: "Progress | None" = None
) -> None:
    with connection.cursor() as cursor:
        copy_sql = f"COPY {table} ({columns}) FROM STDIN"
        with cursor.connection.cursor().copy(copy_sql) as copy:
            for row in rows:
                copy.write_row(row)
                if progress is not None:
                    progress.step()


def _bulk_insert(rows: Iterator[tuple], progress: "Progress") -> None:
    batch: list[Task] = []
    fields = _names(TASK_COLUMNS)
    for row in rows:
        batch.append(Task(**dict(zip(fields, row, strict=True))))
        progress.step()
        if len(batch) == 5000:
            _insert(batch)
            batch = []
    _insert(batch)


def _names(columns: str) -> list[str]:
    return [name.strip() for name in columns.split(",")]


def _insert(batch: list[Task]) -> None:
    # The generated history is kept, as COPY keeps it on PostgreSQL. A
    # subtask's parent is in its batch or an earlier one: each user's rows
    # come in creation order.
    bulk_create_keeping_timestamps(batch)


@dataclass(eq=False)  # each one its own: a key for its subtasks' group
class SeedTask:
    """A task about to be written, and its place among the user's tasks."""

    title: str
    description: str
    completed: bool
    completed_at: datetime | None
    priority: int
    due_at: datetime | None
    due_date: date | None
    created: datetime
    updated: datetime
    list_id: int = 0
    parent: "SeedTask | None" = None
    depth: int = 1  # a top-level task is level 1
    children: int = 0
    position: str = ""
    id: int = 0


def _arranged_tasks(
    owners: list[int],
    *,
    rng: random.Random,
    placing: random.Random,
    lists: dict[int, list[int]],
    per_user: int,
    subtask_share: float,
    now: datetime,
) -> Iterator[tuple[int, list[SeedTask]]]:
    """Each owner and their tasks in creation order, a year of plausible
    history (from `rng`), placed in their lists (from `placing`)."""
    for owner in owners:
        tasks = [_random_task(rng, now) for _ in range(per_user)]
        tasks.sort(key=lambda task: task.created)
        _place(placing, tasks, lists[owner], subtask_share)
        yield owner, tasks


def _random_task(rng: random.Random, now: datetime) -> SeedTask:
    span = SPAN.total_seconds()
    title = rng.choice(TITLES).format(
        name=rng.choice(NAMES), city=rng.choice(CITIES), n=rng.randint(100, 999)
    )
    created = now - timedelta(seconds=rng.random() * span)
    age = (now - created).total_seconds()
    updated = created + timedelta(seconds=rng.random() * min(age, 30 * 86400))
    completed = rng.random() < 0.4
    # Most tasks have no priority; a third have a deadline, some all-day.
    priority = rng.choices(PRIORITIES, weights=[60, 15, 15, 10])[0]
    deadline = created + timedelta(days=rng.randint(1, 60))
    due_at, due_date = None, None
    if rng.random() < 0.2:
        due_at = deadline
    elif rng.random() < 0.15:
        due_date = deadline.date()
    return SeedTask(
        title=title,
        description=rng.choice(DETAILS),
        completed=completed,
        completed_at=updated if completed else None,
        priority=priority,
        due_at=due_at,
        due_date=due_date,
        created=created,
        updated=updated,
    )


def _place(
    rng: random.Random, tasks: list[SeedTask], lists: list[int], subtask_share: float
) -> None:
    """Give one user's tasks (in creation order) their lists, parents and
    positions, by the rules the API keeps.

    A subtask goes under an earlier task of any level that may take one, so
    that some nest two or three levels deep; it joins its parent's list.
    Siblings are ordered as they were created.
    """
    room = {list_id: TASKS_PER_LIST for list_id in lists}
    open_lists = list(lists)  # the lists with room left
    parents: list[SeedTask] = []  # earlier tasks that may take a subtask
    siblings: dict[tuple[int, SeedTask | None], list[SeedTask]] = defaultdict(list)
    for task in tasks:
        parent = (
            rng.choice(parents) if parents and rng.random() < subtask_share else None
        )
        if parent is not None and room[parent.list_id]:
            task.parent, task.list_id = parent, parent.list_id
            task.depth = parent.depth + 1
            parent.children += 1
            if parent.children == CHILDREN_PER_TASK:
                parents.remove(parent)
        else:
            task.list_id = rng.choice(open_lists)
        room[task.list_id] -= 1
        if not room[task.list_id]:
            open_lists.remove(task.list_id)
        if task.depth < MAX_DEPTH:
            parents.append(task)
        siblings[task.list_id, task.parent].append(task)
    for group in siblings.values():
        for task, key in zip(group, positions.spread(len(group)), strict=True):
            task.position = key
    for task in reversed(tasks):  # every subtask before its parent
        _agree_with_parent(task)


def _agree_with_parent(task: SeedTask) -> None:
    """An open task has only open ancestors; a task is done no earlier than
    its subtasks (completing a task completes them)."""
    parent = task.parent  # completed_at is set exactly when completed
    if parent is None or parent.completed_at is None:
        return
    if task.completed_at is None:
        parent.completed, parent.completed_at = False, None
    elif parent.completed_at < task.completed_at:
        parent.completed_at = parent.updated = task.completed_at


def _task_rows(
    arranged: Iterator[tuple[int, list[SeedTask]]], ids: Iterator[int]
) -> Iterator[tuple]:
    """Rows in TASK_COLUMNS order, each user's in creation order."""
    for owner, tasks in arranged:
        for task in tasks:
            task.id = next(ids)  # before any row names it as a parent
        for task in tasks:
            yield (
                task.id,
                owner,
                task.list_id,
                task.parent.id if task.parent else None,
                task.position,
                task.title,
                task.description,
                task.completed,
                task.completed_at,
                task.priority,
                task.due_at,
                task.due_date,
                due_by(task.due_at, task.due_date),
                task.created,
                task.updated,
            )


class Progress:
    """A one-line progress bar on a terminal; a line per 10% otherwise."""

    def __init__(self, out, total: int, noun: str) -> None:
        self.out, self.total, self.noun = out, max(total, 1), noun
        self.count = 0
        self.tty = out.isatty() if hasattr(out, "isatty") else sys.stdout.isatty()
        self.every = max(1, self.total // (200 if self.tty else 10))

    def step(self) -> None:
        self.count += 1
        if self.count % self.every == 0:
            self._show()

    def done(self) -> None:
        if self.count % self.every:
            self._show()
        if self.tty:
            self.out.write("")

    def _show(self) -> None:
        share = self.count / self.total
        bar = "#" * int(share * 30)
        line = f"  {self.noun} [{bar:<30}] {self.count}/{self.total} ({share:.0%})"
        if self.tty:
            self.out.write("\r" + line, ending="")
            self.out.flush()
        else:
            self.out.write(line)
