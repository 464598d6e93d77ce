import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, Error, connections
from django.template.defaultfilters import pluralize


class Command(BaseCommand):
    help = (
        "Wait until the database accepts connections and answers a query, then exit 0; "
        "exit non-zero after --timeout seconds (an attempt under way finishes first: "
        "at most the connect timeout). For deploy scripts and containers (a Neon "
        "compute may take a few seconds to wake)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--timeout",
            type=float,
            default=60.0,
            help="Give up after this many seconds (default: 60).",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds to wait between attempts (default: 1).",
        )
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help='The database alias to check (default: "default").',
        )

    def handle(self, *args, timeout: float, interval: float, database: str, **options):
        if timeout <= 0 or interval <= 0:
            raise CommandError("--timeout and --interval must be greater than zero.")
        if database not in connections:
            raise CommandError(f'No database "{database}" in settings.DATABASES.')
        connection = connections[database]
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1")
            except Error as exc:
                connection.close()
                elapsed = time.monotonic() - started
                reason = str(exc).strip().splitlines()[0] if str(exc).strip() else exc
                if elapsed + interval > timeout:
                    raise CommandError(
                        f"Database unavailable after {attempt} "
                        f"attempt{pluralize(attempt)} in "
                        f"{elapsed:.1f}s: {reason}"
                    ) from exc
                self.stdout.write(
                    f"Waiting for the database (attempt {attempt}, {elapsed:.1f}s): "
                    f"{reason}"
                )
                time.sleep(interval)
            else:
                elapsed = time.monotonic() - started
                message = (
                    f"Database available after {attempt} attempt(s), {elapsed:.1f}s."
                )
                self.stdout.write(self.style.SUCCESS(message))
                return
