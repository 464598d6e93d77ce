from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.functional import cached_property
from django.utils.text import smart_split, unescape_string_literal

from users.admin import UserAdmin
from users.models import User

from .models import ChangeClock, Tag, Task, Tombstone
from .tags import tags_named

# Owners matched by a search word that are inlined into the task query as ids.
MAX_OWNER_IDS = 1000


class EstimatedCountPaginator(Paginator):
    """Counts an unfiltered PostgreSQL table from its statistics, not COUNT(*).

    COUNT(*) over a million rows is a full scan on every page view; the planner's
    estimate (kept fresh by autovacuum and seed_tasks' ANALYZE) is instant and
    close enough for "page 1 of 10,000". A filtered list is counted exactly.
    """

    # Below this many rows (by the estimate) COUNT(*) is cheap and exact.
    threshold = 100_000

    @cached_property
    def count(self) -> int:
        query = self.object_list.query  # type: ignore[attr-defined]  # a QuerySet
        if connection.vendor == "postgresql" and not query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                    [query.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row and row[0] >= self.threshold:  # -1: never analyzed
                return row[0]
        return super().count


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
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
    list_select_related = ["owner"]
    autocomplete_fields = ["owner"]
    readonly_fields = [
        "tag_list", "completed_at", "deleted_at", "created_at", "updated_at"
    ]  # fmt: skip
    fields = [
        "owner", "title", "description", "completed", "priority", "due_at",
        "due_date", *readonly_fields,
    ]  # fmt: skip
    date_hierarchy = "created_at"
    # The primary key follows creation order and has an index; sorting a million
    # rows by created_at would not.
    ordering = ["-id"]
    paginator = EstimatedCountPaginator
    # "N of M selected" would cost another full count.
    show_full_result_count = False
    # Counts beside each filter choice would be a full count per choice.
    show_facets = admin.ShowFacets.NEVER
    actions = ["mark_completed", "mark_not_completed", "restore_from_trash"]

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
        # Django ORs the four search fields across the join to users, a shape no
        # index serves: a full scan of the tasks, four times per page. Matching
        # owners first, then tasks by title, description or owner id, gives
        # PostgreSQL a BitmapOr of the trigram indexes and the owner index.
        for word in smart_split(search_term):
            if len(word) > 1 and word[0] in "\"'" and word[0] == word[-1]:
                word = unescape_string_literal(word)
            owners = User.objects.filter(
                Q(username__icontains=word) | Q(email__icontains=word)
            ).values_list("pk", flat=True)
            owner_ids = list(owners[: MAX_OWNER_IDS + 1])
            queryset = queryset.filter(
                Q(title__icontains=word)
                | Q(description__icontains=word)
                # A word matching very many owners stays a subquery.
                | Q(owner__in=owners if len(owner_ids) > MAX_OWNER_IDS else owner_ids)
            )
        return queryset, False

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


def _tasks(count: int) -> str:
    return f"{count} task" if count == 1 else f"{count} tasks"


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    """Tags for operators: find one by name or owner, rename or delete it."""

    list_display = ["name", "owner", "created_at"]
    search_fields = ["name", "owner__username", "owner__email"]
    list_select_related = ["owner"]
    autocomplete_fields = ["owner"]
    ordering = ["-id"]

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
