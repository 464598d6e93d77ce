from typing import cast

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.db.models.functions import Lower
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from todo_project.schema import ErrorSerializer
from todo_project.transactions import AtomicWritesMixin
from users.models import User

from . import bulk, examples, list_cache, sync, transfer
from .filters import BooleanFilter, TaskFilter
from .models import Tag, Task
from .serializers import (
    LIST_FIELDS,
    TagExportSerializer,
    TagSerializer,
    TaskSerializer,
    TaskTransferSerializer,
    TrashedTaskSerializer,
    task_rows,
)


@extend_schema_view(
    list=extend_schema(
        summary="List your tasks",
        # A filter's help text is lost behind a schema of its own.
        parameters=[
            OpenApiParameter(name, bool, description=filter_.extra["help_text"])
            for name, filter_ in TaskFilter.base_filters.items()
            if isinstance(filter_, BooleanFilter)
        ]
        + [
            OpenApiParameter(
                "tag",
                str,
                many=True,
                explode=True,
                description=TaskFilter.base_filters["tag"].extra["help_text"],
            )
        ],
    ),
    create=extend_schema(summary="Create a task", examples=examples.CREATE),
    retrieve=extend_schema(summary="Get one of your tasks"),
    update=extend_schema(summary="Replace one of your tasks"),
    partial_update=extend_schema(
        summary="Change some fields of one of your tasks", examples=examples.PATCH
    ),
    destroy=extend_schema(summary="Delete one of your tasks"),
)
@extend_schema(tags=["tasks"])
class TaskViewSet(AtomicWritesMixin, viewsets.ModelViewSet):
    """The caller's tasks; another user's task answers 404, like a missing one."""

    # Closed by default: every row reaches a client through get_queryset() below.
    queryset = Task.objects.none()
    serializer_class = TaskSerializer
    filterset_class = TaskFilter

    def get_queryset(self):
        return self._own_tasks().alive()

    def _own_tasks(self):
        """All of the caller's tasks, the trash included: where tasks are scoped."""
        return self.request.user.tasks.with_tag_names()

    def list(self, request, *args, **kwargs) -> Response:
        # Only the default view (no parameters) is cached: it is what clients
        # load most, and one entry per user keeps invalidation simple.
        if not list_cache.enabled() or request.query_params:
            return self._list_page(request)
        origin = f"{request.scheme}://{request.get_host()}"  # in the page's links
        page, generations = list_cache.cached(request.user.pk, origin)
        if page is not None:
            return Response(page)
        response = self._list_page(request)
        list_cache.store(request.user.pk, origin, generations, response.data)
        return response

    def _list_page(self, request) -> Response:
        # Rows as dicts, formatted as the serializer would (see task_rows).
        rows = self.filter_queryset(self.get_queryset()).values(*LIST_FIELDS)
        page = self.paginate_queryset(rows)
        if page is None:  # pagination switched off
            return Response(task_rows(rows))
        return self.get_paginated_response(task_rows(page))

    def filter_queryset(self, queryset):
        # Without parameters the filters would change nothing, but building and
        # validating their form is a measurable part of a list request.
        if not self.request.query_params:
            return queryset
        return super().filter_queryset(queryset)

    def perform_create(self, serializer: BaseSerializer) -> None:
        serializer.save(owner=self.request.user)
        list_cache.changed(self.request.user.pk)

    def perform_update(self, serializer: BaseSerializer) -> None:
        serializer.save()
        list_cache.changed(self.request.user.pk)

    def perform_destroy(self, instance: Task) -> None:
        # To the trash: GET /trash/ lists it, POST .../restore/ brings it back.
        instance.move_to_trash()
        list_cache.changed(self.request.user.pk)

    @extend_schema(
        summary="Complete one of your tasks",
        description="Safe to retry: completing a completed task changes nothing "
        "and keeps its first completed_at.",
        request=None,
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None) -> Response:
        return self._set_completed(True)

    @extend_schema(
        summary="Reopen one of your tasks",
        description="Safe to retry: reopening an open task changes nothing.",
        request=None,
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None) -> Response:
        return self._set_completed(False)

    @extend_schema(
        summary="Bring one of your tasks back from the trash",
        description="Safe to retry: restoring a task that is not in the trash "
        "changes nothing.",
        request=None,
    )
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None) -> Response:
        # The one task action that also finds trashed tasks.
        task = get_object_or_404(self._own_tasks(), pk=pk)
        if task.restore():
            list_cache.changed(self.request.user.pk)
        return Response(self.get_serializer(task).data)

    @extend_schema(
        summary="Apply up to 100 operations to your tasks at once",
        description="Operations: create (data), update (id, data: only the fields "
        "sent change), complete, reopen, delete (id). Every id must be one of your "
        "tasks outside the trash, or the answer is 404 and nothing changes. Atomic "
        "by default: one invalid operation is a 400 with each invalid one's errors "
        'under "operations", keyed by position, and nothing changes; with '
        '"atomic": false each operation '
        "reports its own status.",
        request=bulk.BulkSerializer,
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
        list_cache.changed(request.user.pk)
        return Response({"results": results})

    def _set_completed(self, completed: bool) -> Response:
        task = self.get_object()
        if task.set_completed(completed):
            list_cache.changed(self.request.user.pk)
        return Response(self.get_serializer(task).data)

    def get_success_headers(self, data) -> dict[str, str]:
        return {
            "Location": reverse("task-detail", args=[data["id"]], request=self.request)
        }


@extend_schema_view(
    list=extend_schema(summary="List your tags, with how many tasks carry each"),
    create=extend_schema(summary="Create a tag"),
    retrieve=extend_schema(summary="Get one of your tags"),
    update=extend_schema(summary="Rename one of your tags"),
    partial_update=extend_schema(
        summary="Rename one of your tags", examples=examples.TAG_RENAME
    ),
    destroy=extend_schema(summary="Delete a tag (its tasks stay, without it)"),
)
@extend_schema(tags=["tags"])
class TagViewSet(AtomicWritesMixin, viewsets.ModelViewSet):
    """The caller's tags; another user's tag answers 404, like a missing one."""

    queryset = Tag.objects.none()
    serializer_class = TagSerializer
    pagination_class = None  # a user has a handful of tags, not pages of them

    def get_queryset(self):
        # Meta.ordering does not apply to a query that aggregates.
        tags = self.request.user.tags.annotate(
            task_count=Count("tasks", filter=Q(tasks__deleted_at__isnull=True))
        )
        return tags.order_by(Lower("name"), "id")

    def perform_create(self, serializer: BaseSerializer) -> None:
        tag = _save_tag(serializer, owner=self.request.user)
        tag.task_count = 0

    def perform_update(self, serializer: BaseSerializer) -> None:
        _save_tag(serializer)
        list_cache.changed(self.request.user.pk)  # the tasks show the new name

    def perform_destroy(self, instance: Tag) -> None:
        instance.delete()
        list_cache.changed(self.request.user.pk)


def _save_tag(serializer: BaseSerializer, **fields) -> Tag:
    # The serializer checks the name first; a concurrent request may still take
    # it in between, and the unique constraint then decides: 400, not 500.
    try:
        with transaction.atomic():
            return serializer.save(**fields)
    except IntegrityError:
        raise serializers.ValidationError(
            {"name": ["You already have a tag with this name."]}
        ) from None


@extend_schema_view(
    list=extend_schema(summary="List the tasks in your trash, latest first"),
    retrieve=extend_schema(summary="Get one task in your trash"),
    destroy=extend_schema(summary="Delete a task in your trash for good"),
)
@extend_schema(tags=["trash"])
class TrashViewSet(
    AtomicWritesMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The caller's trashed tasks, until restored or purged after TRASH_DAYS days."""

    queryset = Task.objects.none()
    serializer_class = TrashedTaskSerializer

    def get_queryset(self):
        trashed = self.request.user.tasks.trashed().with_tag_names()
        return trashed.order_by("-deleted_at", "-id")


class ExportSerializer(serializers.Serializer):
    """The schema of an export (what import_tasks reads)."""

    version = serializers.IntegerField()
    exported_at = serializers.DateTimeField()
    tasks = TaskTransferSerializer(many=True)
    tags = TagExportSerializer(many=True)


@extend_schema(tags=["export"])
class ExportView(APIView):
    """All of the caller's data: every task (the trash included) and every tag."""

    @extend_schema(
        summary="Export all your data",
        description="One JSON document with every task (trashed ones carry "
        "deleted_at) and every tag, with or without tasks. `manage.py import_tasks "
        "FILE --user NAME` reads it back.",
        responses={200: ExportSerializer},
        examples=examples.EXPORT,
    )
    def get(self, request) -> Response:
        user = cast(User, request.user)  # IsAuthenticated: never anonymous here
        # Through the user's own related managers, as every view scopes.
        tasks = user.tasks.with_tag_names()
        tags = user.tags.order_by(Lower("name"), "id")
        document = {
            "version": transfer.VERSION,
            "exported_at": timezone.now(),
            "tasks": TaskTransferSerializer(
                tasks.order_by("created_at", "id"), many=True
            ).data,
            "tags": TagExportSerializer(tags, many=True).data,
        }
        filename = f"todo-export-{timezone.now():%Y-%m-%d}.json"
        return Response(
            document,
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )


@extend_schema(tags=["sync"])
class SyncView(AtomicWritesMixin, APIView):
    """Every change to the caller's tasks and tags since a cursor, oldest first."""

    # Its parameters are checked (a bad limit is a 400, documented as such).
    query_serializer_class = sync.SyncQuerySerializer

    @extend_schema(
        summary="Changes to your tasks and tags since a cursor",
        description="In the order they committed; deletions (and tasks moved to the "
        "trash) come as entries with deleted=true. Without a cursor: everything. "
        "Keep the returned cursor and send it next time; while has_more is true, "
        "ask again at once. A client that applies every entry in order (replace "
        "the task or tag, or remove it when deleted) holds exactly the server's "
        "live tasks and tags.",
        parameters=[query_serializer_class],
        responses={
            200: sync.SyncPageSerializer,
            410: OpenApiResponse(
                ErrorSerializer,
                description="The cursor is invalid or too old to follow: "
                "sync again from scratch, without a cursor.",
            ),
        },
        examples=examples.SYNC,
    )
    def get(self, request) -> Response:
        query = self.query_serializer_class(data=request.query_params)
        query.is_valid(raise_exception=True)
        user = cast(User, request.user)  # IsAuthenticated: never anonymous here
        cursor = query.validated_data.get("cursor")
        after = sync.decode(user, cursor) if cursor else sync.START
        changes, last, more = sync.changes(user, after, query.validated_data["limit"])
        return Response(
            {"changes": changes, "cursor": sync.encode(user, last), "has_more": more}
        )
