from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from django.utils import timezone

from tasks import list_cache
from tasks.management.users import user_from_option
from tasks.models import Task

# A century: past that, dates overflow.
MAX_DAYS = 36500


class Command(BaseCommand):
    help = (
        "Delete tasks completed more than DAYS days ago, in batches. Shows what it "
        "deletes (or, with --dry-run, would delete) and asks first unless --no-input."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--completed-before",
            type=int,
            required=True,
            metavar="DAYS",
            help="Delete tasks completed more than this many days ago (0: any time).",
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
        days, batch_size = options["completed_before"], options["batch_size"]
        if not 0 <= days <= MAX_DAYS or batch_size < 1:
            raise CommandError(
                f"--completed-before must be 0 to {MAX_DAYS} and --batch-size >= 1."
            )
        cutoff = timezone.now() - timedelta(days=days)
        tasks = Task.objects.done().filter(completed_at__lt=cutoff)
        scope = "all users"
        if options["user"]:
            owner = user_from_option(options["user"])
            tasks, scope = tasks.filter(owner=owner), owner.username
        total = tasks.count()
        what = f"{total} tasks completed before {cutoff:%Y-%m-%d %H:%M} UTC ({scope})"
        if total == 0:
            self.stdout.write(f"Nothing to delete: no {what[2:]}.")
            return
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
            deleted += Task.objects.filter(pk__in=batch).delete()[0]
            list_cache.changed_all()
            self.stdout.write(f"  deleted {deleted} of {total}")
        self.stdout.write(self.style.SUCCESS(f"Deleted {deleted} tasks."))
