import functools
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Length, Trim
from django.db.models.lookups import GreaterThan
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.utils import timezone

from api.access import access_rule

from .expressions import JSONGroupArray, whitespace_as_spaces
from .sync import SyncedModel, SyncedQuerySet
from .tag import Tag

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 1000
TAGS_PER_TASK = 20
# Days a task stays in the trash before `purge_tasks --trashed-before` removes it.
TRASH_DAYS = 30


@functools.cache
def _tag_names() -> Subquery:
    # Built once: composing it took a tenth of a filtered list request.
    # annotate() resolves a copy of it for each query.
    return Subquery(
        Task.tags.through.objects.filter(task=OuterRef("pk"))
        .values("task")
        .annotate(names=JSONGroupArray("tag__name"))
        .values("names")  # type: ignore[misc]  # django-stubs misses the annotation
    )


class TaskQuerySet(SyncedQuerySet):
    # The access rule (api.access): what a user may read and change. Today a
    # task is its owner's alone.

    @access_rule
    def readable_by(self, user) -> "TaskQuerySet":
        """The tasks `user` may read, the trash included."""
        return self.filter(owner=user)

    @access_rule
    def writable_by(self, user) -> "TaskQuerySet":
        """The tasks `user` may change, the trash included."""
        return self.filter(owner=user)

    def with_tag_names(self):
        """Each task's tag names as `tag_names` (None without tags), read in
        the task's own query rather than one more per task or per page."""
        return self.annotate(tag_names=_tag_names())

    def alive(self):
        """Tasks not in the trash: what every list, detail and count shows."""
        return self.filter(deleted_at__isnull=True)

    def trashed(self):
        return self.filter(deleted_at__isnull=False)

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


class Priority(models.IntegerChoices):
    """Stored as a number so that sorting by it sorts by importance."""

    NONE = 0, "none"
    LOW = 1, "low"
    MEDIUM = 2, "medium"
    HIGH = 3, "high"


class Task(SyncedModel):
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
    # The database's default too, for rows written outside the ORM (COPY).
    priority = models.PositiveSmallIntegerField(
        choices=Priority, default=Priority.NONE, db_default=Priority.NONE
    )
    # A deadline at a moment, or an all-day one on a date; never both.
    due_at = models.DateTimeField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    # When it went to the trash (None: it is not there). Trashed tasks leave
    # every list and count; purge_tasks deletes them for good after TRASH_DAYS.
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The moment either one means (an all-day task is due by the end of its day,
    # UTC): what the due filters and the due ordering compare. Kept by save().
    due_by = models.DateTimeField(null=True, blank=True, editable=False)
    tags = models.ManyToManyField(Tag, related_name="tasks", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TaskQuerySet.as_manager()

    # Set on tasks read with TaskQuerySet.with_tag_names(), not a column.
    tag_names: list[str] | None

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The list query: one user's tasks, newest first.
            models.Index(
                fields=["owner", "-created_at", "-id"], name="task_owner_created_idx"
            ),
            # Due soonest first, and the due filters (overdue, due_before, ...).
            models.Index(fields=["owner", "due_by"], name="task_owner_due_idx"),
            # The change feed: one user's tasks by change number.
            models.Index(fields=["owner", "change_seq"], name="task_owner_seq_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=GreaterThan(Length(Trim(whitespace_as_spaces("title"))), 0),
                name="task_title_not_blank",
                violation_error_message="Title may not be blank.",
            ),
            models.CheckConstraint(
                condition=models.Q(completed=False, completed_at__isnull=True)
                | models.Q(completed=True, completed_at__isnull=False),
                name="task_completed_at_matches_completed",
                violation_error_message="completed_at is set exactly when completed.",
            ),
            models.CheckConstraint(
                condition=models.Q(due_at__isnull=True)
                | models.Q(due_date__isnull=True),
                name="task_due_at_or_due_date",
                violation_error_message="A due time or a due date, never both.",
            ),
            models.CheckConstraint(
                condition=models.Q(priority__in=Priority.values),
                name="task_priority_known",
                violation_error_message="Unknown priority.",
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
        self.due_by = due_by(self.due_at, self.due_date)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            if "completed" in update_fields:
                update_fields = {*update_fields, "completed_at"}
            if {"due_at", "due_date"} & set(update_fields):
                update_fields = {*update_fields, "due_by"}
            kwargs["update_fields"] = update_fields
        super().save(*args, **kwargs)

    # State changes the API and bulk operations share. Each returns
    # whether it changed anything: repeating one is safe and writes nothing.

    def set_completed(self, completed: bool) -> bool:
        if self.completed == completed:
            return False
        self.completed = completed
        self.save()  # stamps or clears completed_at
        return True

    def move_to_trash(self) -> bool:
        if self.deleted_at is not None:
            return False
        self.deleted_at = timezone.now()
        self.save(update_fields=["deleted_at"])
        return True

    def restore(self) -> bool:
        if self.deleted_at is None:
            return False
        self.deleted_at = None
        self.save(update_fields=["deleted_at"])
        return True


def due_by(due_at: datetime | None, due_date: date | None) -> datetime | None:
    """When a task is due: its due time, or the end (UTC) of its due date."""
    if due_at is not None:
        return due_at
    if due_date is None:
        return None
    if due_date == date.max:  # the day after would not exist
        return datetime.combine(due_date, time.max, tzinfo=UTC)
    return datetime.combine(due_date + timedelta(days=1), time.min, tzinfo=UTC)


def bulk_create_keeping_timestamps(tasks: list[Task]) -> list[Task]:
    """bulk_create, but with the tasks' own created_at and updated_at.

    bulk_create stamps auto_now and auto_now_add fields with the current time (on
    the very objects passed in); imports and seeds carry their own history.
    """
    for task in tasks:
        task.due_by = due_by(task.due_at, task.due_date)
    stamps = [(task.created_at, task.updated_at) for task in tasks]
    # One transaction: the rows are inserted and given their own timestamps
    # together, each write taking the owners' next change numbers.
    with transaction.atomic(savepoint=False):
        created = Task.objects.bulk_create(tasks, batch_size=1000)
        for task, (created_at, updated_at) in zip(created, stamps, strict=True):
            task.created_at, task.updated_at = created_at, updated_at
        Task.objects.bulk_update(created, ["created_at", "updated_at"], batch_size=1000)
    return created


@receiver(m2m_changed, sender=Task.tags.through, dispatch_uid="tasks.tag_links")
def tag_links_changed(sender, instance, action, reverse, pk_set, using, **kwargs):
    """Tasks whose tags change show in the change feed again, however the links
    changed (task.tags.set(), tag.tasks.add(), ...)."""
    if not reverse:  # instance is the task
        if action in ("post_add", "post_remove", "post_clear") and pk_set != set():
            instance.touch()
    elif action == "pre_clear":  # instance is a tag, about to lose every task
        instance.tasks.using(using).touch()
    elif action in ("post_add", "post_remove") and pk_set:
        Task.objects.using(using).filter(pk__in=pk_set).touch()
