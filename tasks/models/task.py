import builtins
import functools
import operator
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import models, router, transaction
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce, Length, Trim
from django.db.models.lookups import GreaterThan
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.utils import timezone

from api.access import access_rule

from .. import positions
from .expressions import JSONGroupArray, whitespace_as_spaces
from .fields import PositionField
from .sync import SyncedModel, SyncedQuerySet
from .tag import Tag
from .tasklist import TaskList

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 1000
TAGS_PER_TASK = 20
# Subtasks nest at most this deep (a top-level task is level 1).
MAX_DEPTH = 4
CHILDREN_PER_TASK = 1_000
# A task's ancestors as paths from it: its parent's id, its grandparent's, ...
ANCESTOR_PATHS = ["parent__" * level + "parent_id" for level in range(MAX_DEPTH - 1)]


def below(task_id: int) -> builtins.list[models.Q]:
    """One condition per level under a task: its subtasks, theirs, ..."""
    return [
        models.Q(**{"parent__" * level + "parent": task_id})
        for level in range(MAX_DEPTH - 1)
    ]


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

    def with_subtask_counts(self):
        """Each task's subtasks outside the trash, as `open_subtasks` and
        `all_subtasks`, read in the task's own query."""
        return self.annotate(
            open_subtasks=_subtask_count(completed=False), all_subtasks=_subtask_count()
        )

    def for_answers(self):
        """What a task's answer shows beyond its columns."""
        return self.with_tag_names().with_subtask_counts()

    def bulk_create(self, objs, *args, **kwargs):
        # As save() does for one: no list, the inbox; no position, the end.
        objs = builtins.list(objs)
        lists = TaskList.objects.db_manager(self.db)
        inboxes: dict[int, TaskList] = {}
        for task in objs:
            if task.list_id is None:
                if task.owner_id not in inboxes:
                    inboxes[task.owner_id] = lists.inbox_of(task.owner_id)
                task.list = inboxes[task.owner_id]
        last: dict[tuple[int, int | None], str | None] = {}
        for task in objs:
            if not task.position:
                group = (task.list_id, task.parent_id)
                if group not in last:
                    last[group] = self.last_position(*group)
                task.position = last[group] = positions.key_between(last[group], None)
        return super().bulk_create(objs, *args, **kwargs)

    def last_position(self, list_id: int, parent_id: int | None) -> str | None:
        """The last key of a group of siblings (trashed ones too: they keep
        theirs for when they come back)."""
        siblings = self.filter(list_id=list_id, parent_id=parent_id)
        return siblings.aggregate(last=models.Max("position"))["last"]

    def position_after_last(self, list_id: int, parent_id: int | None) -> str:
        return positions.key_between(self.last_position(list_id, parent_id), None)

    def subtree_of(self, task: "Task"):
        """The task and every subtask below it (MAX_DEPTH levels at most), as
        they are now: in its list. The list and owner narrow the scan to the
        list's rows (an index); the joins alone would read the whole table."""
        tree = functools.reduce(operator.or_, below(task.pk), models.Q(pk=task.pk))
        return self.filter(tree, list_id=task.list_id, owner_id=task.owner_id)

    def alive(self):
        """Tasks not in the trash: what every list, detail and count shows."""
        return self.filter(deleted_at__isnull=True)

    def trashed(self):
        return self.filter(deleted_at__isnull=False)

    def open(self):
        return self.filter(completed=False)

    def done(self):
        return self.filter(completed=True)

    def mark_completed(self, owner_id: int | None = None) -> int:
        """Complete the open tasks among these in one UPDATE; returns how many.
        With `owner_id`, the one owner they all have (no query to find it).

        Tasks already completed keep their first completion time.
        """
        now = timezone.now()
        return self.open()._write(
            owner_id, completed=True, completed_at=now, updated_at=now
        )

    def mark_open(self, owner_id: int | None = None) -> int:
        """Reopen the completed tasks among these in one UPDATE; returns how many."""
        return self.done()._write(
            owner_id, completed=False, completed_at=None, updated_at=timezone.now()
        )

    def _write(self, owner_id: int | None, **fields) -> int:
        if owner_id is None:
            return self.update(**fields)
        return self.update_owned(owner_id, **fields)


@functools.cache
def _subtask_counts() -> dict[bool | None, Subquery]:
    children = Task._base_manager.filter(parent=OuterRef("pk"), deleted_at__isnull=True)
    counts = {}
    for completed in (None, False):
        rows = children if completed is None else children.filter(completed=completed)
        counted = rows.order_by().values("parent").annotate(n=models.Count("pk"))
        counts[completed] = Subquery(counted.values("n"))
    return counts


