"""Probes for load balancers and orchestrators: open, JSON, cheap.

Plain Django views, outside DRF and outside the per-request transaction, so that
liveness touches no database at all and readiness makes one round trip.
"""

from django.conf import settings
from django.db import Error, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

# Once every migration is applied it stays so for this process's code: the
# migration graph is read from disk only until then.
_migrations_applied = False


def _pending_migrations() -> int:
    global _migrations_applied
    if _migrations_applied:
        return 0
    executor = MigrationExecutor(connection)
    pending = len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    _migrations_applied = pending == 0
    return pending


@never_cache
@require_safe
@transaction.non_atomic_requests
def live(request: HttpRequest) -> JsonResponse:
    """The process is up and answering. No database call."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
@transaction.non_atomic_requests
def ready(request: HttpRequest) -> JsonResponse:
    """The database answers and every migration is applied; 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        pending = _pending_migrations()
    except Error:
        response = JsonResponse(
            {"status": "unavailable", "database": "unreachable"}, status=503
        )
        response["Retry-After"] = str(settings.DATABASE_RETRY_AFTER)
        return response
    if pending:
        return JsonResponse(
            {"status": "unavailable", "database": "ok", "pending_migrations": pending},
            status=503,
        )
    return JsonResponse({"status": "ok", "database": "ok", "pending_migrations": 0})
