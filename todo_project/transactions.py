from django.conf import settings
from django.db import connection, transaction
from rest_framework.permissions import SAFE_METHODS


class AtomicWritesMixin:
    """For an API view: a write runs in one transaction, a read in none.

    ATOMIC_REQUESTS gives every request a transaction, which costs a read that
    is answered from Redis a database round trip (the connection's health check
    before BEGIN). Reads here run each statement on its own; a write still
    commits all or nothing, and DRF's exception handler still marks it for
    rollback. Only the default database is concerned.

    A read made inside a transaction that is already open (a test's) takes a
    savepoint, as ATOMIC_REQUESTS would: DRF marks the innermost transaction
    for rollback when it answers an error, which must be the view's own.
    With API_OPTIMIZATIONS off, reads take a transaction too. A view whose
    write is a single statement, atomic by itself, can say so in
    needs_transaction() and save the BEGIN and COMMIT round trips.
    """

    @classmethod
    def as_view(cls, *args, **kwargs):
        view = super().as_view(*args, **kwargs)
        return transaction.non_atomic_requests(view)

    def dispatch(self, request, *args, **kwargs):
        if not connection.in_atomic_block and not self.needs_transaction(request):
            return super().dispatch(request, *args, **kwargs)
        with transaction.atomic():
            return super().dispatch(request, *args, **kwargs)

    def needs_transaction(self, request) -> bool:
        """Whether the request runs in a transaction: every write does, unless
        a view knows its write to be atomic by itself."""
        return request.method not in SAFE_METHODS or not settings.API_OPTIMIZATIONS
