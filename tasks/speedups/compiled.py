"""Querysets compiled to SQL once, then run for whichever user asks.

Building a filtered list's queryset (the filters' form, the annotations) and
compiling it to SQL took two fifths of an uncached list request. When the SQL
depends only on which filters a request names and on values from a closed set
(true/false, a priority, an ordering), never on who asks or when, it is the
same text for every caller but for the caller's id. Such a queryset is built
once per combination through the access rule for a stand-in user whose id no
row has, so the scoping clause is the rule's own SQL, compiled, and from then
on run with the caller's id put wherever the stand-in's was.

Besides the user's id, a query may leave named ids as slots (the list a page
is filtered by), each compiled with a stand-in id of its own and replaced by
the caller's value per request. A query is refused unless, apart from the
stand-ins (once or more: a rule may name the user in several clauses), its
parameters are booleans and integers: free text or a time (which would
differ per request) cannot slip in. Pages are taken with LIMIT and OFFSET
added to the compiled SQL, so one entry serves every page.
"""

import datetime
import functools
import threading
from collections.abc import Hashable, Mapping

from django.conf import settings
from django.db import connections
from django.db.models import QuerySet

from api.access import is_scoped
from api.fields import MAX_ID

# Ids are positive; the stand-in's may not equal any other value the query
# carries either, which for closed-set filters (0-3, booleans) it cannot.
STAND_IN_ID = -(2**62)
# A named id's stand-in: no row has it (ids count up from 1), and a request
# that names it is answered through the ORM (it is no valid filter value there).
STAND_IN_NAMED_ID = MAX_ID


@functools.cache
def _timestamptz_loader():
    import psycopg  # only on PostgreSQL

    timestamptz = psycopg.postgres.types["timestamptz"].oid
    return psycopg.adapters.get_loader(timestamptz, psycopg.pq.Format.TEXT)


class CompiledQuery:
    """A `.values()` queryset's SQL, its user's id left as a slot."""

    def __init__(self, queryset: QuerySet, named: tuple[str, ...] = ()) -> None:
        if not is_scoped(queryset.query):
            # Unscoped SQL must never be shared between callers.
            raise ValueError(
                "Only a queryset scoped by an access rule to the stand-in compiles."
            )
        query = queryset.query
        if (
            query.is_sliced
            or query.distinct
            or query.combinator
            or query.extra_select
            or not query.values_select
        ):
            raise ValueError("Only plain, unsliced .values() querysets compile.")
        compiler = query.get_compiler(queryset.db)
        sql, params = compiler.as_sql()
        # Integers include their subclasses: booleans, and psycopg's Int2 and
        # the like, which Django's PostgreSQL backend sends for small columns.
        if not all(isinstance(value, int) for value in params):
            raise ValueError("Only booleans and integers may be compiled in.")
        if len(named) > 1:
            raise ValueError("One named id at most: each needs a stand-in of its own.")
        stand_ins = {STAND_IN_ID: "user", STAND_IN_NAMED_ID: (named or ("",))[0]}
        self._slots = [
            (i, stand_ins[value])
            for i, value in enumerate(params)
            if not isinstance(value, bool) and value in stand_ins
        ]
        filled = {name for _, name in self._slots}
        if "user" not in filled:
            raise ValueError("The queryset must be scoped to the stand-in user.")
        if filled - {"user"} != set(named):
            raise ValueError(f"The queryset must filter by the stand-in {named}.")
        self._sql = f"{sql} LIMIT %s OFFSET %s"
        self._params = list(params)
        self._db = queryset.db
        # What ValuesIterable does with each row: its names and converters.
        self._names = list(query.selected or ()) or [
            *query.values_select,
            *query.annotation_select,
        ]
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        self._converters = list(compiler.get_converters(fields).items())

    def rows(
        self,
        user_id: int,
        offset: int,
        limit: int,
        named: Mapping[str, int] | None = None,
    ) -> list[dict]:
        """The user's rows from `offset` on, at most `limit`, as dicts; `named`
        gives the value of each named id."""
        values = {**(named or {}), "user": user_id}
        params = list(self._params)
        for slot, name in self._slots:
            params[slot] = values[name]
        connection = connections[self._db]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql" and _utc(connection):
                # psycopg's own timestamptz loader (C) instead of Django's Python
                # subclass of it, which sets the connection's time zone on each
                # value: with both UTC, psycopg's gives the same values. A tenth
                # of a compiled list's time went to loading its times. Per cursor,
                # not per connection: Django reads its own loader's time zone
                # from the connection's adapters when it opens a cursor.
                cursor.cursor.adapters.register_loader(
                    "timestamptz", _timestamptz_loader()
                )
            cursor.execute(self._sql, [*params, limit, offset])
            fetched = cursor.fetchall()
        result = []
        for row in fetched:
            if self._converters:
                row = list(row)
                for position, (functions, expression) in self._converters:
                    value = row[position]
                    for function in functions:
                        value = function(value, expression, connection)
                    row[position] = value
            result.append(dict(zip(self._names, row, strict=True)))
        return result

    def bind(self, user_id: int, **named: int) -> "BoundQuery":
        return BoundQuery(self, user_id, named)


def _utc(connection) -> bool:
    # Django's loader attaches connection.timezone, the session runs in UTC too
    # (Django sets it), and psycopg's loader attaches the session's zone.
    return settings.USE_TZ and connection.timezone == datetime.UTC


class BoundQuery:
    """A compiled query for one user: a RowSource CountingPaginator pages."""

    def __init__(
        self, compiled: CompiledQuery, user_id: int, named: Mapping[str, int]
    ) -> None:
        self._compiled = compiled
        self._user_id = user_id
        self._named = named

    def rows(self, offset: int, limit: int) -> list[dict]:
        return self._compiled.rows(self._user_id, offset, limit, self._named)


class CompiledQueries:
    """Compiled queries by shape, at most `size` of them: beyond that, the first
    added is the first dropped, however often it is used (a shape is cheap to
    compile again)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._queries: dict[Hashable, CompiledQuery] = {}
        self._lock = threading.Lock()

    def get(self, shape: Hashable) -> CompiledQuery | None:
        return self._queries.get(shape)

    def add(self, shape: Hashable, compiled: CompiledQuery) -> None:
        with self._lock:
            self._queries[shape] = compiled
            while len(self._queries) > self._size:
                del self._queries[next(iter(self._queries))]

    def __len__(self) -> int:
        return len(self._queries)

    def clear(self) -> None:
        with self._lock:
            self._queries.clear()
