"""The caller's trash."""

from typing import cast

from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins

from api.viewsets import ScopedGenericViewSet

from .. import examples
from ..models import Task, TaskQuerySet
from ..serializers import (
    TrashedTaskSerializer,
)


@extend_schema_view(
    list=extend_schema(
        summary="List the tasks in your trash, latest first",
        examples=examples.A_TRASHED_TASK,
    ),
    retrieve=extend_schema(
        summary="Get one task in your trash", examples=examples.A_TRASHED_TASK
    ),
    destroy=extend_schema(summary="Delete a task in your trash for good"),
)
@extend_schema(tags=["trash"])
class TrashViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    ScopedGenericViewSet,
):
    """The caller's trashed tasks, until restored or purged after TRASH_DAYS days."""

    queryset = Task.objects.none()
    serializer_class = TrashedTaskSerializer

    def rows_for(self, user):
        tasks = cast(TaskQuerySet, super().rows_for(user))
        trashed = tasks.trashed().for_answers()
        return trashed.order_by("-deleted_at", "-id")
