"""Error answers that stay problem+json under /api/, whatever Django raised."""

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.views import defaults
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    renderer_classes,
)
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from .exceptions import BadRequest, ServerError
from .middleware import current_exception, database_unavailable
from .problems import problem_response

# OPTIONS is answered by DRF itself.
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


@transaction.non_atomic_requests
@extend_schema(exclude=True)
@api_view(ALL_METHODS)
@authentication_classes([])
@permission_classes([AllowAny])
@renderer_classes([JSONRenderer])
def api_not_found(request: Request, path: str = "") -> HttpResponse:
    """Unknown paths under /api/ answer 404 in JSON, even with DEBUG on.

    A path missing its trailing slash is not redirected (a redirected POST loses
    its body); the answer names the path that exists instead.
    """
    detail = "Not found."
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            detail = f"Not found. Did you mean {request.path}/ (with a trailing slash)?"
    raise exceptions.NotFound(detail)


def _problem_or_default(error: type[exceptions.APIException], default):
    """A view answering `error` as a problem under /api/, `default` elsewhere:
    the same status, detail and code a DRF view would give."""
    status, detail, code = error.status_code, error.default_detail, error.default_code

    def view(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
        # A database outage outside any view (in middleware) is a 503 too.
        unavailable = database_unavailable(request, current_exception())
        if unavailable is not None:
            return unavailable
        if _is_api(request):
            return problem_response(request, status, str(detail), code=code)
        if exception is None:
            return default(request)
        return default(request, exception)

    return view


# Django calls these outside DEBUG for errors that escape a view.
bad_request = _problem_or_default(BadRequest, defaults.bad_request)
permission_denied = _problem_or_default(
    exceptions.PermissionDenied, defaults.permission_denied
)
page_not_found = _problem_or_default(exceptions.NotFound, defaults.page_not_found)
server_error = _problem_or_default(ServerError, defaults.server_error)
