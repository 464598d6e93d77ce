from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection, transaction
from rest_framework.permissions import SAFE_METHODS
from rest_framework.views import APIView

# What the view mixins here are mixed into, for the type checker only: at run
# time a mixin must not bring APIView into the class's bases a second time.
if TYPE_CHECKING:
    ViewMixinBase = APIView
else:
    ViewMixinBase = object


class AtomicWritesMixin(ViewMixinBase):
    """For an API view: a write runs in one transaction, a read in none.

    ATOMIC_REQUESTS gives every request a transaction, which costs a read that
    is answered from Redis a database round trip (the connection's health check
    before BEGIN). Reads here run each statement on its own; a write still
    commits all or nothing, and DRF's exception handler still marks it for
    rollback. Only the default database is concerned.

    A read made inside a transaction that is already open (a test's) takes a
    savepoint, as ATOMIC_REQUESTS would: DRF marks the innermost transaction
    for rollback when it answers an error, which must be the view's own.
    With API_OPTIMIZATIONS off, reads take a transaction too.

    A write that is a single statement still takes one: an error after the
    statement (building the answer, say) must undo it too.
    """

    @classmethod
    def as_view(cls, *args, **kwargs):
        view = super().as_view(*args, **kwargs)
        return transaction.non_atomic_requests(view)

    def dispatch(self, request, *args, **kwargs):
        if (
            request.method in SAFE_METHODS
            and settings.API_OPTIMIZATIONS
            and not connection.in_atomic_block
        ):
            return super().dispatch(request, *args, **kwargs)
        with transaction.atomic():
            return super().dispatch(request, *args, **kwargs)
