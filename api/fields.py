"""Serializer fields that take JSON types at their word, and ids.

DRF's CharField turns 123 into "123" and its BooleanField reads "yes" as true;
for a JSON API a wrong type is a client bug worth a 400, not a guess.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# Every id is a bigint (DEFAULT_AUTO_FIELD): PostgreSQL's bigint and SQLite's
# INTEGER hold at most this.
MAX_ID = 2**63 - 1
ID_SCHEMA = {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID}


class StrictCharField(serializers.CharField):
    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        # DRF checks max_length after trimming whitespace; the schema's
        # maxLength (what clients check) is of the value as sent.
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


@extend_schema_field(ID_SCHEMA)
class IdField(serializers.IntegerField):
    """An object's id as a request names it. Below 1 is a 400; past MAX_ID it
    names no object, so it is a 404 like any missing id: lookups find nothing
    there (api.lookups keeps SQLite from overflowing first)."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        super().__init__(**kwargs)
