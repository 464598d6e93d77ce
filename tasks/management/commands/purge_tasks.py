from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Q
from django.template.defaultfilters import pluralize
from django.utils import timezone

from tasks.management.users import user_from_option
from tasks.models import TRASH_DAYS, Task, TaskList

# A century: past that, dates overflow.
MAX_DAYS = 36500


class Command(BaseCommand):
    help = (
        "Delete tasks completed, or put in the trash, more than DAYS days ago, in "
        "batches (with --trashed-before, lists in the trash as long too). Shows "
        "what it deletes (or, with --dry-run, would delete) and asks "
        f"first unless --no-input. The trash keeps tasks {TRASH_DAYS} days: run "
        f"--trashed-before {TRASH_DAYS} daily."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--completed-before",
            type=int,
            metavar="DAYS",
            help="Delete tasks completed more than this many days ago (0: any time).",
        )
        parser.add_argument(
            "--trashed-before",
            type=int,
            metavar="DAYS",
            help="Delete tasks in the trash for more than this many days "
            f"({TRASH_DAYS} is the retention the API promises).",
        )
        parser.add_argument(
            "--user", help="Only this user's tasks (username or email)."
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count what would go; delete nothing.",
        )
        parser.add_argument(
            "--no-input", action="store_true", help="Do not ask for confirmation."
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=5000,
            help="Tasks deleted per statement (default: 5000): keeps locks short.",
        )

    def handle(self, *args, **options) -> None:
        batch_size = options["batch_size"]
        ages = {
            "completed": options["completed_before"],
            "trashed": options["trashed_before"],
        }
        if all(days is None for days in ages.values()):
            raise CommandError(
                "Give --completed-before DAYS, --trashed-before DAYS, or both."
            )
        if batch_size < 1 or any(
            days is not None and not 0 <= days <= MAX_DAYS for days in ages.values()
        ):
            raise CommandError(f"DAYS must be 0 to {MAX_DAYS} and --batch-size >= 1.")
        selected, described = Q(pk__in=[]), []
        now = timezone.now()
        lists = TaskList.objects.none()
        if ages["completed"] is not None:
            cutoff = now - timedelta(days=ages["completed"])
            selected |= Q(completed=True, completed_at__lt=cutoff)
            described.append(f"completed before {cutoff:%Y-%m-%d %H:%M} UTC")
        if ages["trashed"] is not None:
            cutoff = now - timedelta(days=ages["trashed"])
            selected |= Q(deleted_at__lt=cutoff)
            described.append(f"put in the trash before {cutoff:%Y-%m-%d %H:%M} UTC")
            # Their tasks were trashed with them, at the same moment.
            lists = TaskList.objects.filter(deleted_at__lt=cutoff)
        tasks = Task.objects.filter(selected)
        scope = "all users"
        if options["user"]:
            owner = user_from_option(options["user"])
            tasks, scope = tasks.filter(owner=owner), owner.username
            lists = lists.filter(owner=owner)
        total, list_total = tasks.count(), lists.count()
        which = f"{' or '.join(described)} ({scope})"
        if total == list_total == 0:
            self.stdout.write(f"Nothing to delete: no tasks {which}.")
            return
        what = f"{total} task{pluralize(total)} {which}"
        if list_total:
            what += f", and {list_total} list{pluralize(list_total)} in the trash"
        by_owner = (
            tasks.order_by()
            .values("owner__username")
            .annotate(n=Count("id"))
            .order_by("-n", "owner__username")
        )
        owners = [f"{row['owner__username']} {row['n']}" for row in by_owner[:10]]
        breakdown = f"  by user (most first): {', '.join(owners)}"
        if options["dry_run"]:
            self.stdout.write(f"Would delete {what}.\n{breakdown}")
            return
        self.stdout.write(breakdown)
        if not options["no_input"]:
            try:
                answer = input(f"Delete {what}? Type 'yes' to continue: ")
            except EOFError:
                raise CommandError(
                    "No answer (no terminal?); nothing was deleted. Use --no-input."
                ) from None
            if answer.strip().lower() != "yes":
                raise CommandError("Cancelled; nothing was deleted.")

        deleted = 0
        while True:
            # By primary key: an index walk, not a sort of every match per batch.
            batch = list(tasks.order_by("pk").values_list("pk", flat=True)[:batch_size])
            if not batch:
                break
            # Tasks only: the count delete() returns includes their tag links.
            _, by_model = Task.objects.filter(pk__in=batch).delete()
            deleted += by_model.get(Task._meta.label, 0)
            self.stdout.write(f"  deleted {deleted} of {total}")
        # Their tasks are gone by now (any left go with them, tombstoned).
        _, by_model = lists.delete()
        gone = by_model.get(TaskList._meta.label, 0)
        self.stdout.write(
            self.style.SUCCESS(
                f"Deleted {deleted} task{pluralize(deleted)}"
                + (f" and {gone} list{pluralize(gone)}." if gone else ".")
            )
        )
