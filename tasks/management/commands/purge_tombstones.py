from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Max, OuterRef, Subquery
from django.db.models.functions import Greatest
from django.utils import timezone

from tasks.models import SYNC_HISTORY_DAYS, ChangeClock, Tombstone

MAX_DAYS = 36500  # a century: past that, dates overflow


class Command(BaseCommand):
    help = (
        "Forget deletions older than DAYS days from the change feed (GET "
        "/api/v1/sync/). A client whose cursor is older than the deletions "
        "forgotten is told (410) to sync again from scratch. Run it daily."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--deleted-before",
            type=int,
            default=SYNC_HISTORY_DAYS,
            metavar="DAYS",
            help=f"Forget deletions older than this (default: {SYNC_HISTORY_DAYS}).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count them; forget nothing."
        )

    def handle(self, *args, **options) -> None:
        days = options["deleted_before"]
        if not 0 <= days <= MAX_DAYS:
            raise CommandError(f"DAYS must be 0 to {MAX_DAYS}.")
        old = Tombstone.objects.filter(
            deleted_at__lt=timezone.now() - timedelta(days=days)
        )
        if options["dry_run"]:
            self.stdout.write(f"Would forget {_deletions(old.count())}.")
            return
        with transaction.atomic():
            # Each owner's clock learns the last change number forgotten: older
            # cursors can no longer be followed.
            last_forgotten = (
                old.filter(owner=OuterRef("owner"))
                .order_by()
                .values("owner")
                .annotate(last=Max("change_seq"))
                .values("last")
            )
            ChangeClock.objects.filter(owner__in=old.values("owner")).update(
                pruned_through=Greatest("pruned_through", Subquery(last_forgotten))
            )
            forgotten, _ = old.delete()
        self.stdout.write(self.style.SUCCESS(f"Forgot {_deletions(forgotten)}."))


def _deletions(count: int) -> str:
    return f"{count} deletion" if count == 1 else f"{count} deletions"
