"""Idempotency-Key on POST: a retry replays the first answer and writes nothing.

A POST with an `Idempotency-Key` header first inserts the caller's key, in the
request's own transaction. A second request with the same key meanwhile waits
on the unique index: if the first commits within LOCK_WAIT, the second reads
its stored answer and replays it; if it is still running, the second is told
409. A successful answer is stored in the transaction that made the write it
answers, so a key is either unused or used with its answer, never half. An
error answer rolls back the key with everything else: the retry runs afresh.
The same key with another method, path or body is a 422. Keys are the
caller's own and expire after IDEMPOTENCY_KEY_HOURS.
"""

import hashlib
import json
import re
from contextlib import contextmanager
from datetime import timedelta

from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response

from .models import IDEMPOTENCY_KEY_HOURS, IDEMPOTENCY_KEY_MAX_LENGTH, IdempotencyKey
from .transactions import ViewMixinBase

HEADER = "HTTP_IDEMPOTENCY_KEY"
# Visible ASCII (no spaces, which proxies may fold or trim); also the schema's.
KEY_PATTERN = rf"^[!-~]{{1,{IDEMPOTENCY_KEY_MAX_LENGTH}}}$"
KEY = re.compile(KEY_PATTERN)
# Headers a replay repeats (the body and status always).
STORED_HEADERS = ("Location", "ETag")
# How long a retry waits for a first request with the same key to finish.
LOCK_WAIT = "250ms"
LOCK_NOT_AVAILABLE = "55P03"


class KeyInUse(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = (
        "A request with this Idempotency-Key is still being processed. "
        "Retry in a moment to get its answer."
    )
    default_code = "idempotency_key_in_use"


class KeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = (
        "This Idempotency-Key was used for another request (method, path or "
        "body). Use a new key for a new request."
    )
    default_code = "idempotency_key_reused"


class _Replay(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


class IdempotentPostMixin(ViewMixinBase):
    """For an API view whose writes run in a transaction (AtomicWritesMixin)."""

    idempotent_posts = True  # for the schema
    _claim: IdempotencyKey | None = None

    def initial(self, request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        key = request.META.get(HEADER)
        if request.method == "POST" and key is not None:
            if not KEY.fullmatch(key):
                raise ValidationError(
                    {
                        "Idempotency-Key": [
                            f"1 to {IDEMPOTENCY_KEY_MAX_LENGTH} visible ASCII "
                            "characters, such as a UUID."
                        ]
                    }
                )
            self._claim = _claim(request, key)

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        claim, self._claim = self._claim, None
        if claim is None or transaction.get_rollback():
            return response  # no key, or rolled back along with the request
        if status.is_success(response.status_code):
            claim.status = response.status_code
            claim.body = response.data
            claim.headers = {
                name: response[name] for name in STORED_HEADERS if name in response
            }
            claim.save(update_fields=["status", "body", "headers"])
        else:  # an error answered without an exception: the retry runs afresh
            claim.delete()
        return response


def _claim(request, key: str) -> IdempotencyKey:
    """The caller's new key row, or an exception that answers instead."""
    fingerprint = _fingerprint(request)
    rows = IdempotencyKey.objects.writable_by(request.user).filter(key=key)
    expired = timezone.now() - timedelta(hours=IDEMPOTENCY_KEY_HOURS)
    rows.filter(created_at__lt=expired).delete()  # as if never used
    try:
        with _waiting_at_most(LOCK_WAIT), transaction.atomic():
            return IdempotencyKey.objects.create(
                owner=request.user, key=key, fingerprint=fingerprint
            )
    except IntegrityError:
        pass  # the key is used, and its request has finished: see below
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            raise KeyInUse() from None
        raise
    first = rows.get()
    if first.fingerprint != fingerprint:
        raise KeyReused()
    if first.status is None:  # not answered yet (cannot be seen committed)
        raise KeyInUse()
    headers = {**first.headers, "Idempotent-Replayed": "true"}
    raise _Replay(Response(first.body, status=first.status, headers=headers))


def _fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    what = f"{request.method} {request.path}\n{body}"
    return hashlib.sha256(what.encode()).hexdigest()


@contextmanager
def _waiting_at_most(timeout: str):
    """Lock waits in this transaction end after `timeout` (PostgreSQL)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{timeout}'")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = DEFAULT")
