"""API tokens looked up in Redis, so most requests spend no database round trip
on authentication.

An entry is the token's row (with its user) under the token's SHA-512 digest,
which is what knox stores too: Redis never holds a usable token. An entry lives
at most API_TOKEN_CACHE_SECONDS, and is deleted, once the change is committed,
whenever its token is deleted (logout, the admin) or changed, or its user is
saved (deactivated, password changed, renamed). If Redis cannot be reached the
lookup falls back to the database; a deletion that cannot reach it is logged, and
the entry still expires within API_TOKEN_CACHE_SECONDS.
"""

import copy
import logging

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken

from api.redis_cache import RedisError, spread

logger = logging.getLogger(__name__)
PREFIX = "auth:token:"


def enabled() -> bool:
    return settings.API_TOKEN_CACHE


def get(digest: str) -> AuthToken | None:
    try:
        return cache.get(PREFIX + digest)
    except (RedisError, OSError) as exc:
        logger.warning("Token cache unavailable, using the database: %s", exc)
        return None


def put(auth_token: AuthToken) -> None:
    seconds = settings.API_TOKEN_CACHE_SECONDS
    if auth_token.expiry is not None:
        seconds = min(seconds, (auth_token.expiry - timezone.now()).total_seconds())
    if seconds < 1:
        return
    entry = copy.deepcopy(auth_token)
    # Without its password hash: Redis need not hold it. Django treats the field
    # as deferred, so it would be loaded if read and is never written back.
    entry.user.__dict__.pop("password", None)
    try:
        cache.set(PREFIX + auth_token.digest, entry, timeout=spread(seconds))
    except (RedisError, OSError) as exc:
        logger.warning("Token cache unavailable, not caching: %s", exc)


def forget(digests: list[str]) -> None:
    """Drop these tokens' entries once the current transaction commits.

    After the commit, so a request running meanwhile cannot put back the old row.
    """
    if not digests or not enabled():
        return

    def delete() -> None:
        try:
            cache.delete_many([PREFIX + digest for digest in digests])
        except (RedisError, OSError) as exc:
            logger.error(
                "Could not drop %d cached tokens (they expire within %ss): %s",
                len(digests),
                settings.API_TOKEN_CACHE_SECONDS,
                exc,
            )

    transaction.on_commit(delete)


def forget_token(sender, instance: AuthToken, **kwargs) -> None:
    forget([instance.digest])


def forget_users_tokens(sender, instance, update_fields=None, **kwargs) -> None:
    # Logging in only stamps last_login: nothing a cached entry depends on.
    if update_fields is not None and set(update_fields) == {"last_login"}:
        return
    if enabled():
        tokens = AuthToken.objects.filter(user=instance)
        forget(list(tokens.values_list("digest", flat=True)))
