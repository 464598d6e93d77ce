"""The caller's task lists: create, rename, reorder, archive, trash."""

from typing import cast

from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from api.conditional import ConditionalMixin
from api.fields import IdField
from api.viewsets import ScopedModelViewSet

from .. import examples, services
from ..filters import TaskListFilter
from ..models import TRASH_DAYS, TaskList, TaskListQuerySet
from ..serializers import TaskListSerializer
from ..speedups import task_lists


class ListMoveSerializer(serializers.Serializer):
    after = IdField(
        allow_null=True,
        help_text="The list to put it after; null puts it first.",
    )


@extend_schema_view(
    list=extend_schema(
        summary="List your lists in your order",
        description="Archived lists only with ?archived=true.",
        examples=examples.A_LIST,
    ),
    create=extend_schema(
        summary="Create a list (last in your order)", examples=examples.LIST_CREATE
    ),
    retrieve=extend_schema(summary="Get one of your lists", examples=examples.A_LIST),
    update=extend_schema(
        summary="Replace one of your lists", examples=examples.LIST_CHANGE
    ),
    partial_update=extend_schema(
        summary="Rename or recolour one of your lists", examples=examples.LIST_CHANGE
    ),
    destroy=extend_schema(
        summary="Move a list and its tasks to the trash",
        description="They come back together with POST .../restore/; purged "
        f"after {TRASH_DAYS} days. The inbox cannot be deleted (409).",
    ),
)
@extend_schema(tags=["lists"])
class TaskListViewSet(ScopedModelViewSet):
    """The caller's lists; another user's list answers 404, like a missing one."""

    etag_actions = ConditionalMixin.etag_actions | {"archive", "unarchive", "move"}
    queryset = TaskList.objects.none()
    serializer_class = TaskListSerializer
    filterset_class = TaskListFilter
    write_conflicts = True  # past the number of lists an account may hold
    state_conflicts = (
        "The list is archived (unarchive it first), or the inbox, which is "
        "never archived or deleted: code conflict."
    )

    def rows_for(self, user):
        """The lists outside the trash `user` may reach, with their counts."""
        return cast(TaskListQuerySet, super().rows_for(user)).alive().with_counts()

    def filter_queryset(self, queryset):
        # Archived lists only when asked for (?archived=true).
        params = self.request.query_params
        if self.action == "list" and "archived" not in params:
            queryset = queryset.filter(archived_at__isnull=True)
        # Without parameters the filters would change nothing, but building
        # and validating their form costs a tenth of the request.
        return super().filter_queryset(queryset) if params else queryset

    def list(self, request, *args, **kwargs) -> Response:
        if settings.API_OPTIMIZATIONS:
            return task_lists.respond(
                self, request, lambda: super(TaskListViewSet, self).list(request)
            )
        return super().list(request, *args, **kwargs)

    def perform_create(self, serializer: BaseSerializer) -> None:
        user = self.request.user
        position = services.place_new_list(user=user)
        list_ = serializer.save(owner=user, position=position)
        list_.task_count = list_.open_task_count = 0

    def perform_update(self, serializer: BaseSerializer) -> None:
        services.ensure_writable(cast(TaskList, serializer.instance))
        serializer.save()

    def perform_destroy(self, instance: TaskList) -> None:
        services.trash_list(user=self.request.user, task_list=instance)

    @extend_schema(
        summary="Archive a list: it and its tasks become read-only",
        description="Safe to retry. Its tasks leave GET /tasks/ unless asked "
        "for with ?list=; they stay in the sync feed and the export.",
        request=None,
        examples=examples.A_LIST,
    )
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None) -> Response:
        return self._archive(True)

    @extend_schema(
        summary="Unarchive a list",
        description="Safe to retry.",
        request=None,
        examples=examples.A_LIST,
    )
    @action(detail=True, methods=["post"])
    def unarchive(self, request, pk=None) -> Response:
        return self._archive(False)

    @extend_schema(
        summary="Put a list after another one, or first",
        request=ListMoveSerializer,
        examples=examples.LIST_MOVE,
    )
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None) -> Response:
        task_list = self.get_object()
        body = ListMoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.move_list(
            user=request.user, task_list=task_list, after=body.validated_data["after"]
        )
        return Response(self.get_serializer(task_list).data)

    @extend_schema(
        summary="Bring a list back from the trash, with the tasks trashed with it",
        description="Safe to retry: restoring a list that is not in the trash "
        "changes nothing.",
        request=None,
        examples=examples.A_LIST,
    )
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None) -> Response:
        # The one list action that also finds trashed lists.
        lists = cast(TaskListQuerySet, super().rows_for(request.user)).with_counts()
        task_list = get_object_or_404(lists, pk=pk)
        services.restore_list(user=request.user, task_list=task_list)
        task_list.count_tasks()
        return Response(self.get_serializer(task_list).data)

    def _archive(self, archived: bool) -> Response:
        task_list = self.get_object()
        services.archive_list(task_list=task_list, archived=archived)
        return Response(self.get_serializer(task_list).data)
