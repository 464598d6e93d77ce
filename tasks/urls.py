from django.urls import path
from rest_framework.routers import DefaultRouter

from .views import (
    ExportView,
    SyncView,
    TagViewSet,
    TaskListViewSet,
    TaskViewSet,
    TrashViewSet,
)


class Router(DefaultRouter):
    """The API root (GET /api/v1/) for the browsable API; no ".json" suffix routes."""

    include_format_suffixes = False


router = Router()
router.register("tasks", TaskViewSet, basename="task")
router.register("lists", TaskListViewSet, basename="list")
router.register("tags", TagViewSet, basename="tag")
router.register("trash", TrashViewSet, basename="trash")

urlpatterns = [
    path("export/", ExportView.as_view(), name="export"),
    path("sync/", SyncView.as_view(), name="sync"),
    *router.urls,
]
