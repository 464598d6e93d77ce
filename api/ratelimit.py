"""Rate limits shared by every worker process, with RateLimit headers.

Each limit counts requests in fixed windows (`N/second|minute|hour|day`) under
one Redis key per client and window (INCRBY; EXPIRE only with a window's first
requests), so the count is shared by every worker (a per-process cache would
let each worker allow the whole limit). The per-user limit, on every request,
is added in batches: see hit(). When Redis cannot be reached, counting falls
back to this process's memory: limits still hold, per worker, and no request
fails for it.

Every answer from a limited view carries the tightest limit it was counted
against, in the form of the IETF draft (draft-ietf-httpapi-ratelimit-headers):
`RateLimit-Policy: "user";q=1200;w=60` and `RateLimit: "user";r=1187;t=42`
(quota, window seconds; remaining, seconds until the window resets). A request
over a limit is 429 with `Retry-After`.
"""

import functools
import hashlib
import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from rest_framework.throttling import BaseThrottle

from .proxies import client_ip

logger = logging.getLogger(__name__)

WINDOWS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
# Counts kept here while Redis is away (bounded: LocMem culls old entries).
_fallback = LocMemCache("ratelimit-fallback", {"OPTIONS": {"MAX_ENTRIES": 100_000}})
REDIS_RETRY_SECONDS = 5
_redis_retry_at = 0.0  # while time.time() is below it, Redis is not tried
# The clock windows are counted by (tests start it at a window's beginning,
# so that no test meets a window's end halfway).
clock = time.time
# Per policy: (window, {key: (requests not yet added, last shared count)}).
_batches: dict[str, tuple[int, dict[str, tuple[int, int]]]] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Rate:
    quota: int
    window: int

    @classmethod
    @functools.cache
    def parse(cls, text: str) -> "Rate":
        count, _, period = text.partition("/")
        return cls(int(count), WINDOWS[period])


@dataclass(frozen=True)
class Count:
    """One limit as a request used it."""

    policy: str
    rate: Rate
    used: int
    reset: int  # seconds until the window ends

    @property
    def remaining(self) -> int:
        return max(self.rate.quota - self.used, 0)


