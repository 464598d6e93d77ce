"""All of the caller's data in one document."""

from typing import cast

from django.db.models.functions import Lower
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from api.viewsets import ScopedAPIView
from users.models import User

from .. import examples, transfer
from ..models import Tag
from ..serializers import TagExportSerializer


class ExportSerializer(serializers.Serializer):
    """The schema of an export (what import_tasks reads; tasks/transfer.py has
    the format)."""

    version = serializers.IntegerField()
    exported_at = serializers.DateTimeField()
    lists = transfer.ListTransferSerializer(
        many=True, help_text="Your lists in your order, keyed 1, 2, ... in it."
    )
    tasks = transfer.PlacedTaskTransferSerializer(
        many=True,
        help_text="Your tasks list by list, each followed by its subtasks; "
        "siblings in your order. Keyed 1, 2, ... in this order.",
    )
    tags = TagExportSerializer(many=True)


@extend_schema(tags=["export"])
class ExportView(ScopedAPIView):
    """All of the caller's data: every list and task (the trash included) and
    every tag."""

    @extend_schema(
        summary="Export all your data",
        description="One JSON document with every list and every task (trashed "
        "ones carry deleted_at, archived lists archived_at) and every tag, with or "
        "without tasks. Lists and tasks refer to each other by keys that hold "
        "within the file, not by id; their order is the order of the file. "
        "`manage.py import_tasks FILE --user NAME` reads it back.",
        responses={200: ExportSerializer},
        examples=examples.EXPORT,
    )
    def get(self, request) -> Response:
        user = cast(User, request.user)  # IsAuthenticated: never anonymous here
        lists, tasks = transfer.export_rows(user)
        tags = Tag.objects.readable_by(user).order_by(Lower("name"), "id")
        document = {
            "version": transfer.VERSION,
            "exported_at": timezone.now(),
            "lists": lists,
            "tasks": list(tasks),
            "tags": TagExportSerializer(tags, many=True).data,
        }
        filename = f"todo-export-{timezone.now():%Y-%m-%d}.json"
        return Response(
            document,
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
