import logging
import sys

from django.conf import settings
from django.db import InterfaceError, InternalError, OperationalError
from django.http import HttpRequest, HttpResponse

from .problems import VALIDATION_CODE, problem_response, summary

logger = logging.getLogger(__name__)


# SQLSTATEs that mean the server, not the statement, is the problem: connection
# exceptions (class 08), shutting down or starting up, too many connections.
# https://www.postgresql.org/docs/current/errcodes-appendix.html
OUTAGE_SQLSTATES = {"57P01", "57P02", "57P03", "53300"}


def is_outage(exception: BaseException | None) -> bool:
    """Whether `exception` means the database is out of reach, not a bad statement.

    An error without a SQLSTATE comes from the client side: no connection, a lost
    one, one broken off by the deadline watchdog, or the protocol confusion a
    pooler causes when its server dies mid-statement ("received 2 results from
    command"). Deadlocks, serialization failures and cancelled statements carry a
    SQLSTATE of their own and stay errors (500), so they are not hidden.
    """
    if isinstance(exception, InterfaceError):
        return True
    if not isinstance(exception, OperationalError | InternalError):
        return False
    sqlstate = getattr(exception.__cause__, "sqlstate", None)
    return sqlstate is None or sqlstate[:2] == "08" or sqlstate in OUTAGE_SQLSTATES


def database_unavailable(
    request: HttpRequest, exception: BaseException | None
) -> HttpResponse | None:
    """503 with Retry-After when `exception` is an outage; nothing is retried here."""
    if not is_outage(exception):
        return None
    logger.warning("Database unavailable: %s", str(exception).strip()[:200])
    response = problem_response(
        request,
        503,
        "The database is unavailable. Retry shortly.",
        code="database_unavailable",
    )
    response["Retry-After"] = str(settings.DATABASE_RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


def current_exception() -> BaseException | None:
    return sys.exc_info()[1]


class DatabaseUnavailableMiddleware:
    """Turns a database outage during a view into 503 JSON, in DEBUG too.

    Errors outside views (other middleware) reach handler500, which makes the
    same answer; see api.views.server_error.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponse | None:
        return database_unavailable(request, exception)


# A body over the limit is read, and thrown away, before the 413 goes out, up
# to this many bytes: a client that sends its whole body before it reads
# (urllib, http.client, requests) would otherwise meet a connection closed
# under it ("Broken pipe") and never see the answer. Past this, a body is not
# worth a worker's time: it is answered at once and the server closes the
# connection.
DISCARD_AT_MOST = 32 * 1024 * 1024
CHUNK_SIZE = 64 * 1024

# Longer than any parameter the API takes (a search is 200 characters, a sync
# cursor under 100); past it a value is an attack or a mistake.
MAX_QUERY_VALUE_LENGTH = 1000


class HostileInputMiddleware:
    """Refuses API requests no endpoint could want, before any view runs:

    - a body over DATA_UPLOAD_MAX_MEMORY_SIZE bytes: 413, read to its end
      and dropped, not parsed (DRF hands its parsers the raw stream, which
      Django's limit does not guard);
    - a query parameter with a null character or over MAX_QUERY_VALUE_LENGTH
      characters: 400 naming it, as a validation error would.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            refusal = _too_large(request) or _hostile_query(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)


def _too_large(request: HttpRequest) -> HttpResponse | None:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if limit is None or length <= limit:
        return None
    if length <= DISCARD_AT_MOST:
        _discard(request, length)
    return problem_response(
        request, 413, f"The body is over {limit} bytes.", code="too_large"
    )


def _discard(request: HttpRequest, length: int) -> None:
    left = length
    try:
        while left > 0 and (chunk := request.read(min(CHUNK_SIZE, left))):
            left -= len(chunk)
    except OSError:  # the client went away: no one waits for the answer
        pass


def _hostile_query(request: HttpRequest) -> HttpResponse | None:
    for name, values in request.GET.lists():
        for value in [name, *values]:
            if "\x00" in value or len(value) > MAX_QUERY_VALUE_LENGTH:
                message = (
                    "Null characters are not allowed, nor values over "
                    f"{MAX_QUERY_VALUE_LENGTH} characters."
                )
                errors = [
                    {"field": name[:50], "code": VALIDATION_CODE, "message": message}
                ]
                return problem_response(
                    request, 400, summary(errors), code=VALIDATION_CODE, errors=errors
                )
    return None


class CacheControlMiddleware:
    """Cache-Control on every answer under /api/v1/ that does not set its own.

    Every such answer is someone's data (tasks, a token, an export), which no
    shared or browser cache may keep, not even on the user's disk: no-store.
    A client that keeps its own copy still sends If-None-Match with the ETag
    it read, and gets a bodiless 304 when nothing changed.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/api/v1/") and not response.has_header(
            "Cache-Control"
        ):
            response["Cache-Control"] = "no-store"
        return response
