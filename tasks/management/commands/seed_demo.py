from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.template.defaultfilters import pluralize

from tasks.models import Task
from users.models import User

USERNAME = "demo"
# Public on purpose: this account exists for trying the API on a laptop.
PASSWORD = "demo-password-2026"  # noqa: S105
TASKS = [
    ("Buy oat milk and coffee beans", "", False),
    ("Book the dentist", "Ask for a morning slot next week.", False),
    ("Renew the car insurance", "Compare two quotes before Friday.", False),
    ("Read the onboarding guide", "Sections 1-3.", True),
    ("Water the plants", "", True),
    ("Plan the team offsite", "Venue, dates, agenda draft.", False),
]


class Command(BaseCommand):
    help = (
        f'Create (or reset) the demo account "{USERNAME}" with a known password and a '
        "handful of tasks, for trying the API locally. Refuses to run with DEBUG off "
        "unless --force."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (the password is public: not in production).",
        )

    @transaction.atomic
    def handle(self, *args, force: bool, **options) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off: refusing to create an account with a public password. "
                "Use --force if this really is not production."
            )
        user, created = User.objects.get_or_create(
            username=USERNAME, defaults={"email": "demo@example.com"}
        )
        user.set_password(PASSWORD)
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
        if not user.tasks.exists():
            for title, description, completed in TASKS:
                Task.objects.create(
                    owner=user,
                    title=title,
                    description=description,
                    completed=completed,
                )
        verb = "Created" if created else "Reset"
        count = user.tasks.count()
        self.stdout.write(
            self.style.SUCCESS(
                f'{verb} the demo account: username "{USERNAME}", '
                f'password "{PASSWORD}" '
                f"({count} task{pluralize(count)})."
            )
        )
