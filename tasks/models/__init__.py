"""The tasks app's models, one module per resource."""

from .sync import SYNC_HISTORY_DAYS, ChangeClock, Tombstone
from .tag import TAG_NAME_MAX_LENGTH, Tag
from .task import (
    DESCRIPTION_MAX_LENGTH,
    TAGS_PER_TASK,
    TITLE_MAX_LENGTH,
    TRASH_DAYS,
    Priority,
    Task,
    TaskQuerySet,
    bulk_create_keeping_timestamps,
    due_by,
)

__all__ = [
    "DESCRIPTION_MAX_LENGTH",
    "SYNC_HISTORY_DAYS",
    "TAGS_PER_TASK",
    "TAG_NAME_MAX_LENGTH",
    "TITLE_MAX_LENGTH",
    "TRASH_DAYS",
    "ChangeClock",
    "Priority",
    "Tag",
    "Task",
    "TaskQuerySet",
    "Tombstone",
    "bulk_create_keeping_timestamps",
    "due_by",
]
