from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.template.defaultfilters import pluralize

from tasks.models import Task, TaskList
from users.models import User

USERNAME = "demo"
# Public on purpose: this account exists for trying the API on a laptop.
PASSWORD = "demo-password-2026"  # noqa: S105
# (title, description, completed)
Subtask = tuple[str, str, bool]
# Each list (None: the inbox) with its colour and its tasks, in their order:
# (title, description, completed, subtasks).
LISTS: list[
    tuple[str | None, str | None, list[tuple[str, str, bool, list[Subtask]]]]
] = [
    (None, None, [("Buy oat milk and coffee beans", "", False, [])]),
    (
        "Home",
        "#43A047",
        [
            ("Book the dentist", "Ask for a morning slot next week.", False, []),
            ("Water the plants", "", True, []),
        ],
    ),
    (
        "Work",
        "#1E88E5",
        [
            (
                "Plan the team offsite",
                "Venue, dates, agenda draft.",
                False,
                [
                    ("Book the venue", "Two quotes before Friday.", True),
                    ("Draft the agenda", "", False),
                ],
            )
        ],
    ),
]


class Command(BaseCommand):
    help = (
        f'Create (or reset) the demo account "{USERNAME}" with a known password and a '
        "handful of tasks in its inbox and two lists, one with subtasks, for trying "
        "the API locally. Refuses to run with DEBUG off unless --force."
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
            _add_tasks(user)
        verb = "Created" if created else "Reset"
        count = user.tasks.count()
        self.stdout.write(
            self.style.SUCCESS(
                f'{verb} the demo account: username "{USERNAME}", '
                f'password "{PASSWORD}" '
                f"({count} task{pluralize(count)})."
            )
        )


def _add_tasks(user: User) -> None:
    for name, color, tasks in LISTS:
        task_list = _list_named(user, name, color)
        for title, description, completed, subtasks in tasks:
            parent = _add(user, task_list, None, title, description, completed)
            for subtask in subtasks:
                _add(user, task_list, parent, *subtask)


def _add(
    user: User,
    task_list: TaskList,
    parent: Task | None,
    title: str,
    description: str,
    completed: bool,
) -> Task:
    # Last among its siblings (Task.save places it): in the order of LISTS.
    return Task.objects.create(
        owner=user,
        list=task_list,
        parent=parent,
        title=title,
        description=description,
        completed=completed,
    )


def _list_named(user: User, name: str | None, color: str | None) -> TaskList:
    if name is None:
        return TaskList.objects.inbox_of(user.pk)
    # One left from an earlier demo, if its tasks were deleted; never an
    # archived or trashed one, which take no tasks.
    found = user.task_lists.filter(
        name=name, archived_at__isnull=True, deleted_at__isnull=True
    ).first()
    return found or TaskList.objects.create(owner=user, name=name, color=color)
