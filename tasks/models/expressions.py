"""Query expressions the task and tag models share."""

from django.db import models
from django.db.models.functions import Replace


def whitespace_as_spaces(field: str):
    """The field with tabs and line breaks turned into spaces, which TRIM removes.

    SQL's TRIM strips only spaces; this keeps the check portable across
    PostgreSQL and SQLite without a regular expression.
    """
    expression: models.Func | models.F = models.F(field)
    for character in "\t\n\r":
        expression = Replace(expression, models.Value(character), models.Value(" "))
    return expression


class JSONGroupArray(models.Aggregate):
    """A group's values as one JSON array (JSON_AGG; SQLite: JSON_GROUP_ARRAY)."""

    function = "JSON_GROUP_ARRAY"
    output_field = models.JSONField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler, connection, function="JSONB_AGG", **extra_context
        )
