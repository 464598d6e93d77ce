from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from api.models import IDEMPOTENCY_KEY_HOURS, IdempotencyKey


class Command(BaseCommand):
    help = (
        f"Delete Idempotency-Key records older than {IDEMPOTENCY_KEY_HOURS} hours "
        "(a retry after that runs as a new request anyway). Run it hourly or daily."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count them; delete nothing."
        )

    def handle(self, *args, **options) -> None:
        expired = IdempotencyKey.objects.filter(
            created_at__lt=timezone.now() - timedelta(hours=IDEMPOTENCY_KEY_HOURS)
        )
        if options["dry_run"]:
            self.stdout.write(f"Would delete {_keys(expired.count())}.")
            return
        deleted, _ = expired.delete()
        self.stdout.write(self.style.SUCCESS(f"Deleted {_keys(deleted)}."))


def _keys(count: int) -> str:
    return f"{count} expired key" if count == 1 else f"{count} expired keys"
