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


@extend_schema_field(ID_SCHEMA)
class ReachableField(serializers.PrimaryKeyRelatedField):
    """A row a body names by id, found through its model's access rule
    (writable_by the caller). Another user's id and a missing one answer the
    same "No such ...": never a hint that the row exists."""

    default_error_messages = {
        "does_not_exist": "No such {noun}.",
        "incorrect_type": "Must be an id (an integer).",
    }

    def __init__(self, *, model, noun: str, narrow=None, **kwargs) -> None:
        self.model, self.noun, self.narrow = model, noun, narrow
        if not kwargs.get("read_only"):
            kwargs["queryset"] = model._default_manager.none()
        super().__init__(**kwargs)

    def get_queryset(self):
        rows = self.model._default_manager.writable_by(self.context["request"].user)
        return self.narrow(rows) if self.narrow else rows

    def to_internal_value(self, data):
        if not isinstance(data, int) or isinstance(data, bool):
            self.fail("incorrect_type")
        found = (
            self.get_queryset().filter(pk=data).first() if 1 <= data <= MAX_ID else None
        )
        if found is None:
            self.fail("does_not_exist", noun=self.noun)
        return found
