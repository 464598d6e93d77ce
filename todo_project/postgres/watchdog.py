"""A deadline for database calls that the driver itself cannot enforce.

A pooler such as PgBouncer queues a query while it has no server to give it,
for up to its query_wait_timeout (120 s by default): with the database away, a
request would hang that long, holding one of the server's few threads. psycopg
has no client-side query timeout, so one thread per process watches the calls in
flight and, when one outlives its deadline, shuts down that connection's socket.
The blocked call then fails at once with an OperationalError, answered with 503.
"""

import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

logger = logging.getLogger(__name__)

# How often the watchdog looks while calls are in flight: the precision of a deadline.
TICK_SECONDS = 0.05


class Watchdog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[object, tuple[float, int, float]] = {}
        self._wake = threading.Event()
        self._pid: int | None = None

    @contextmanager
    def guard(self, fileno: int, seconds: float) -> Iterator[None]:
        """Break the socket `fileno` if the block takes longer than `seconds`."""
        key = object()
        # A duplicate descriptor stays ours until the block ends, even if libpq
        # closes the original and the number is handed to another socket.
        duplicate = os.dup(fileno)
        with self._lock:
            self._ensure_thread()
            self._calls[key] = (time.monotonic() + seconds, duplicate, seconds)
        self._wake.set()
        try:
            yield
        finally:
            with self._lock:
                self._calls.pop(key, None)
                os.close(duplicate)

    def _ensure_thread(self) -> None:
        # One thread per process; a forked server worker starts its own.
        if self._pid != os.getpid():
            self._pid = os.getpid()
            threading.Thread(target=self._run, name="db-deadline", daemon=True).start()

    def _run(self) -> None:
        while True:
            expired = []
            with self._lock:
                now = time.monotonic()
                for key, (deadline, duplicate, seconds) in list(self._calls.items()):
                    if deadline <= now:
                        del self._calls[key]
                        _shut_down(duplicate)
                        expired.append(seconds)
                idle = not self._calls
            for seconds in expired:
                logger.warning(
                    "A database call took over %ss; its connection was broken off.",
                    seconds,
                )
            if idle:
                self._wake.wait()
                self._wake.clear()
            else:
                time.sleep(TICK_SECONDS)


def _shut_down(fileno: int) -> None:
    # Shutting down any descriptor of a socket ends it for all of them, so the
    # blocked call sees end-of-file. The descriptor itself is closed by its guard.
    try:
        sock = socket.socket(fileno=fileno)
    except OSError:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        sock.detach()


watchdog = Watchdog()
