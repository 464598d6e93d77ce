"""The tasks app's API views, one module per resource."""

from .export import ExportView
from .lists import TaskListViewSet
from .sync import SyncView
from .tags import TagViewSet
from .tasks import TaskViewSet
from .trash import TrashViewSet

__all__ = [
    "ExportView",
    "SyncView",
    "TagViewSet",
    "TaskListViewSet",
    "TaskViewSet",
    "TrashViewSet",
]
