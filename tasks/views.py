from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.serializers import BaseSerializer

from todo_project.transactions import AtomicWritesMixin

from . import list_cache
from .filters import TaskFilter
from .models import Task
from .serializers import LIST_FIELDS, TaskSerializer, task_rows


@extend_schema_view(
    list=extend_schema(
        summary="List your tasks",
        # The filter's own help text is lost behind its boolean schema.
        parameters=[
            OpenApiParameter(
                "completed",
                bool,
                description="Only completed (true) or only open (false) tasks.",
            )
        ],
    ),
    create=extend_schema(summary="Create a task"),
    retrieve=extend_schema(summary="Get one of your tasks"),
    update=extend_schema(summary="Replace one of your tasks"),
    partial_update=extend_schema(summary="Change some fields of one of your tasks"),
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
        return self.request.user.tasks.all()

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
        instance.delete()
        list_cache.changed(self.request.user.pk)

    def get_success_headers(self, data) -> dict[str, str]:
        return {
            "Location": reverse("task-detail", args=[data["id"]], request=self.request)
        }
