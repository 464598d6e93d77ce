"""The caller's tasks: list, create, change, complete, bulk."""

from typing import cast

from django.conf import settings
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from api.conditional import ConditionalMixin
from api.fields import ID_SCHEMA, IdField
from api.schema import NON_BLANK_TEXT
from api.viewsets import ScopedModelViewSet

from .. import bulk, examples, moves, services
from ..filters import BooleanFilter, TaskFilter
from ..models import TAG_NAME_MAX_LENGTH, TAGS_PER_TASK, Task, TaskList, TaskQuerySet
from ..serializers import TaskSerializer
from ..speedups import lists


class TaskMoveSerializer(serializers.Serializer):
    """Where a task goes; a field left out keeps its value."""

    list = IdField(required=False, help_text="One of your lists.")
    parent = IdField(  # type: ignore[assignment]  # a field, not Field.parent
        required=False,
        allow_null=True,
        help_text="A task in that list to go under; null: the top level. Left "
        "out: its parent, if it stays in its list; else the top level.",
    )
    after = IdField(
        required=False,
        allow_null=True,
        help_text="The sibling to go after; null: first. Left out (and no "
        "before): last among new siblings, or where it is among the same ones.",
    )
    before = IdField(required=False, help_text="The sibling to go before.")


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
                "list",
                ID_SCHEMA,
                description=TaskFilter.base_filters["list"].extra["help_text"],
            )
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

    etag_actions = ConditionalMixin.etag_actions | {
        "complete",
        "reopen",
        "restore",
        "move",
    }
    write_conflicts = True  # a deadline the task already has: 409 (the schema)
    state_conflicts = (
        "The task's list (or the list it would go to) is archived, and its "
        "tasks read-only; or, to restore a task, its list is in the trash."
    )

    queryset = Task.objects.none()
    serializer_class = TaskSerializer
    filterset_class = TaskFilter

    def rows_for(self, user):
        """The live tasks `user` may reach, with their tag names."""
        return self._with_trash(user).alive()

    def _with_trash(self, user):
        tasks = cast(TaskQuerySet, super().rows_for(user)).for_answers()
        if self.request.method not in SAFE_METHODS:
            tasks = tasks.select_related("list")  # is it archived?
        if self._reordering():
            # The task's list locked in the same query: move_task needs no
            # query of its own to lock it (ConditionalMixin's If-Match check
            # locks the task instead, and move_task then locks the list).
            tasks = tasks.select_for_update(of=("list",), no_key=True)
        return tasks

    def _reordering(self) -> bool:
        """A move among the same siblings (no list or parent named)."""
        data = self.request.data if self.action == "move" else None
        return isinstance(data, dict) and not {"list", "parent"} & set(data)

    def get_object(self) -> Task:
        task = super().get_object()
        if self.request.method not in SAFE_METHODS:
            services.ensure_writable(task.list)
        return task

    def list(self, request, *args, **kwargs) -> Response:
        if settings.API_OPTIMIZATIONS:
            response = lists.respond(self, request)
        else:
            response = super().list(request, *args, **kwargs)
        self._named_rows_exist(response)
        return response

    def _named_rows_exist(self, response: Response) -> None:
        """An empty page filtered by a list or a parent the caller does not
        have is a 400, not an empty list (asked only when the page is empty:
        rows on it prove the list is there)."""
        rows = response.data
        if isinstance(rows, dict):  # a page
            rows = rows["results"]
        if rows:
            return
        user, params = self.request.user, self.request.query_params
        if "list" in params:
            found = TaskList.objects.readable_by(user).alive().filter(pk=params["list"])
            if not found.exists():
                raise serializers.ValidationError({"list": ["No such list."]})
        parent = params.get("parent", "none")
        if parent != "none":
            found = Task.objects.readable_by(user).alive().filter(pk=parent)
            if not found.exists():
                raise serializers.ValidationError({"parent": ["No such task."]})

    def filter_queryset(self, queryset):
        # The tasks of archived lists only when their list is asked for.
        if self.action == "list" and "list" not in self.request.query_params:
            queryset = queryset.filter(list__archived_at__isnull=True)
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
        if services.restore_task(user=request.user, task=task):
            task.count_subtasks()  # its subtasks may be back too
        return Response(self.get_serializer(task).data)

    @extend_schema(
        summary="Move a task, with its subtasks, within or between your lists",
        description="A field left out keeps its value. Every id must be one of "
        "yours: another user's or a missing one is a 400 naming the field. "
        "Going under its own subtask, past 4 levels, or into an archived list: "
        "400 or 409 with the reason.",
        request=TaskMoveSerializer,
        examples=examples.TASK_MOVE,
    )
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None) -> Response:
        task = self.get_object()
        body = TaskMoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        locked = "HTTP_IF_MATCH" not in request.META and self._reordering()
        moves.move_task(
            user=request.user,
            task=task,
            locked={task.list_id: task.list} if locked else None,
            **{
                {"list": "list_id", "parent": "parent_id"}.get(name, name): value
                for name, value in body.validated_data.items()
            },
        )
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
