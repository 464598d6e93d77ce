"""A request id on every API answer and every log line written for it.

The id is the client's `X-Request-ID` when it is a sane token (so a front end
or a proxy can follow one request through), otherwise a new random one. It
goes back in the response's `X-Request-ID` header and into every log record
made while the request runs (`%(request_id)s`, "-" outside a request), so a
client's report of an error leads to its log lines.
"""

import contextvars
import logging
import re
import uuid

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
_VALID = re.compile(r"[A-Za-z0-9._-]{1,64}")
current: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def _install_log_record_factory() -> None:
    """Every log record carries the current request id (also records made by
    other libraries, and in tests captured without this project's handlers)."""
    make_record = logging.getLogRecordFactory()
    if getattr(make_record, "adds_request_id", False):
        return

    def with_request_id(*args, **kwargs) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        record.request_id = current.get()
        return record

    with_request_id.adds_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(with_request_id)


class RequestIdFilter(logging.Filter):
    """Gives a record the current request id if it has none: records made
    before the middleware installed its factory (start-up, `make run`'s first
    lines) would otherwise break a handler whose format names it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current.get()
        return True


class RequestIdMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response
        _install_log_record_factory()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get(HEADER, "")
        request_id = given if _VALID.fullmatch(given) else uuid.uuid4().hex
        # Kept until the request is finished, not only until this returns:
        # Django logs an error answer ("Not Found: ...") after the middleware.
        current.set(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


def _forget(**kwargs) -> None:
    current.set("-")


request_finished.connect(_forget, dispatch_uid="api.request_id")
