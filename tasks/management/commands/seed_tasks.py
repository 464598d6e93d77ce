import random
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.template.defaultfilters import pluralize
from django.utils import timezone

from tasks.models import Priority, Tag, Task, bulk_create_keeping_timestamps, due_by
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
SPAN = timedelta(days=365)
COPY_COLUMNS = (
    "owner_id, title, description, completed, completed_at, priority, due_at, "
    "due_date, due_by, created_at, updated_at"
)


class Command(BaseCommand):
    help = (
        "Create --users users with --tasks-per-user tasks each: a year of plausible "
        "history up to midnight UTC today, the same for the same --seed; fast (COPY "
        "on PostgreSQL, bulk inserts elsewhere). Seeded users share one password, "
        "printed at the end."
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
        self, *args, users: int, tasks_per_user: int, seed: int, prefix: str, **options
    ):
        if users < 1 or tasks_per_user < 0:
            raise CommandError(
                "--users must be at least 1 and --tasks-per-user at least 0."
            )
        if User.objects.filter(username__startswith=f"{prefix}-").exists():
            raise CommandError(
                f'Users named "{prefix}-..." exist already: choose another --prefix.'
            )
        started = time.monotonic()
        rng = random.Random(seed)  # noqa: S311 (sample data, not secrets)
        password = f"{prefix}-password"
        # History ends at midnight UTC today: the same seed gives the same data,
        # to the microsecond, all day.
        now = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
        with transaction.atomic():
            owners = self._create_users(users, prefix, make_password(password))
            rows = _task_rows(rng, owners, tasks_per_user, now)
            total = users * tasks_per_user
            progress = Progress(self.stdout, total, "tasks")
            if connection.vendor == "postgresql":
                self._copy(rows, progress)
            else:
                self._bulk_insert(rows, progress)
            links = self._tag(rng, owners)
        if connection.vendor == "postgresql":
            # Fresh statistics for the planner (and the admin's estimated count).
            with connection.cursor() as cursor:
                cursor.execute(
                    "ANALYZE tasks_task, tasks_tag, tasks_task_tags, users_user"
                )
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {users} user{pluralize(users)}, {total} task"
                f"{pluralize(total)} and {links} tag link{pluralize(links)} in "
                f"{time.monotonic() - started:.1f}s. Users {prefix}-{1:06d} to "
                f'{prefix}-{users:06d}, password "{password}".'
            )
        )

    def _create_users(self, count: int, prefix: str, password_hash: str) -> list[int]:
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

    def _copy(self, rows: Iterator[tuple], progress: "Progress") -> None:
        with connection.cursor() as cursor:
            copy_sql = f"COPY tasks_task ({COPY_COLUMNS}) FROM STDIN"
            with cursor.connection.cursor().copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
                    progress.step()
        progress.done()

    def _bulk_insert(self, rows: Iterator[tuple], progress: "Progress") -> None:
        batch: list[Task] = []
        fields = [name.strip() for name in COPY_COLUMNS.split(",")]
        for row in rows:
            batch.append(Task(**dict(zip(fields, row, strict=True))))
            progress.step()
            if len(batch) == 5000:
                _insert(batch)
                batch = []
        _insert(batch)
        progress.done()

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
            with connection.cursor() as cursor:
                copy_sql = "COPY tasks_task_tags (task_id, tag_id) FROM STDIN"
                with cursor.connection.cursor().copy(copy_sql) as copy:
                    for link in links:
                        copy.write_row(link)
        else:
            Link = Task.tags.through
            Link.objects.bulk_create(
                [Link(task_id=task, tag_id=tag) for task, tag in links],
                batch_size=5000,
            )
        return len(links)


def _insert(batch: list[Task]) -> None:
    # The generated history is kept, as COPY keeps it on PostgreSQL.
    bulk_create_keeping_timestamps(batch)


def _task_rows(
    rng: random.Random, owners: list[int], per_user: int, now: datetime
) -> Iterator[tuple]:
    """Rows in COPY_COLUMNS order, a year of plausible history per user."""
    span = SPAN.total_seconds()
    for owner in owners:
        for _ in range(per_user):
            title = rng.choice(TITLES).format(
                name=rng.choice(NAMES), city=rng.choice(CITIES), n=rng.randint(100, 999)
            )
            created = now - timedelta(seconds=rng.random() * span)
            age = (now - created).total_seconds()
            updated = created + timedelta(seconds=rng.random() * min(age, 30 * 86400))
            completed = rng.random() < 0.4
            completed_at = updated if completed else None
            # Most tasks have no priority; a third have a deadline, some all-day.
            priority = rng.choices(Priority.values, weights=[60, 15, 15, 10])[0]
            deadline = created + timedelta(days=rng.randint(1, 60))
            due_at, due_date = None, None
            if rng.random() < 0.2:
                due_at = deadline
            elif rng.random() < 0.15:
                due_date = deadline.date()
            yield (
                owner,
                title,
                rng.choice(DETAILS),
                completed,
                completed_at,
                priority,
                due_at,
                due_date,
                due_by(due_at, due_date),
                created,
                updated,
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
