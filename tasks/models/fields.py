from django.db import models


class PositionField(models.CharField):
    """A position key (tasks.positions), compared byte-wise by the database.

    On PostgreSQL the column has collation "C": the database's default
    collation would order "a" before "B". SQLite compares text byte-wise
    already (BINARY), and knows no collation named "C".
    """

    def db_parameters(self, connection):
        parameters = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            parameters["collation"] = "C"
        return parameters
