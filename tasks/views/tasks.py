"""The caller's tasks: list, create, change, complete, bulk."""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from todo_project.compiled_queries import STAND_IN_ID, CompiledQueries
from todo_project.conditional import ConditionalMixin
from todo_project.pagination import CountingPaginator, PageNumberPagination
from todo_project.schema import NON_BLANK_TEXT
from todo_project.transactions import AtomicWritesMixin

from .. import bulk, examples, list_cache
from ..filters import BooleanFilter, TaskFilter
from ..idempotency import IdempotentPostMixin
from ..models import TAG_NAME_MAX_LENGTH, TAGS_PER_TASK, Task
from ..serializers import (
    LIST_FIELDS,
    TaskSerializer,
    task_rows,
)

logger = logging.getLogger(__name__)

# Filters whose SQL depends only on whether they are given and on values from a
# closed set, never on who asks or when: a list filtered by these alone (and
# paged) runs SQL compiled once per combination. A new filter joins only if
# that holds for it; tests compare the two paths on every one listed, and
# CompiledQuery refuses any value but booleans, integers and the owner.
COMPILED_FILTERS = frozenset({"completed", "priority", "has_due", "ordering"})
PAGE_PARAMETERS = frozenset({"page", "page_size"})
_compiled_lists = CompiledQueries(size=256)


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
class TaskViewSet(
    IdempotentPostMixin, ConditionalMixin, AtomicWritesMixin, viewsets.ModelViewSet
):
    """The caller's tasks; another user's task answers 404, like a missing one."""

    etag_actions = ConditionalMixin.etag_actions | {"complete", "reopen", "restore"}
    write_conflicts = True  # a deadline the task already has: 409 (the schema)

    # Closed by default: every row reaches a client through get_queryset() below.
    queryset = Task.objects.none()
    serializer_class = TaskSerializer
    filterset_class = TaskFilter

    def get_queryset(self, owner=None):
        """The live tasks of `owner`, the caller by default."""
        return self._own_tasks(owner).alive()

    def _own_tasks(self, owner=None):
        """All of `owner`'s tasks (the caller's by default), the trash included:
        where tasks are scoped."""
        return (owner or self.request.user).tasks.with_tag_names()

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
        shape = self._compiled_shape(request)
        compiled = _compiled_lists.get(shape) if shape is not None else None
        if compiled is not None:
            # CountingPaginator takes the page from the compiled SQL.
            page = self.paginate_queryset(compiled.bind(request.user.pk))  # type: ignore[arg-type]
            return self.get_paginated_response(task_rows(page))  # type: ignore[arg-type]
        # Rows as dicts, formatted as the serializer would (see task_rows).
        rows = self.filter_queryset(self.get_queryset()).values(*LIST_FIELDS)
        page = self.paginate_queryset(rows)
        if shape is not None:
            # The parameters were valid (or the request would have failed by
            # now): compile the same list for a stand-in owner.
            self._compile(shape)
        if page is None:  # pagination switched off
            return Response(task_rows(rows))
        return self.get_paginated_response(task_rows(page))  # type: ignore[arg-type]

    def _compile(self, shape: tuple) -> None:
        stand_in = self.get_queryset(owner=get_user_model()(pk=STAND_IN_ID))
        rows = self.filter_queryset(stand_in).values(*LIST_FIELDS)
        try:
            compiled = CountingPaginator.compile(rows)
        except ValueError:
            # A filter in COMPILED_FILTERS that does not belong there: the
            # list keeps working through the ORM, and this says why it is slow.
            logger.exception("Could not compile the task list for %s", shape)
            return
        _compiled_lists.add(shape, compiled)

    def _compiled_shape(self, request) -> tuple | None:
        """What makes this list's SQL, if compiled SQL may serve it, else None."""
        paginator = self.paginator
        if not settings.API_OPTIMIZATIONS or not isinstance(
            paginator, PageNumberPagination
        ):
            return None
        parameters = request.query_params
        filters = set(parameters) - PAGE_PARAMETERS
        if not filters <= COMPILED_FILTERS:
            return None
        if parameters.get("page") in paginator.last_page_strings:
            return None  # needs the count before the page
        values = {name: parameters.getlist(name) for name in filters}
        if any(len(given) > 1 for given in values.values()):
            # One value each: endless repeats would make endless shapes.
            return None
        return tuple(sorted((name, given[0]) for name, given in values.items()))

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
        task = get_object_or_404(self._own_tasks(), pk=pk)
        if task.restore():
            list_cache.changed(self.request.user.pk)
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
        list_cache.changed(request.user.pk)
        return Response({"results": results})

    def _set_completed(self, completed: bool) -> Response:
        task = self.get_object()
        if task.set_completed(completed):
            list_cache.changed(self.request.user.pk)
        return Response(self.get_serializer(task).data)

    def get_success_headers(self, data) -> dict[str, str]:
        # The detail path is the list path (where tasks are created) plus the
        # id: reverse() would resolve the same from the URL patterns, slower.
        path = f"{self.request.path}{data['id']}/"
        return {"Location": self.request.build_absolute_uri(path)}
