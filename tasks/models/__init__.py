"""The tasks app's models, one module per resource."""

from .sync import SYNC_HISTORY_DAYS, ChangeClock, Tombstone
from .tag import TAG_NAME_MAX_LENGTH, Tag
from .task import (
    CHILDREN_PER_TASK,
    DESCRIPTION_MAX_LENGTH,
    MAX_DEPTH,
    TAGS_PER_TASK,
    TITLE_MAX_LENGTH,
    TRASH_DAYS,
    Priority,
    Task,
    TaskQuerySet,
    bulk_create_keeping_timestamps,
    due_by,
)
from .tasklist import (
    COLOR,
    INBOX_NAME,
    LIST_NAME_MAX_LENGTH,
    LISTS_PER_USER,
    TASKS_PER_LIST,
    TaskList,
    TaskListQuerySet,
)

__all__ = [
    "CHILDREN_PER_TASK",
    "COLOR",
    "DESCRIPTION_MAX_LENGTH",
    "INBOX_NAME",
    "LISTS_PER_USER",
    "LIST_NAME_MAX_LENGTH",
    "MAX_DEPTH",
    "SYNC_HISTORY_DAYS",
    "TAGS_PER_TASK",
    "TAG_NAME_MAX_LENGTH",
    "TASKS_PER_LIST",
    "TITLE_MAX_LENGTH",
    "TRASH_DAYS",
    "ChangeClock",
    "Priority",
    "Tag",
    "Task",
    "TaskList",
    "TaskListQuerySet",
    "TaskQuerySet",
    "Tombstone",
    "bulk_create_keeping_timestamps",
    "due_by",
]
