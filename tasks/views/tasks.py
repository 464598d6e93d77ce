"""The caller's tasks: list, create, change, complete, bulk."""

from typing import cast

from django.conf import settings
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from api.conditional import ConditionalMixin
from api.schema import NON_BLANK_TEXT
from api.viewsets import ScopedModelViewSet

from .. import bulk, examples
from ..filters import BooleanFilter, TaskFilter
from ..models import TAG_NAME_MAX_LENGTH, TAGS_PER_TASK, Task, TaskQuerySet
from ..serializers import TaskSerializer
from ..speedups import lists


@extend_schema_view(
    list=extend_schema(
        summary="List your tasks",
        examples=examples.A_TASK,
        # A filter's help text is lost behind a schema of its own.
        parameters=[
            OpenApiParameter(name, bool, description=filter_.extra["help_text"])
            for name, filter_ in TaskFilter.base_filters.items()
            if isinstance(filter_, BooleanFilter)
        ]
        + [
            OpenApiParameter(
                "tag",
                {
                    "type": "array",
                    "items": {
                        "type": "string",
                        "maxLength": TAG_NAME_MAX_LENGTH,
                        "pattern": NON_BLANK_TEXT,
                    },
                    "maxItems": TAGS_PER_TASK,
                },
                explode=True,
                description=TaskFilter.base_filters["tag"].extra["help_text"],
            )
        ],
    ),
    create=extend_schema(summary="Create a task", examples=examples.CREATE),
    retrieve=extend_schema(summary="Get one of your tasks", examples=examples.A_TASK),
    update=extend_schema(
        summary="Replace one of your tasks", examples=examples.REPLACE
    ),
    partial_update=extend_schema(
        summary="Change some fields of one of your tasks", examples=examples.PATCH
    ),
    destroy=extend_schema(summary="Delete one of your tasks"),
)
@extend_schema(tags=["tasks"])
class TaskViewSet(ScopedModelViewSet):
    """The caller's tasks; another user's task answers 404, like a missing one."""

    etag_actions = ConditionalMixin.etag_actions | {"complete", "reopen", "restore"}
    write_conflicts = True  # a deadline the task already has: 409 (the schema)

    queryset = Task.objects.none()
    serializer_class = TaskSerializer
    filterset_class = TaskFilter

    def rows_for(self, user):
        """The live tasks `user` may reach, with their tag names."""
        return self._with_trash(user).alive()

    def _with_trash(self, user):
        return cast(TaskQuerySet, super().rows_for(user)).with_tag_names()

    def list(self, request, *args, **kwargs) -> Response:
        if settings.API_OPTIMIZATIONS:
            return lists.respond(self, request)
        return super().list(request, *args, **kwargs)

    def filter_queryset(self, queryset):
        # Without parameters the filters would change nothing, but building and
        # validating their form is a measurable part of a list request.
        if not self.request.query_params:
            return queryset
        return super().filter_queryset(queryset)

    def perform_create(self, serializer: BaseSerializer) -> None:
        serializer.save(owner=self.request.user)

    def perform_destroy(self, instance: Task) -> None:
        # To the trash: GET /trash/ lists it, POST .../restore/ brings it back.
        instance.move_to_trash()

    @extend_schema(
        summary="Complete one of your tasks",
        description="Safe to retry: completing a completed task changes nothing "
        "and keeps its first completed_at.",
        request=None,
        examples=examples.A_COMPLETED_TASK,
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None) -> Response:
        return self._set_completed(True)

    @extend_schema(
        summary="Reopen one of your tasks",
        description="Safe to retry: reopening an open task changes nothing.",
        request=None,
        examples=examples.A_TASK,
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None) -> Response:
        return self._set_completed(False)

    @extend_schema(
        summary="Bring one of your tasks back from the trash",
        description="Safe to retry: restoring a task that is not in the trash "
        "changes nothing.",
        request=None,
        examples=examples.A_TASK,
    )
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None) -> Response:
        # The one task action that also finds trashed tasks.
        task = get_object_or_404(self._with_trash(request.user), pk=pk)
        task.restore()
        return Response(self.get_serializer(task).data)

    @extend_schema(
        summary="Apply up to 100 operations to your tasks at once",
        description="Operations: create (data), update (id, data: only the fields "
        "sent change), complete, reopen, delete (id). Every id must be one of your "
        "tasks outside the trash, or the answer is 404 and nothing changes. Atomic "
        "by default: one invalid operation is a 400 (409 when every error is a "
        "clash with stored data) naming each bad one by position "
        '("operations.2.title"), and nothing changes; with "atomic": false each '
        "operation reports its own status.",
        request=bulk.BulkSchemaSerializer,
        responses={200: bulk.BulkResponseSerializer},
        examples=examples.BULK,
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request) -> Response:
        envelope = bulk.BulkSerializer(data=request.data)
        envelope.is_valid(raise_exception=True)
        results = bulk.run(
            request.user,
            envelope.validated_data["operations"],
            envelope.validated_data["atomic"],
            self.get_serializer_context(),
        )
        return Response({"results": results})

    def _set_completed(self, completed: bool) -> Response:
        task = self.get_object()
        task.set_completed(completed)
        return Response(self.get_serializer(task).data)

    def get_success_headers(self, data) -> dict[str, str]:
        # The detail path is the list path (where tasks are created) plus the
        # id: reverse() would resolve the same from the URL patterns, slower.
        path = f"{self.request.path}{data['id']}/"
        return {"Location": self.request.build_absolute_uri(path)}
