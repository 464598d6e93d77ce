import logging

from django.core.exceptions import SuspiciousOperation
from drf_standardized_errors.handler import ExceptionHandler
from rest_framework import exceptions
from rest_framework.response import Response

from .middleware import is_outage
from .problems import CONTENT_TYPE
from .ratelimit import AnonRateLimit


class BadRequest(exceptions.APIException):
    status_code = 400
    default_detail = "Bad request."
    default_code = "bad_request"


class Conflict(exceptions.APIException):
    """The request is valid, but the object's state forbids it (an archived
    list's tasks, the inbox's deletion): 409."""

    status_code = 409
    default_detail = "This conflicts with the object's current state."
    default_code = "conflict"


class ServerError(exceptions.APIException):
    default_detail = "A server error occurred. Quote the request_id if you report it."
    default_code = "server_error"


class ProblemExceptionHandler(ExceptionHandler):
    """drf-standardized-errors' handler, answering RFC 9457 problems.

    Besides DRF's errors it turns every other exception into a 500 problem
    (logged with its traceback, the request rolled back), in DEBUG too: an API
    client never gets an HTML page. A database outage is left to
    DatabaseUnavailableMiddleware, which answers 503.
    """

    def convert_known_exceptions(self, exc: Exception) -> Exception:
        # One wording for every 404: Django's ("No Task matches the given
        # query.") names internals and differs between a malformed and a
        # missing id.
        exc = super().convert_known_exceptions(exc)
        if isinstance(exc, SuspiciousOperation):
            # Django answers these 400 and logs them as security events; so
            # here, rather than a 500.
            logging.getLogger(f"django.security.{type(exc).__name__}").error(str(exc))
            return BadRequest()
        if isinstance(
            exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed
        ):
            # DRF checks permissions before throttles, so a request refused for
            # want of a valid token (a token-guessing run) is counted here.
            limit = AnonRateLimit()
            request = self.context.get("request")
            if request is not None and not limit.allow_request(
                request, self.context["view"]
            ):
                return exceptions.Throttled(wait=limit.wait())
        return exc

    def should_not_handle(self, exc: Exception) -> bool:
        return is_outage(exc)

    def convert_unhandled_exceptions(self, exc: Exception) -> exceptions.APIException:
        if isinstance(exc, exceptions.APIException):
            return exc
        return ServerError()

    def get_response(self, exc: exceptions.APIException, data: dict) -> Response:
        response = super().get_response(exc, data)
        # A validation error that is only a conflict with stored data is a 409.
        response.status_code = data["status"]
        # The browsable API renders errors as HTML pages; everything else gets
        # JSON (DRF's first renderer when negotiation itself failed).
        renderer = getattr(self.context.get("request"), "accepted_renderer", None)
        if renderer is None or renderer.format == "json":
            response.content_type = CONTENT_TYPE
        return response