def hit(policy: str, client: str, rate: Rate, batch: int = 1) -> Count:
    """Count one request by `client` against `policy`.

    With `batch` above 1, this process adds its requests to the shared count
    `batch` at a time (one round trip per batch), and counts every request at
    once from 90% of the quota on. A limit may then let through up to
    (batch - 1) x processes more than its quota: the price of sparing the
    hot path a round trip to Redis on most requests.
    """
    now = clock()
    window = int(now // rate.window)
    key = f"rl:{policy}:{client}:{window}"
    reset = max(int((window + 1) * rate.window - now), 1)
    with _lock:
        batches = _batches.get(policy)
        if batches is None or batches[0] != window:  # a new window: start over
            batches = _batches[policy] = (window, {})
        pending, known = batches[1].get(key, (0, 0))
        pending += 1
        near_quota = known + pending >= rate.quota * 0.9
        if known and pending < batch and not near_quota:
            batches[1][key] = (pending, known)
            return Count(policy, rate, known + pending, reset)
        batches[1][key] = (0, known)
    used = _add(key, pending, rate.window, now)
    with _lock:
        if _batches.get(policy, (None,))[0] == window:
            waiting, _ = _batches[policy][1].get(key, (0, 0))
            _batches[policy][1][key] = (waiting, used)
    return Count(policy, rate, used, reset)


def reset() -> None:
    """Forget every count this process holds, and any without Redis (tests
    start each from nothing: their requests all come from one address)."""
    global _redis_retry_at
    with _lock:
        _fallback.clear()
        _batches.clear()
        _redis_retry_at = 0.0
    if getattr(getattr(cache, "_cache", None), "get_client", None) is None:
        cache.clear()  # without Redis, limits are counted in this cache


def _add(key: str, requests: int, window: int, now: float) -> int:
    """Add requests to the shared count (this process's, while Redis is away)."""
    global _redis_retry_at
    if now >= _redis_retry_at:
        try:
            return _add_in_redis(key, requests, window)
        except Exception as exc:  # any Redis failure: count here instead
            # Not tried again for a while: each try costs its connect timeout.
            _redis_retry_at = now + REDIS_RETRY_SECONDS
            logger.warning(
                "Rate limits counted per process for %ss: Redis failed (%s)",
                REDIS_RETRY_SECONDS,
                exc,
            )
    return _add_in(_fallback, key, requests, window)


def _add_in_redis(key: str, requests: int, window: int) -> int:
    client = getattr(getattr(cache, "_cache", None), "get_client", None)
    if client is None:  # no Redis configured (development): this process
        return _add_in(cache, key, requests, window)
    redis, key = client(key, write=True), cache.make_key(key)
    used = int(redis.incrby(key, requests))
    if used == requests:
        # The first requests of the window set its end; one round trip for the
        # rest. (Keys are named by window, so one left without a TTL by a crash
        # in between is never counted again, only kept.)
        redis.expire(key, window + 1)
    return used


def _add_in(store, key: str, requests: int, window: int) -> int:
    if store.add(key, requests, timeout=window + 1):
        return requests
    try:
        return store.incr(key, requests)
    except ValueError:  # expired between the two calls
        store.add(key, requests, timeout=window + 1)
        return requests


def _remember(request, count: Count) -> None:
    """Keep the tightest limit this request was counted against (headers)."""
    http_request = getattr(request, "_request", request)
    known = getattr(http_request, "rate_limit", None)
    if known is None or count.remaining < known.remaining:
        http_request.rate_limit = count


class RateLimit(BaseThrottle):
    """A DRF throttle for one policy in settings.API_RATE_LIMITS."""

    policy: str
    batch = 1  # see hit()

    def identities(self, request) -> list[str]:
        """Who this request counts for (none: not limited by this policy)."""
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        rate = Rate.parse(settings.API_RATE_LIMITS[self.policy])
        self.over = None
        for identity in self.identities(request):
            count = hit(self.policy, identity, rate, self.batch)
            _remember(request, count)
            if count.used > rate.quota:
                self.over = count
        return self.over is None

    def wait(self) -> float | None:
        return self.over.reset if self.over else None


class UserRateLimit(RateLimit):
    """Every authenticated request, per user: the hot path, so counted in
    batches (at most 9 requests per worker beyond the quota)."""

    policy = "user"
    batch = 10

    def identities(self, request) -> list[str]:
        user = request.user
        return [str(user.pk)] if user and user.is_authenticated else []


class AnonRateLimit(RateLimit):
    """Every request without a valid token, per client IP."""

    policy = "anon"

    def identities(self, request) -> list[str]:
        user = request.user
        return [] if user and user.is_authenticated else [client_ip(request)]


@functools.cache
def _digest_key() -> bytes:
    return hashlib.sha256(b"rate-limit:" + settings.SECRET_KEY.encode()).digest()


def _digest(text: str) -> str:
    """A keyed digest: any text makes a valid cache key, and what Redis holds
    cannot be matched against a list of likely usernames without the key."""
    return hashlib.blake2b(text.encode(), key=_digest_key(), digest_size=16).hexdigest()


class CredentialsRateLimit(RateLimit):
    """Per client IP and per username given: guessing one user's password, or
    probing which usernames are taken, from many addresses still meets the
    second."""

    def identities(self, request) -> list[str]:
        identities = [f"ip:{client_ip(request)}"]
        username = (
            request.data.get("username") if hasattr(request.data, "get") else None
        )
        if isinstance(username, str) and username:
            identities.append(f"user:{_digest(username.strip().lower()[:150])}")
        return identities


class LoginRateLimit(CredentialsRateLimit):
    """Login attempts."""

    policy = "login"


class RegisterRateLimit(CredentialsRateLimit):
    """Account creation."""

    policy = "register"


class RateLimitHeadersMiddleware:
    """Adds RateLimit and RateLimit-Policy to answers a limit counted."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        count = getattr(request, "rate_limit", None)
        if count is not None:
            response["RateLimit-Policy"] = (
                f'"{count.policy}";q={count.rate.quota};w={count.rate.window}'
            )
            response["RateLimit"] = (
                f'"{count.policy}";r={count.remaining};t={count.reset}'
            )
        return response
