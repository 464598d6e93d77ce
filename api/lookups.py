"""Lookups the ORM gets from this app (registered in ApiConfig.ready)."""

from django.db import models
from django.db.models.lookups import In


@models.IntegerField.register_lookup
class IntegerFieldIn(In):
    """`in` where a value outside the column's range matches nothing, as Django's
    exact, lt and gt lookups already treat one (lookups.IntegerFieldOverflow).

    An id in a request body can be any JSON integer; Django's own `in` handed
    2**63 to SQLite's driver, whose OverflowError was a 500.
    """

    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            low, high = connection.ops.integer_field_range(
                self.lhs.output_field.get_internal_type()
            )
            self.rhs = [
                value
                for value in self.rhs
                if not isinstance(value, int)
                or ((low is None or value >= low) and (high is None or value <= high))
            ]
        return super().process_rhs(compiler, connection)
