from django.http import Http404
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from .ratelimit import AnonRateLimit


def exception_handler(exc, context):
    """DRF's handler, with one wording for every 404, and rate-limited 401s.

    DRF passes Django's message through ("No Task matches the given query."),
    which names internals and differs between a malformed and a missing id.
    """
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        # DRF checks permissions before throttles, so a request refused for
        # want of a valid token (a token-guessing run) is counted here.
        limit = AnonRateLimit()
        request = context.get("request")
        if request is not None and not limit.allow_request(request, context["view"]):
            exc = exceptions.Throttled(wait=limit.wait())
    return drf_exception_handler(exc, context)
