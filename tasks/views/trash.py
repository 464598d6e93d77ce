"""The caller's trash: tasks, and lists with the tasks trashed with them."""

from typing import cast

from django.db.models import CharField, F, Value
from drf_spectacular.utils import (
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins
from rest_framework.response import Response

from api.viewsets import ScopedGenericViewSet

from .. import examples
from ..models import Task, TaskList, TaskQuerySet
from ..serializers import TrashedListSerializer, TrashedTaskSerializer

TRASH_ITEM = PolymorphicProxySerializer(
    component_name="TrashItem",
    serializers={"task": TrashedTaskSerializer, "list": TrashedListSerializer},
    resource_type_field_name="type",
)


@extend_schema_view(
    list=extend_schema(
        summary="List what is in your trash, latest first",
        description='Tasks ("type": "task") and lists ("type": "list"); a list\'s '
        "tasks trashed with it are not listed apart: they come back with it "
        "(POST /api/v1/lists/{id}/restore/).",
        responses=TRASH_ITEM,
        examples=examples.TRASH_PAGE,
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
    """The caller's trashed tasks and lists, until restored or purged after
    TRASH_DAYS days. A task trashed with its list is inside the list's entry."""

    queryset = Task.objects.none()
    serializer_class = TrashedTaskSerializer

    def rows_for(self, user):
        tasks = cast(TaskQuerySet, super().rows_for(user))
        trashed = tasks.trashed().filter(list__deleted_at__isnull=True)
        return trashed.for_answers().order_by("-deleted_at", "-id")

    def list(self, request, *args, **kwargs) -> Response:
        # One page of (deleted_at, id, type) over both tables, then the rows.
        def entries(rows, kind: str):
            return rows.order_by().values_list(
                "deleted_at", "id", Value(kind, output_field=CharField())
            )

        lists = TaskList.objects.readable_by(request.user).trashed()
        merged = entries(self.get_queryset(), "task").union(entries(lists, "list"))
        ordered = merged.order_by(F("deleted_at").desc(), "-id")
        page = self.paginate_queryset(ordered)
        paged = page is not None
        if page is None:  # paging switched off
            page = list(ordered)
        wanted = {
            kind: [pk for _, pk, k in page if k == kind] for kind in ("task", "list")
        }
        found = {
            "task": self.get_queryset().in_bulk(wanted["task"]),
            "list": lists.with_counts().in_bulk(wanted["list"]),
        }
        makers = {"task": TrashedTaskSerializer, "list": TrashedListSerializer}
        context = self.get_serializer_context()
        rows = [
            {"type": kind, **makers[kind](found[kind][pk], context=context).data}
            for _, pk, kind in page
        ]
        return self.get_paginated_response(rows) if paged else Response(rows)
