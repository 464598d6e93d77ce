"""The default first page of a user's task list, cached in Redis.

A cached page is stored with the generation of the user's tasks it was computed
under. The model layer renews a user's generation after every commit that
writes what their list shows (tasks/models/sync.py: every write to tasks and
tags takes the owner's change number there, whoever makes it: the API, the
admin, a command), and a page is served only while its generation still
matches, so a write is visible in the writer's next read. The generation is
read before the page's queries run, so a write that commits meanwhile can only
make the new entry stale, never a stale entry fresh. Pages live at most
API_LIST_CACHE_SECONDS, which also bounds what a write that cannot reach Redis,
or one made outside the models (SQL in a shell), leaves stale. Without Redis
every list is computed, as without the cache.
"""

import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from api.redis_cache import RedisError, spread

logger = logging.getLogger(__name__)


def _generation(user_id: int) -> str:
    return f"tasks:gen:{user_id}"


def _page(user_id: int, origin: str) -> str:
    return f"tasks:page:{user_id}:{origin}"


def enabled() -> bool:
    return settings.API_LIST_CACHE


def cached(user_id: int, origin: str) -> tuple[dict | None, str | None]:
    """(the page, its generation) if a current page is cached, else (None, the
    generation to store a new page under; None if Redis is away)."""
    keys = [_generation(user_id), _page(user_id, origin)]
    try:
        found = cache.get_many(keys)
        generation = found.get(keys[0])
        if generation is None:
            cache.add(keys[0], uuid.uuid4().hex, timeout=None)
            generation = cache.get(keys[0])
    except (RedisError, OSError) as exc:
        logger.warning("List cache unavailable: %s", exc)
        return None, None
    entry = found.get(keys[1])
    if entry is not None and entry[0] == generation:
        return entry[1], generation
    return None, generation


def store(user_id: int, origin: str, generation: str | None, page: dict) -> None:
    if generation is None:
        return
    try:
        cache.set(
            _page(user_id, origin),
            (generation, page),
            timeout=spread(settings.API_LIST_CACHE_SECONDS),
        )
    except (RedisError, OSError) as exc:
        logger.warning("List cache unavailable: %s", exc)


def changed(user_id: int) -> None:
    """What this user's list shows changed: once the current transaction
    commits (at once outside one), their cached pages are stale. Called by
    the model layer, for every write; one renewal per user and transaction
    (a bulk request of 100 operations makes one Redis write, not 100)."""
    if not enabled():
        return
    connection = transaction.get_connection()
    if connection.in_atomic_block and _renewal_due(connection, user_id):
        return

    def renew() -> None:
        try:
            cache.set(_generation(user_id), uuid.uuid4().hex, timeout=None)
        except (RedisError, OSError) as exc:
            logger.error(
                "Could not invalidate cached task lists (stale for up to %ss): %s",
                settings.API_LIST_CACHE_SECONDS,
                exc,
            )

    renew.user_id = user_id  # type: ignore[attr-defined]
    transaction.on_commit(renew)


def _renewal_due(connection, user_id: int) -> bool:
    """Whether this transaction's commit already renews the user's lists.

    A pending renewal survives exactly what this change survives: Django drops
    a callback when a savepoint it was registered in rolls back, and the
    savepoints still open are all around this change too (a released one can
    no longer roll back alone)."""
    return any(
        getattr(callback, "user_id", None) == user_id
        for _, callback, _ in connection.run_on_commit
    )
