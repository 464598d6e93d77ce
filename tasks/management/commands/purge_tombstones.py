from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from tasks.models import SYNC_HISTORY_DAYS, ChangeClock, Tombstone

MAX_DAYS = 36500  # a century: past that, dates overflow
# Clocks locked at once: their owners' writes wait for the batch.
OWNERS_PER_BATCH = 500


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
        owners = sorted(old.order_by().values_list("owner", flat=True).distinct())
        forgotten = 0
        for start in range(0, len(owners), OWNERS_PER_BATCH):
            forgotten += _forget(old, owners[start : start + OWNERS_PER_BATCH])
        self.stdout.write(self.style.SUCCESS(f"Forgot {_deletions(forgotten)}."))


def _forget(old, owners: list[int]) -> int:
    """Forget these owners' old tombstones; each owner's clock learns the last
    change number forgotten, so that older cursors are refused (410)."""
    with transaction.atomic():
        # Locked in owner order, as every write that takes several clocks does.
        # While they are held, these owners get no new tombstones.
        clocks = ChangeClock.objects.filter(owner__in=owners).order_by("owner")
        list(clocks.select_for_update())
        rows = old.filter(owner__in=owners).values_list("pk", "owner", "change_seq")
        last: dict[int, int] = {}
        pks = []
        for pk, owner, seq in rows:
            pks.append(pk)
            last[owner] = max(seq, last.get(owner, 0))
        Tombstone.objects.filter(pk__in=pks).delete()
        for owner, seq in last.items():
            clocks.filter(owner=owner, pruned_through__lt=seq).update(
                pruned_through=seq
            )
        return len(pks)


def _deletions(count: int) -> str:
    return f"{count} deletion" if count == 1 else f"{count} deletions"
