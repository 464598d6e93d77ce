import logging
import sys

from django.conf import settings
from django.db import InterfaceError, InternalError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)


def database_unavailable(exception: BaseException | None) -> HttpResponse | None:
    """503 with Retry-After when `exception` means the database is out of reach.

    OperationalError covers refused and timed-out connections, a server that went
    away mid-request and the deadline watchdog; InterfaceError a connection that
    was already closed; InternalError the protocol confusion a pooler can cause
    when its server dies mid-statement ("received 2 results from command"), and
    server-internal faults. None is the request's fault, and none is retried
    here: the client decides.
    """
    if not isinstance(exception, OperationalError | InterfaceError | InternalError):
        return None
    logger.warning("Database unavailable: %s", str(exception).strip()[:200])
    response = JsonResponse(
        {"detail": "The database is unavailable. Retry shortly."}, status=503
    )
    response["Retry-After"] = str(settings.DATABASE_RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


def current_exception() -> BaseException | None:
    return sys.exc_info()[1]


class DatabaseUnavailableMiddleware:
    """Turns a database outage during a view into 503 JSON, in DEBUG too.

    Errors outside views (other middleware) reach handler500, which makes the
    same answer; see todo_project.views.server_error.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponse | None:
        return database_unavailable(exception)
