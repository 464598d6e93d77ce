"""The default first page of a user's task list, cached in Redis.

A cached page is stored with the two generations it was computed under: the
user's (changed after every commit that writes that user's tasks) and a global
one (changed by bulk writes: admin actions, imports, seeds, purges). A page is
served only while both still match, so a write is visible in the writer's next
read. The generations are read before the page's queries run, so a write that
commits meanwhile can only make the new entry stale, never a stale entry fresh.
Pages live at most API_LIST_CACHE_SECONDS, which also bounds what a write that
cannot reach Redis, or one made outside these paths (a shell), leaves stale.
Without Redis every list is computed, as without the cache.
"""

import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from api.redis_cache import spread
from users.token_cache import RedisError

logger = logging.getLogger(__name__)

ALL = "tasks:gen"


def _user(user_id: int | None) -> str:
    return f"tasks:gen:{user_id}"


def _page(user_id: int, origin: str) -> str:
    return f"tasks:page:{user_id}:{origin}"


def enabled() -> bool:
    return settings.API_LIST_CACHE


def cached(user_id: int, origin: str) -> tuple[dict | None, tuple | None]:
    """(the page, its generations) if a current page is cached, else (None,
    the generations to store a new page under; None if Redis is away)."""
    keys = [_user(user_id), ALL, _page(user_id, origin)]
    try:
        found = cache.get_many(keys)
        generations = (found.get(keys[0]), found.get(keys[1]))
        if None in generations:
            for key in keys[:2]:
                cache.add(key, uuid.uuid4().hex, timeout=None)
            again = cache.get_many(keys[:2])
            generations = (again.get(keys[0]), again.get(keys[1]))
    except (RedisError, OSError) as exc:
        logger.warning("List cache unavailable: %s", exc)
        return None, None
    entry = found.get(keys[2])
    if entry is not None and entry[0] == generations:
        return entry[1], generations
    return None, generations


def store(user_id: int, origin: str, generations: tuple | None, page: dict) -> None:
    if generations is None or None in generations:
        return
    try:
        cache.set(
            _page(user_id, origin),
            (generations, page),
            timeout=spread(settings.API_LIST_CACHE_SECONDS),
        )
    except (RedisError, OSError) as exc:
        logger.warning("List cache unavailable: %s", exc)


def changed(user_id: int | None) -> None:
    """This user's tasks changed: once committed, their cached pages are stale."""
    _new_generation_on_commit(_user(user_id))


def changed_all() -> None:
    """Tasks of any number of users changed (a bulk write)."""
    _new_generation_on_commit(ALL)


def _new_generation_on_commit(key: str) -> None:
    if not enabled():
        return

    def renew() -> None:
        try:
            cache.set(key, uuid.uuid4().hex, timeout=None)
        except (RedisError, OSError) as exc:
            logger.error(
                "Could not invalidate cached task lists (stale for up to %ss): %s",
                settings.API_LIST_CACHE_SECONDS,
                exc,
            )

    transaction.on_commit(renew)
