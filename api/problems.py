"""Every API error is an RFC 9457 problem: `application/problem+json`.

    {"type": "about:blank", "title": "Not Found", "status": 404,
     "detail": "Not found.", "code": "not_found", "instance": "/api/v1/tasks/7/",
     "request_id": "..."}

- `type` is "about:blank" when the status says it all (RFC 9457 section 4.2.1,
  with the status's phrase as `title`); a problem a client may want to tell
  apart has its own URN and title (PROBLEM_TYPES).
- `code` is the machine-readable reason (DRF's error code): "not_authenticated"
  and "authentication_failed" are both 401s.
- `errors` lists each invalid input of a 400: `field` (a dotted path such as
  "operations.2.title", or null for the request as a whole), `code`, `message`.
- `request_id` is the `X-Request-ID` header's value, also in the log lines.

DRF's errors are formatted by drf-standardized-errors' handler (which also
turns any other exception into a logged 500 and rolls the request back); errors
raised outside DRF (middleware, Django's handlers) use `problem_response`.
"""

from http import HTTPStatus

from django.http import HttpRequest, JsonResponse
from drf_standardized_errors.formatter import ExceptionFormatter, flatten_errors
from drf_standardized_errors.types import ErrorResponse
from rest_framework import exceptions
from rest_framework.settings import api_settings

from . import request_id

CONTENT_TYPE = "application/problem+json"
VALIDATION_CODE = "invalid"
# Error codes of input that is valid but clashes with stored data (a name
# taken, a deadline the task already has): a request made only of them is a
# 409 Conflict, not a 400.
UNIQUE = "unique"
CONFLICT = "conflict"
CONFLICT_CODES = frozenset({UNIQUE, CONFLICT})

# code -> (type, title) for problems with a type of their own.
PROBLEM_TYPES = {
    VALIDATION_CODE: ("urn:todo:problem:validation-error", "Invalid input"),
    CONFLICT: ("urn:todo:problem:conflict", "Conflict with stored data"),
    "parse_error": ("urn:todo:problem:malformed-body", "Malformed request body"),
    "idempotency_key_in_use": (
        "urn:todo:problem:idempotency-key-in-use",
        "Idempotency-Key in use",
    ),
    "idempotency_key_reused": (
        "urn:todo:problem:idempotency-key-reused",
        "Idempotency-Key reused",
    ),
    "cursor_invalid": ("urn:todo:problem:sync-cursor-gone", "Sync cursor gone"),
    "database_unavailable": (
        "urn:todo:problem:database-unavailable",
        "Database unavailable",
    ),
}


def problem(
    status: int,
    detail: str,
    *,
    code: str,
    instance: str | None = None,
    errors: list[dict] | None = None,
) -> dict:
    """The body of a problem answer."""
    type_, title = PROBLEM_TYPES.get(code, ("about:blank", HTTPStatus(status).phrase))
    body: dict = {
        "type": type_,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance is not None:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = errors
    body["request_id"] = request_id.current.get()
    return body


def problem_response(
    request: HttpRequest,
    status: int,
    detail: str,
    *,
    code: str,
    errors: list[dict] | None = None,
) -> JsonResponse:
    """A problem answer made outside DRF (middleware, Django's error views)."""
    body = problem(status, detail, code=code, instance=request.path, errors=errors)
    return JsonResponse(body, status=status, content_type=CONTENT_TYPE)


def field_errors(detail) -> list[dict]:
    """DRF's nested error detail as a flat list of {field, code, message}."""
    return [
        {
            "field": _field(error.attr),
            "code": error.code or VALIDATION_CODE,
            "message": error.detail,
        }
        for error in flatten_errors(detail)
    ]


def validation_status(errors: list[dict]) -> int:
    """409 when every error is a clash with stored data, else 400."""
    conflict = errors and all(e["code"] in CONFLICT_CODES for e in errors)
    return 409 if conflict else 400


def _field(attr: str | None) -> str | None:
    """The dotted path of the input at fault; None for the request as a whole."""
    if attr is None:
        return None
    parts = attr.split(".")
    if parts[-1] == api_settings.NON_FIELD_ERRORS_KEY:
        parts.pop()
    return ".".join(parts) or None


def summary(errors: list[dict]) -> str:
    """One line a person can read: the only error, or how many there are."""
    if len(errors) == 1:
        error = errors[0]
        if error["field"] is None:
            return error["message"]
        return f"{error['field']}: {error['message']}"
    return f"{len(errors)} inputs are invalid; see errors."


class ProblemFormatter(ExceptionFormatter):
    """drf-standardized-errors' formatter, writing RFC 9457 problems."""

    def format_error_response(self, error_response: ErrorResponse) -> dict:
        exc = self.exc
        request = self.context.get("request")
        instance = request.path if request is not None else None
        if isinstance(exc, exceptions.ValidationError):
            errors = field_errors(exc.detail)
            status = validation_status(errors)
            return problem(
                status,
                summary(errors),
                code=CONFLICT if status == 409 else VALIDATION_CODE,
                instance=instance,
                errors=errors,
            )
        # Other errors carry one message (a list or dict detail: its first).
        error = error_response.errors[0]
        return problem(
            exc.status_code, error.detail, code=error.code, instance=instance
        )