def _subtask_count(completed: bool | None = None) -> Coalesce:
    return Coalesce(_subtask_counts()[completed], 0)


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
    # Indexed through the (list, position, id) index below.
    list = models.ForeignKey(
        TaskList, on_delete=models.CASCADE, related_name="tasks", db_index=False
    )
    # A subtask's task, in the same list; None at the top level. Indexed
    # through the (parent, position) index below.
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        db_index=False,
    )
    # Among its siblings (the tasks of its list with the same parent).
    position = PositionField(max_length=255, editable=False)
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

    # Set on tasks read with TaskQuerySet.for_answers(), not columns.
    tag_names: builtins.list[str] | None  # `list` is a field here
    open_subtasks: int
    all_subtasks: int

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
            # A list in its manual order.
            models.Index(
                fields=["list", "position", "id"], name="task_list_position_idx"
            ),
            # A task's subtasks in their order.
            models.Index(
                fields=["parent", "position"], name="task_parent_position_idx"
            ),
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
        if self._state.adding and (self.list_id is None or not self.position):
            using = kwargs.get("using") or router.db_for_write(Task, instance=self)
            with transaction.atomic(using=using, savepoint=False):
                self._place(using)
                super().save(*args, **kwargs)
            return
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            if "completed" in update_fields:
                update_fields = {*update_fields, "completed_at"}
            if {"due_at", "due_date"} & set(update_fields):
                update_fields = {*update_fields, "due_by"}
            kwargs["update_fields"] = update_fields
        super().save(*args, **kwargs)

    def _place(self, using: str) -> None:
        """A new task without a list goes to its owner's inbox, and one
        without a position to the end of its siblings."""
        if self.list_id is None:
            self.list = TaskList.objects.db_manager(using).inbox_of(self.owner_id)
        if not self.position:
            tasks = Task.objects.db_manager(using)
            self.position = tasks.position_after_last(self.list_id, self.parent_id)

    # State changes the API and bulk operations share. Each returns
    # whether it changed anything: repeating one is safe and writes nothing.
    # They keep the tree whole: an open task has only open ancestors, a task
    # outside the trash only ancestors outside it. The counts read with
    # for_answers() spare a leaf the query for its subtasks.

    def set_completed(self, completed: bool) -> bool:
        if self.completed == completed:
            return False
        with transaction.atomic(savepoint=False):
            self.completed = completed
            self.save()  # stamps or clears completed_at
            self.completion_changed()
        return True

    def completion_changed(self) -> None:
        """After this task was completed, complete its open subtasks; after it
        was reopened (or made open under a completed task), reopen its
        completed ancestors. Inside the transaction that saved it."""
        tasks = Task.objects.all()
        if self.completed and getattr(self, "open_subtasks", None) != 0:
            below = tasks.subtree_of(self).exclude(pk=self.pk).alive()
            below.mark_completed(self.owner_id)
            self.open_subtasks = 0
        elif not self.completed and self.parent_id is not None:
            tasks.filter(pk__in=self.ancestor_ids()).mark_open(self.owner_id)

    def move_to_trash(self) -> bool:
        if self.deleted_at is not None:
            return False
        with transaction.atomic(savepoint=False):
            self.deleted_at = timezone.now()
            self.save(update_fields=["deleted_at"])
            if getattr(self, "all_subtasks", None) != 0:
                below = Task.objects.subtree_of(self).exclude(pk=self.pk).alive()
                below.update_owned(self.owner_id, deleted_at=self.deleted_at)
        return True

    def restore(self) -> bool:
        """Back from the trash, with the subtasks trashed with it and any
        ancestors in the trash (a subtask is never alive under a trashed task)."""
        if self.deleted_at is None:
            return False
        with transaction.atomic(savepoint=False):
            trashed_at, self.deleted_at = self.deleted_at, None
            self.save(update_fields=["deleted_at"])
            tasks = Task.objects.all()
            below = tasks.subtree_of(self).exclude(pk=self.pk)
            below.filter(deleted_at=trashed_at).update_owned(
                self.owner_id, deleted_at=None
            )
            if self.parent_id is not None:
                above = tasks.filter(pk__in=self.ancestor_ids()).trashed()
                above.update_owned(self.owner_id, deleted_at=None)
        return True

    def count_subtasks(self) -> None:
        """Reads what for_answers() would have: open_subtasks, all_subtasks."""
        counts = Task.objects.filter(pk=self.pk).with_subtask_counts()
        row = counts.values("open_subtasks", "all_subtasks").get()
        self.open_subtasks, self.all_subtasks = (
            row["open_subtasks"],
            row["all_subtasks"],
        )

    def ancestor_ids(self) -> builtins.list[int]:
        """The ids of its parent, its parent's parent, ... (one query)."""
        row = Task._base_manager.filter(pk=self.pk).values_list(*ANCESTOR_PATHS).get()
        return [pk for pk in row if pk is not None]

    @classmethod
    def deleting(cls, pks: builtins.list[int], using: str) -> None:
        # Their subtasks go with them, each leaving a tombstone in the feed
        # (the database's cascade would delete them without one).
        if pks:
            below = cls._default_manager.using(using).filter(parent__in=pks)
            below.exclude(pk__in=pks).delete()


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
