import logging
import time
from contextlib import AbstractContextManager, nullcontext

import psycopg
from django.conf import settings
from django.db.backends.postgresql import base

from .watchdog import watchdog

logger = logging.getLogger(__name__)

FIRST_BACKOFF_SECONDS = 0.25


class DatabaseWrapper(base.DatabaseWrapper):
    """Retries connecting (a cold start) and puts a deadline on every call."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # First in the list, so it stays while execute_wrapper() adds and removes
        # others on top of it.
        self.execute_wrappers.insert(0, self._execute_with_deadline)
        # When the server last answered on this connection (time.monotonic()).
        self._answered_at = float("-inf")
        # Whether the request's next call stands in for a skipped health check.
        self._unchecked = False

    def get_new_connection(self, conn_params):
        # Only establishing a connection is retried: nothing has been sent yet,
        # so a retry cannot run a statement twice. Queries are never retried.
        # Retries are for quick refusals (a compute starting up); an attempt that
        # used up the connect timeout is not repeated, so connecting never takes
        # much more than twice the timeout.
        attempts = max(1, settings.DATABASE_CONNECT_ATTEMPTS)
        give_up_at = time.monotonic() + settings.DATABASE_CONNECT_TIMEOUT
        attempt, backoff = 1, FIRST_BACKOFF_SECONDS
        while True:
            try:
                return super().get_new_connection(conn_params)
            except psycopg.OperationalError as exc:
                # psycopg reports no SQLSTATE for a failed connection, so a wrong
                # password is retried too; that costs under a second.
                if attempt >= attempts or time.monotonic() + backoff >= give_up_at:
                    raise
                logger.warning(
                    "Database connection attempt %d of %d failed (%s); "
                    "retrying in %.2fs.",
                    attempt,
                    attempts,
                    _first_line(exc),
                    backoff,
                )
                time.sleep(backoff)
                attempt, backoff = attempt + 1, backoff * 2

    def init_connection_state(self) -> None:
        with self._deadline(settings.DATABASE_HEALTH_CHECK_TIMEOUT):
            super().init_connection_state()
            # Through a pooler, an open connection says nothing about the server
            # behind it: one round trip does, within the health check's deadline.
            # (Django has set autocommit already, so this opens no transaction.)
            if self.get_autocommit():
                self.connection.execute("SELECT 1")
        self._answered_at = time.monotonic()

    def _commit(self) -> None:
        with self._deadline():
            super()._commit()  # type: ignore[misc]  # BaseDatabaseWrapper's, untyped
        self._answered_at = time.monotonic()

    def _rollback(self) -> None:
        with self._deadline():
            super()._rollback()  # type: ignore[misc]

    def close_if_health_check_failed(self) -> None:
        # Django checks a reused connection with a SELECT 1 at the start of each
        # request: a round trip, a third of a filtered list's. A connection the
        # server answered on moments ago (the norm under load) is as fresh as
        # that check would prove, so it is skipped then; an idle one, which a
        # pooler or a suspended compute may have dropped, is still checked.
        # The request's first call then takes the check's deadline: a server
        # lost meanwhile is noticed as soon as the check would have noticed it.
        # (Django calls this for every cursor; only the first of a request,
        # before health_check_done, decides.)
        # (Both attributes are BaseDatabaseWrapper's; django-stubs lacks them.)
        enabled = self.health_check_enabled  # type: ignore[attr-defined]
        done = self.health_check_done  # type: ignore[has-type]
        if self.connection is None or not enabled or done:
            return
        idle = time.monotonic() - self._answered_at
        if idle < settings.DATABASE_HEALTH_CHECK_AFTER:
            self.health_check_done = True
            self._unchecked = True
            return
        super().close_if_health_check_failed()

    def close_if_unusable_or_obsolete(self) -> None:
        self._unchecked = False  # a request's start or end
        super().close_if_unusable_or_obsolete()

    def close(self) -> None:
        self._unchecked = False
        super().close()

    def is_usable(self) -> bool:
        # The health check before reusing a connection: a pooler with no server
        # would hold this SELECT 1 for minutes.
        with self._deadline(settings.DATABASE_HEALTH_CHECK_TIMEOUT):
            return super().is_usable()

    def _deadline(self, seconds: float | None = None) -> AbstractContextManager[None]:
        if seconds is None:
            seconds = settings.DATABASE_QUERY_TIMEOUT
        if not seconds or self.connection is None:
            return nullcontext()
        try:
            fileno = self.connection.fileno()
        except psycopg.Error:
            # Already lost: the call fails at once by itself.
            return nullcontext()
        return watchdog.guard(fileno, seconds)

    def _execute_with_deadline(self, execute, sql, params, many, context):
        seconds = None
        if self._unchecked:
            self._unchecked = False
            if settings.DATABASE_QUERY_TIMEOUT:  # else calls have no deadline
                seconds = min(
                    settings.DATABASE_HEALTH_CHECK_TIMEOUT,
                    settings.DATABASE_QUERY_TIMEOUT,
                )
        with self._deadline(seconds):
            result = execute(sql, params, many, context)
        self._answered_at = time.monotonic()
        return result


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
