from django.conf import settings
from django.db import models
from django.db.models.functions import Length, Replace, Trim
from django.db.models.lookups import GreaterThan
from django.utils import timezone

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 1000


def _whitespace_as_spaces(field: str):
    """The field with tabs and line breaks turned into spaces, which TRIM removes.

    SQL's TRIM strips only spaces; this keeps the check portable across
    PostgreSQL and SQLite without a regular expression.
    """
    expression: models.Func | models.F = models.F(field)
    for character in "\t\n\r":
        expression = Replace(expression, models.Value(character), models.Value(" "))
    return expression


class TaskQuerySet(models.QuerySet):
    def open(self):
        return self.filter(completed=False)

    def done(self):
        return self.filter(completed=True)

    def mark_completed(self) -> int:
        """Complete the open tasks among these in one UPDATE; returns how many.

        Tasks already completed keep their first completion time.
        """
        now = timezone.now()
        return self.open().update(completed=True, completed_at=now, updated_at=now)

    def mark_open(self) -> int:
        """Reopen the completed tasks among these in one UPDATE; returns how many."""
        return self.done().update(
            completed=False, completed_at=None, updated_at=timezone.now()
        )


class Task(models.Model):
    """One thing a user means to do."""

    # Indexed through the (owner, -created_at, -id) index below, whose leading
    # column serves every lookup by owner; a second index on owner alone would
    # only slow writes.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="tasks",
        db_index=False,
    )
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    description = models.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, blank=True, default=""
    )
    completed = models.BooleanField(default=False)
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The list query: one user's tasks, newest first.
            models.Index(
                fields=["owner", "-created_at", "-id"], name="task_owner_created_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=GreaterThan(Length(Trim(_whitespace_as_spaces("title"))), 0),
                name="task_title_not_blank",
                violation_error_message="Title may not be blank.",
            ),
            models.CheckConstraint(
                condition=models.Q(completed=False, completed_at__isnull=True)
                | models.Q(completed=True, completed_at__isnull=False),
                name="task_completed_at_matches_completed",
                violation_error_message="completed_at is set exactly when completed.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        # completed_at follows completed on every save path (API, admin, commands),
        # keeping the first completion time while a task stays completed.
        if self.completed and self.completed_at is None:
            self.completed_at = timezone.now()
        elif not self.completed:
            self.completed_at = None
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "completed" in update_fields:
            kwargs["update_fields"] = {*update_fields, "completed_at"}
        super().save(*args, **kwargs)


def bulk_create_keeping_timestamps(tasks: list[Task]) -> list[Task]:
    """bulk_create, but with the tasks' own created_at and updated_at.

    bulk_create stamps auto_now and auto_now_add fields with the current time (on
    the very objects passed in); imports and seeds carry their own history.
    """
    stamps = [(task.created_at, task.updated_at) for task in tasks]
    created = Task.objects.bulk_create(tasks, batch_size=1000)
    for task, (created_at, updated_at) in zip(created, stamps, strict=True):
        task.created_at, task.updated_at = created_at, updated_at
    Task.objects.bulk_update(created, ["created_at", "updated_at"], batch_size=1000)
    return created
