"""All of the caller's data in one document."""

from typing import cast

from django.db.models.functions import Lower
from django.utils import timezone
from drf_spectacular.utils import (
    extend_schema,
)
from rest_framework import serializers
from rest_framework.response import Response

from api.viewsets import ScopedAPIView
from users.models import User

from .. import examples, transfer
from ..models import Tag, Task
from ..serializers import (
    TagExportSerializer,
    TaskTransferSerializer,
)


class ExportSerializer(serializers.Serializer):
    """The schema of an export (what import_tasks reads)."""

    version = serializers.IntegerField()
    exported_at = serializers.DateTimeField()
    tasks = TaskTransferSerializer(many=True)
    tags = TagExportSerializer(many=True)


@extend_schema(tags=["export"])
class ExportView(ScopedAPIView):
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
        tasks = Task.objects.readable_by(user).with_tag_names()
        tags = Tag.objects.readable_by(user).order_by(Lower("name"), "id")
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
