from django.conf import settings
from django.db import models

from .access import OwnedQuerySet

# Hours a client may retry a request under the same Idempotency-Key;
# `purge_idempotency_keys` deletes older keys.
IDEMPOTENCY_KEY_HOURS = 24
IDEMPOTENCY_KEY_MAX_LENGTH = 255


class IdempotencyKey(models.Model):
    """A POST made under an Idempotency-Key header, and the answer it got.

    The row is written in the request's own transaction, first thing, so a
    concurrent request with the same key waits on the unique index (or is told
    409) until the first commits or rolls back; the answer is stored in the
    same transaction as the write it answers.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the unique (owner, key) index leads with owner
    )
    key = models.CharField(max_length=IDEMPOTENCY_KEY_MAX_LENGTH)
    # A digest of the method, path and body: the same key with another request
    # is a client error (422), not a replay.
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(null=True)
    body = models.JSONField(null=True)
    headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    # A key is its owner's: the same key from two users is two keys.
    objects = OwnedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "key"], name="api_idempotency_owner_key_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status or 'in flight'})"
