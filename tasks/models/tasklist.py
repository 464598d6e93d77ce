"""Task lists: a user's lists (projects) of tasks, one of them their inbox."""

import functools
from typing import Any, cast

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Count, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Length, Trim
from django.db.models.lookups import GreaterThan
from django.db.models.signals import post_save
from django.dispatch import receiver

from .. import positions
from .expressions import whitespace_as_spaces
from .fields import PositionField
from .sync import SyncedModel, SyncedQuerySet

LIST_NAME_MAX_LENGTH = 120
LISTS_PER_USER = 500
TASKS_PER_LIST = 10_000
INBOX_NAME = "Inbox"
COLOR = RegexValidator(r"\A#[0-9A-Fa-f]{6}\Z", "A colour is #RRGGBB (hexadecimal).")


class TaskListQuerySet(SyncedQuerySet):
    """Lists are their owner's alone (OwnedQuerySet's rule), archived and
    trashed ones included; sharing (issue 18) states its own rule here."""

    def alive(self) -> "TaskListQuerySet":
        return self.filter(deleted_at__isnull=True)

    def trashed(self) -> "TaskListQuerySet":
        return self.filter(deleted_at__isnull=False)

    def inbox_of(self, owner_id: int) -> "TaskList":
        """The owner's inbox, made if the account has none yet (an account
        made without the signal that makes one: bulk_create)."""
        inbox, _ = self.get_or_create(
            owner_id=owner_id,
            is_inbox=True,
            defaults={
                "name": INBOX_NAME,
                "position": positions.key_between(None, None),
            },
        )
        return cast("TaskList", inbox)

    def position_after_last(self, owner_id: int) -> str:
        last = self.filter(owner_id=owner_id).aggregate(last=Max("position"))["last"]
        return positions.key_between(last, None)

    def with_counts(self) -> "TaskListQuerySet":
        """Each list's `task_count` and `open_task_count` (tasks outside the
        trash), read in the list's own query."""
        return self.annotate(**_task_counts())


@functools.cache
def _task_counts() -> dict[str, Coalesce]:
    # Built once: composing them took a fifth of a GET /lists/. annotate()
    # resolves a copy of them for each query.
    task: Any = TaskList._meta.get_field("tasks").related_model
    tasks = task._base_manager.filter(list=OuterRef("pk"), deleted_at__isnull=True)

    def counted(rows) -> Coalesce:
        total = rows.order_by().values("list").annotate(n=Count("pk")).values("n")
        return Coalesce(Subquery(total), 0)

    return {
        "task_count": counted(tasks),
        "open_task_count": counted(tasks.filter(completed=False)),
    }


class TaskList(SyncedModel):
    """A list of tasks in the order its owner gave them."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="task_lists",
        db_index=False,  # the (owner, position) index leads with owner
    )
    name = models.CharField(max_length=LIST_NAME_MAX_LENGTH)
    # "#RRGGBB", or None for the client's default (one "no colour", as the
    # API says it: null).
    color = models.CharField(  # noqa: DJ001
        max_length=7, null=True, blank=True, validators=[COLOR]
    )
    position = PositionField(max_length=255, editable=False)
    # Every user has one: where a task created without a list goes. It can be
    # renamed, never archived or deleted.
    is_inbox = models.BooleanField(default=False, editable=False)
    # Archived: read-only, and out of the task list unless asked for.
    archived_at = models.DateTimeField(null=True, blank=True, editable=False)
    # In the trash since (with its tasks), or None.
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TaskListQuerySet.as_manager()

    # Set on lists read with TaskListQuerySet.with_counts(), not columns.
    task_count: int
    open_task_count: int

    class Meta:
        ordering = ["position", "id"]
        indexes = [
            models.Index(
                fields=["owner", "position", "id"], name="list_owner_position_idx"
            ),
            models.Index(fields=["owner", "change_seq"], name="list_owner_seq_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["owner"],
                condition=Q(is_inbox=True),
                name="list_one_inbox_per_owner",
                violation_error_message="A user has one inbox.",
            ),
            models.CheckConstraint(
                condition=Q(is_inbox=False)
                | Q(archived_at__isnull=True, deleted_at__isnull=True),
                name="list_inbox_stays",
                violation_error_message="The inbox is never archived or trashed.",
            ),
            models.CheckConstraint(
                condition=GreaterThan(Length(Trim(whitespace_as_spaces("name"))), 0),
                name="list_name_not_blank",
                violation_error_message="A list's name may not be blank.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if self._state.adding and not self.position:  # last, after the others
            self.position = TaskList.objects.position_after_last(self.owner_id)
        super().save(*args, **kwargs)

    @property
    def archived(self) -> bool:
        return self.archived_at is not None

    def count_tasks(self) -> None:
        """Reads what with_counts() would have: task_count, open_task_count."""
        counts = TaskList.objects.filter(pk=self.pk).with_counts()
        row = counts.values("task_count", "open_task_count").get()
        self.task_count, self.open_task_count = (
            row["task_count"],
            row["open_task_count"],
        )

    @classmethod
    def kind(cls) -> str:
        return "list"

    @classmethod
    def deleting(cls, pks: list[int], using: str) -> None:
        # Their tasks go with them, each leaving a tombstone in the feed (the
        # database's cascade would delete them without one).
        task: Any = cls._meta.get_field("tasks").related_model
        task._default_manager.using(using).filter(list__in=pks).delete()


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="tasks.inbox")
def account_made(sender, instance, created, raw, using, **kwargs) -> None:
    """Every account starts with its inbox (from here, so that the users app
    knows nothing of tasks)."""
    if created and not raw:
        TaskList.objects.db_manager(using).inbox_of(instance.pk)
