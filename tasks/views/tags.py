"""The caller's tags."""

from django.db import IntegrityError, transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce, Lower
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.serializers import BaseSerializer

from api.problems import UNIQUE
from api.viewsets import ScopedModelViewSet

from .. import examples
from ..models import Tag, Task
from ..serializers import (
    TagSerializer,
)
from ..tags import check_room


@extend_schema_view(
    list=extend_schema(
        summary="List your tags, with how many tasks carry each",
        examples=examples.A_TAG,
    ),
    create=extend_schema(summary="Create a tag", examples=examples.TAG_CREATE),
    retrieve=extend_schema(summary="Get one of your tags", examples=examples.A_TAG),
    update=extend_schema(
        summary="Rename one of your tags", examples=examples.TAG_RENAME
    ),
    partial_update=extend_schema(
        summary="Rename one of your tags", examples=examples.TAG_RENAME
    ),
    destroy=extend_schema(summary="Delete a tag (its tasks stay, without it)"),
)
@extend_schema(tags=["tags"])
class TagViewSet(ScopedModelViewSet):
    """The caller's tags; another user's tag answers 404, like a missing one."""

    queryset = Tag.objects.none()
    serializer_class = TagSerializer
    write_conflicts = True  # a name already taken: 409 (the schema)
    pagination_class = None  # a user has a handful of tags, not pages of them

    def rows_for(self, user):
        tags = super().rows_for(user).annotate(task_count=_live_task_count())
        return tags.order_by(Lower("name"), "id")

    def perform_create(self, serializer: BaseSerializer) -> None:
        tag = _save_tag(serializer, owner=self.request.user)
        check_room(self.request.user)  # the new one counted; a 409 rolls it back
        tag.task_count = 0

    def perform_update(self, serializer: BaseSerializer) -> None:
        _save_tag(serializer)


def _live_task_count() -> Coalesce:
    # A subquery rather than a JOIN and GROUP BY, which SELECT ... FOR UPDATE
    # (a write under If-Match) cannot lock.
    counts = (
        Task.tags.through.objects.filter(
            tag=OuterRef("pk"), task__deleted_at__isnull=True
        )
        .order_by()
        .values("tag")
        .annotate(n=Count("pk"))
        .values("n")  # type: ignore[misc]  # django-stubs misses the annotation
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


def _save_tag(serializer: BaseSerializer, **fields) -> Tag:
    # The serializer checks the name first; a concurrent request may still take
    # it in between, and the unique constraint then decides: 409, not 500.
    try:
        with transaction.atomic():
            return serializer.save(**fields)
    except IntegrityError:
        raise serializers.ValidationError(
            {"name": ["You already have a tag with this name."]}, code=UNIQUE
        ) from None
