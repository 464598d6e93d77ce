"""Querysets compiled to SQL once, then run for whichever owner asks.

Building a filtered list's queryset (the filters' form, the annotations) and
compiling it to SQL took two fifths of an uncached list request. When the SQL
depends only on which filters a request names and on values from a closed set
(true/false, a priority, an ordering), never on who asks or when, it is the
same text for every caller but for the owner's id. Such a queryset is built
once per combination for a stand-in owner whose id no row has, compiled, and
from then on run with the caller's id put where the stand-in's was.

Only the owner's id is replaced: a queryset with any other per-request value
(free text, the current time) must not be compiled here. Pages are taken with
LIMIT and OFFSET added to the compiled SQL, so one entry serves every page.
"""

import functools
import threading
from collections.abc import Hashable

from django.db import connections
from django.db.models import QuerySet

# Ids are positive; the stand-in's may not equal any other value the query
# carries either, which for closed-set filters (0-3, booleans) it cannot.
STAND_IN_ID = -(2**62)


@functools.cache
def _timestamptz():
    import psycopg  # only on PostgreSQL

    timestamptz = psycopg.postgres.types["timestamptz"].oid
    return psycopg.adapters.get_loader(timestamptz, psycopg.pq.Format.TEXT)


class CompiledQuery:
    """A `.values()` queryset's SQL, its owner's id left as a slot."""

    def __init__(self, queryset: QuerySet) -> None:
        query = queryset.query
        if query.is_sliced or query.extra_select or not query.values_select:
            raise ValueError("Only unsliced .values() querysets compile here.")
        compiler = query.get_compiler(queryset.db)
        sql, params = compiler.as_sql()
        self._slots = [
            i
            for i, value in enumerate(params)
            if type(value) is int and value == STAND_IN_ID
        ]
        if not self._slots:
            # Unscoped SQL must never be shared between callers.
            raise ValueError("The queryset is not filtered by the stand-in owner.")
        self._sql = f"{sql} LIMIT %s OFFSET %s"
        self._params = list(params)
        self._db = queryset.db
        # What ValuesIterable does with each row: its names and converters.
        self._names = [*query.values_select, *query.annotation_select]
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        self._converters = list(compiler.get_converters(fields).items())

    def bind(self, owner_id: int) -> "BoundQuery":
        return BoundQuery(self, owner_id)


class BoundQuery:
    """A compiled query for one owner; what a paginator takes a page of."""

    def __init__(self, compiled: CompiledQuery, owner_id: int) -> None:
        self.compiled = compiled
        self.owner_id = owner_id

    def rows(self, offset: int, limit: int) -> list[dict]:
        compiled = self.compiled
        params = list(compiled._params)
        for slot in compiled._slots:
            params[slot] = self.owner_id
        connection = connections[compiled._db]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # psycopg's own timestamptz loader (C) instead of Django's
                # Python subclass of it, which only sets the session's time
                # zone on each value: psycopg sets it too. A tenth of the time
                # of a compiled list went to loading its times.
                cursor.cursor.adapters.register_loader("timestamptz", _timestamptz())
            cursor.execute(compiled._sql, [*params, limit, offset])
            fetched = cursor.fetchall()
        names, converters = compiled._names, compiled._converters
        result = []
        for row in fetched:
            if converters:
                row = list(row)
                for position, (functions, expression) in converters:
                    value = row[position]
                    for function in functions:
                        value = function(value, expression, connection)
                    row[position] = value
            result.append(dict(zip(names, row, strict=True)))
        return result


class CompiledQueries:
    """Compiled queries by shape, at most `size` of them (the oldest go first)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._queries: dict[Hashable, CompiledQuery] = {}
        self._lock = threading.Lock()

    def get(self, shape: Hashable) -> CompiledQuery | None:
        return self._queries.get(shape)

    def add(self, shape: Hashable, queryset: QuerySet) -> None:
        compiled = CompiledQuery(queryset)
        with self._lock:
            self._queries[shape] = compiled
            while len(self._queries) > self._size:
                del self._queries[next(iter(self._queries))]

    def clear(self) -> None:
        with self._lock:
            self._queries.clear()
