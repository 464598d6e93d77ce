"""Conditional requests (RFC 9110, section 13) for single-resource views.

A response that carries one resource gets a strong ETag: a digest of the
representation itself, so it changes exactly when a byte of it would. A GET
whose If-None-Match names it answers 304 without a body. A write whose
If-Match does not name the current one answers 412 and changes nothing; the
check reads the row locked (SELECT ... FOR UPDATE) inside the write's own
transaction, so of two writers racing with the same ETag exactly one wins.
"""

import hashlib
from typing import TYPE_CHECKING

import orjson
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import SAFE_METHODS

if TYPE_CHECKING:
    from rest_framework.viewsets import GenericViewSet as _ViewSet
else:
    _ViewSet = object  # see api.transactions.ViewMixinBase


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = (
        "It has changed since you read it: If-Match does not name its current "
        "ETag. Read it again, then retry."
    )
    default_code = "precondition_failed"


def etag(data: dict) -> str:
    canonical = orjson.dumps(data, default=str, option=orjson.OPT_SORT_KEYS)
    return '"' + hashlib.sha256(canonical).hexdigest()[:32] + '"'


def _entity_tags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def if_match(header: str, current: str) -> bool:
    """If-Match compares strongly: a weak tag (W/"...") never matches."""
    tags = _entity_tags(header)
    return "*" in tags or current in tags


def if_none_match(header: str, current: str) -> bool:
    """If-None-Match compares weakly: W/"x" matches "x"."""
    tags = [tag.removeprefix("W/") for tag in _entity_tags(header)]
    return "*" in tags or current in tags


class ConditionalMixin(_ViewSet):
    """For a viewset: ETags on the actions in `etag_actions`, 304 and 412."""

    etag_actions = frozenset({"retrieve", "create", "update", "partial_update"})

    def get_object(self):
        header = self.request.META.get("HTTP_IF_MATCH")
        # The HTTP method, not the one DRF's OPTIONS metadata probes with.
        method = getattr(self.request, "_request", self.request).method
        if method in SAFE_METHODS or header is None:
            return super().get_object()
        # Locked until the write's transaction ends: a second writer with the
        # same ETag waits here, then reads the new representation and fails.
        queryset = self.get_queryset().select_for_update(of=("self",))
        task = get_object_or_404(queryset, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, task)
        if not if_match(header, etag(self.get_serializer(task).data)):
            raise PreconditionFailed()
        return task

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        carries_one = (
            self.action in self.etag_actions
            and status.is_success(response.status_code)
            and isinstance(response.data, dict)
        )
        if not carries_one:
            return response
        current = etag(response.data)
        response["ETag"] = current
        header = request.META.get("HTTP_IF_NONE_MATCH")
        if (
            request.method in ("GET", "HEAD")
            and header
            and if_none_match(header, current)
        ):
            response.status_code = status.HTTP_304_NOT_MODIFIED
            response.data = None
        return response
