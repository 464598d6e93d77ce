import re

from django.contrib import admin, messages
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.functional import cached_property
from django.utils.text import smart_split

from users.admin import OwnersFirstSearchMixin, UserAdmin
from users.models import User

from .models import ChangeClock, Tag, Task, Tombstone
from .tags import tags_named


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


@admin.register(Task)
class TaskAdmin(OwnersFirstSearchMixin, admin.ModelAdmin):
    """Tasks for operators: find, inspect and correct them."""

    list_display = [
        "title", "owner", "completed", "priority", "due_by", "created_at", "updated_at"
    ]  # fmt: skip
    # "deleted at: not empty" is the trash; deleting here deletes for good.
    list_filter = [
        "completed",
        "priority",
        ("deleted_at", admin.EmptyFieldListFilter),
        "created_at",
    ]
    search_fields = ["title", "description", "owner__username", "owner__email"]
    search_help_text = (
        "Titles, descriptions, owners' usernames and emails. In titles and "
        "descriptions a word of one or two letters finds the words it starts."
    )
    list_select_related = ["owner"]
    autocomplete_fields = ["owner"]
    readonly_fields = [
        "tag_list", "completed_at", "deleted_at", "created_at", "updated_at"
    ]  # fmt: skip
    fields = [
        "owner", "title", "description", "completed", "priority", "due_at",
        "due_date", *readonly_fields,
    ]  # fmt: skip
    # No date_hierarchy: it reads the oldest and newest task, then every
    # distinct year, month or day, over all the rows a search or filter
    # matches. The created_at filter offers the same dates without a query.
    # The primary key follows creation order and has an index; sorting a million
    # rows by created_at would not.
    ordering = ["-id"]
    # Sorting a million tasks by any column is a sort of every matching row
    # (0.8-1.5 s at 1,000,000 tasks); the filters narrow the list instead.
    sortable_by = ()
    paginator = EstimatedCountPaginator
    # "N of M selected" would cost another full count.
    show_full_result_count = False
    # Counts beside each filter choice would be a full count per choice.
    show_facets = admin.ShowFacets.NEVER
    actions = ["mark_completed", "mark_not_completed", "restore_from_trash"]

    def get_changelist(self, request, **kwargs):
        return BoundedChangeList

    def save_model(self, request, obj, form, change) -> None:
        moved = change and "owner" in form.changed_data
        if moved:
            # Both owners' change clocks, in owner order as every write that
            # takes two does, so that it cannot deadlock with one of them.
            for owner_id in sorted({form.initial["owner"], obj.owner_id}):
                ChangeClock.objects.advance(owner_id)
        super().save_model(request, obj, form, change)
        if moved:
            # Gone from its old owner's data, as if deleted there.
            Tombstone.objects.record(
                Tombstone.Kind.TASK, [(form.initial["owner"], obj.pk)]
            )
            # A task carries only its owner's tags: the new owner's, by name.
            names = list(obj.tags.values_list("name", flat=True))
            obj.tags.set(tags_named(obj.owner, names))

    @admin.display(description="tags")
    def tag_list(self, task: Task) -> str:
        # Read-only here: a task may only carry its owner's tags, which the API
        # and the tag admin manage.
        return ", ".join(sorted(task.tags.values_list("name", flat=True))) or "-"

    def get_search_results(self, request, queryset, search_term):
        words = [word for word in smart_split(search_term) if _searchable(word)]
        return super().get_search_results(request, queryset, " ".join(words))

    def search_own_fields(self, word: str) -> Q:
        # Owners (a table a hundred times smaller) match by substring always.
        return _text_matches(word)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "description" and field is not None:
            # Kept exactly as written, as the API keeps it.
            field.strip = False  # type: ignore[attr-defined]
        return field

    @admin.action(description="Mark selected tasks as completed")
    def mark_completed(self, request, queryset) -> None:
        changed = queryset.mark_completed()
        self.message_user(
            request, f"Marked {_tasks(changed)} completed.", messages.SUCCESS
        )

    @admin.action(description="Mark selected tasks as not completed")
    def mark_not_completed(self, request, queryset) -> None:
        changed = queryset.mark_open()
        self.message_user(request, f"Reopened {_tasks(changed)}.", messages.SUCCESS)

    @admin.action(description="Restore selected tasks from the trash")
    def restore_from_trash(self, request, queryset) -> None:
        changed = queryset.trashed().update(deleted_at=None)
        self.message_user(request, f"Restored {_tasks(changed)}.", messages.SUCCESS)


def _searchable(word: str) -> bool:
    # pg_trgm makes trigrams of letters and digits only: a word of neither
    # ("!", "--") could only be found by reading every task.
    return any(char.isalnum() for char in word)


def _text_matches(word: str) -> Q:
    """Tasks whose title or description contains `word`; a word without three
    letters or digits in a row only where a word starts (after a space, or
    first)."""
    if re.search(r"[^\W_]{3}", word):
        return Q(title__icontains=word) | Q(description__icontains=word)
    # pg_trgm finds no trigram in "%pa%", so the indexes cannot serve it and a
    # rare pair of letters is a scan of every task. A word's start is padded
    # with spaces in the index ("  p", " pa"), which "pa%" and "% pa%" use.
    return (
        Q(title__istartswith=word)
        | Q(title__icontains=f" {word}")
        | Q(description__istartswith=word)
        | Q(description__icontains=f" {word}")
    )


def _tasks(count: int) -> str:
    return f"{count} task" if count == 1 else f"{count} tasks"


@admin.register(Tag)
class TagAdmin(OwnersFirstSearchMixin, admin.ModelAdmin):
    """Tags for operators: find one by name or owner, rename or delete it."""

    list_display = ["name", "owner", "created_at"]
    search_fields = ["name", "owner__username", "owner__email"]
    list_select_related = ["owner"]
    autocomplete_fields = ["owner"]
    ordering = ["-id"]

    def search_own_fields(self, word: str) -> Q:
        return Q(name__icontains=word)

    def get_readonly_fields(self, request, obj=None):
        # Moving a tag to another user would leave it on its old owner's tasks.
        return ["owner"] if obj is not None else []


def _task_count(**filters) -> Coalesce:
    # A correlated subquery per row on the page, rather than a JOIN and GROUP BY
    # over every task: the page's 100 users cost 100 index lookups.
    counts = (
        Task.objects.alive()  # the trash is counted nowhere
        .filter(owner=OuterRef("pk"), **filters)
        .order_by()
        .values("owner")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


class UserWithTasksAdmin(UserAdmin):
    """The users app's admin, with each user's open and done tasks counted
    (registered from here: the users app knows nothing of tasks)."""

    list_display = [
        *UserAdmin.list_display[:2],
        "open_tasks",
        "done_tasks",
        *UserAdmin.list_display[2:],
    ]

    def get_queryset(self, request) -> QuerySet[User]:
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith(
            "changelist"
        ):
            queryset = queryset.annotate(
                open_task_count=_task_count(completed=False),
                done_task_count=_task_count(completed=True),
            )
        return queryset

    @admin.display(description="open tasks")
    def open_tasks(self, user: User) -> int:
        return user.open_task_count  # type: ignore[attr-defined]  # annotated above

    @admin.display(description="done tasks")
    def done_tasks(self, user: User) -> int:
        return user.done_task_count  # type: ignore[attr-defined]  # annotated above


admin.site.unregister(User)
admin.site.register(User, UserWithTasksAdmin)
