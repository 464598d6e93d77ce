"""The api app's commands."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from api.models import IdempotencyKey
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("count", "noun"), [(1, "key"), (2, "keys")])
def test_purge_idempotency_keys_counts(count, noun):
    owner = UserFactory()
    for n in range(count):
        IdempotencyKey.objects.create(owner=owner, key=f"k{n}", fingerprint="f")
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    out = io.StringIO()

    call_command("purge_idempotency_keys", "--dry-run", stdout=out)
    call_command("purge_idempotency_keys", stdout=out)

    assert out.getvalue().splitlines() == [
        f"Would delete {count} expired {noun}.",
        f"Deleted {count} expired {noun}.",
    ]
