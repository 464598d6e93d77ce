"""What the admin's change lists share: a count that never reads a million
rows, a change list that honours sortable_by, and the request and id helpers
the admins here use."""

import re

from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.core.paginator import Page, Paginator
from django.db import connection
from django.utils.functional import cached_property


class EstimatedCountPaginator(Paginator):
    """Counts without reading every row: an unfiltered PostgreSQL table from its
    statistics, a filtered list (a search, a filter) up to a bound.

    COUNT(*) over a million rows is a full scan on every page view; the planner's
    estimate (kept fresh by autovacuum and seed_tasks' ANALYZE) is instant and
    close enough for "page 1 of 10,000". A filter has no estimate worth showing,
    and counting every task that contains "a" is the same full scan, so a
    filtered list is read only until it passes `bound`: the templates then say
    "1000+", and an operator narrows the search rather than paging further.
    """

    # Below this many rows (by the estimate) COUNT(*) is cheap and exact.
    threshold = 100_000
    # Ten pages of the admin's 100 rows.
    bound = 1000
    # A filtered list's first ids (`bound` + 1 at most) in page order, read by
    # count: one read gives the count and every page within the bound, where a
    # COUNT and then the page would each scan every row for a rare match.
    ids: list[int] | None = None

    @property
    def beyond_bound(self) -> bool:
        """More rows matched than `bound`, which count then returns."""
        return self.ids is not None and len(self.ids) > self.bound

    @cached_property
    def count(self) -> int:
        objects = self.object_list
        if objects.query.where:  # type: ignore[attr-defined]  # a QuerySet
            pks = objects.values_list("pk", flat=True)  # type: ignore[attr-defined]
            self.ids = list(pks[: self.bound + 1])
            return min(len(self.ids), self.bound)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                    [objects.model._meta.db_table],  # type: ignore[attr-defined]
                )
                row = cursor.fetchone()
            if row and row[0] >= self.threshold:  # -1: never analyzed
                return row[0]
        return super().count

    def page(self, number) -> Page:
        if self.ids is None:
            return super().page(number)
        number = self.validate_number(number)  # calls count, which reads ids
        start = (number - 1) * self.per_page
        ids = self.ids[start : start + self.per_page]
        return Page(self.object_list.filter(pk__in=ids), number, self)  # type: ignore[attr-defined]


class BoundedChangeList(ChangeList):
    """A change list paged by EstimatedCountPaginator, whose one-page (or "Show
    all") list is read by the ids the count read rather than by a second scan,
    and sorted only by the columns its admin's sortable_by names (Django hides
    the others' sort links but still follows an ?o= written by hand)."""

    def get_ordering(self, request, queryset):
        if self.sortable_by is not None and ORDER_VAR in self.params:
            sortable = {
                str(position)
                for position, name in enumerate(self.list_display)
                if name in self.sortable_by
            }
            asked = self.params[ORDER_VAR].split(".")
            if not all(o.lstrip("-") in sortable for o in asked):
                del self.params[ORDER_VAR]
        return super().get_ordering(request, queryset)

    def get_results(self, request) -> None:
        super().get_results(request)
        paginator = self.paginator
        # Django shows the whole queryset, unsliced, when it fits on one page
        # or "Show all" was asked.
        whole = (self.show_all and self.can_show_all) or not self.multi_page
        if whole and paginator.ids is not None and not paginator.beyond_bound:
            self.result_list = self.queryset.filter(pk__in=paginator.ids)


def on_changelist(request) -> bool:
    # The change list's rows show counts; its form, autocomplete and the
    # deletion pages read rows without.
    match = request.resolver_match
    return bool(match and (match.url_name or "").endswith("changelist"))


def on_own_pages(request, opts) -> bool:
    match = request.resolver_match
    own = f"{opts.app_label}_{opts.model_name}_"
    return match is None or (match.url_name or "").startswith(own)


def an_id(text: str | None) -> int | None:
    """A primary key written in a form or a URL, or None if it is none (a
    word, "²", a number past a bigint)."""
    if text is None or not re.fullmatch(r"[0-9]{1,18}", text):
        return None
    return int(text)
