"""Base views for resources a user reaches through the access rule.

A resource subclasses one of these, sets `queryset = Model.objects.none()` and
a serializer, and gets what every resource here has: problem+json errors and
rate limits (settings), rows only through the model's access rule
(api.access), a transaction for each write and none for a read
(AtomicWritesMixin), ETags with 304 and 412 on single objects
(ConditionalMixin), and Idempotency-Key on POST (IdempotentPostMixin).

The order of the mixins is decided here, once: the transaction opens first and
closes last, around everything a request writes (the idempotency key
included); the idempotency key stores the answer with the ETag
ConditionalMixin gave it.
"""

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from rest_framework import generics, mixins, viewsets
from rest_framework.permissions import SAFE_METHODS
from rest_framework.views import APIView

from .conditional import ConditionalMixin
from .idempotency import IdempotentPostMixin
from .transactions import AtomicWritesMixin


class ScopedMixin(generics.GenericAPIView):
    """Rows through the model's access rule: readable_by for reads,
    writable_by for writes. Closed by default: `queryset` is a model's
    `.none()`, which names the model and serves nothing."""

    def get_queryset(self) -> QuerySet:
        return self.rows_for(self.request.user)

    def rows_for(self, user) -> QuerySet:
        """The rows this view works on, as `user` may reach them (a
        subclass narrows or annotates them here, not in get_queryset)."""
        configured: Any = getattr(self, "queryset", None)
        if configured is None:
            raise ImproperlyConfigured(
                f"{type(self).__name__}: set queryset = Model.objects.none()."
            )
        rows = configured.model._default_manager.all()
        if self.request.method in SAFE_METHODS:
            return rows.readable_by(user)
        return rows.writable_by(user)


class ScopedGenericViewSet(
    IdempotentPostMixin,
    ConditionalMixin,
    AtomicWritesMixin,
    ScopedMixin,
    viewsets.GenericViewSet,
):
    """A viewset of rows the caller reaches through the access rule; add the
    actions it has (mixins.ListModelMixin, ...) or use ScopedModelViewSet."""


class ScopedModelViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    mixins.ListModelMixin,
    ScopedGenericViewSet,
):
    """List, create, retrieve, update and delete, through the access rule."""

    def get_success_headers(self, data) -> dict[str, str]:
        # A created row's Location: the list path (where rows are created)
        # plus its id; reverse() would resolve the same from the URL
        # patterns, slower.
        path = f"{self.request.path}{data['id']}/"
        return {"Location": self.request.build_absolute_uri(path)}


class ScopedAPIView(AtomicWritesMixin, APIView):
    """A view that is not one resource (a feed, an export): a transaction for
    each write, none for a read. It reads rows only through a model's
    readable_by(request.user)."""
