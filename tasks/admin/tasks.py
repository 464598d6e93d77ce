import re

from django.contrib import admin, messages
from django.db.models import Q, Subquery
from django.utils.html import format_html
from django.utils.text import smart_split

from users.admin import OwnersFirstSearchMixin

from ..models import ChangeClock, Task, TaskList, Tombstone
from ..tags import tags_named
from . import task_actions
from .changelist import BoundedChangeList, EstimatedCountPaginator, an_id
from .task_forms import TaskActionForm, TaskAdminForm


class TaskByListFilter(admin.SimpleListFilter):
    """Tasks of one list, reached from a task's list column; once one is
    chosen, its owner's other lists are offered beside it.

    A choice of every list would put every user's lists in the sidebar (three
    per user: hundreds of thousands of rows, read on every page view); one
    owner's are at most LISTS_PER_USER, read only while one is chosen.
    """

    title = "list"
    parameter_name = "list"

    def lookups(self, request, model_admin):
        # Django applies a filter only while it offers a choice.
        if self.value() is None:
            return []
        chosen = an_id(self.value())
        if chosen is None:
            return [(self.value(), "no such list")]
        owner = TaskList.objects.filter(pk=chosen).values("owner_id")
        lists = TaskList.objects.filter(owner_id=Subquery(owner)).order_by(
            "position", "id"
        )
        choices = [(str(pk), name) for pk, name in lists.values_list("pk", "name")]
        return choices or [(self.value(), "no such list")]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        chosen = an_id(self.value())
        return queryset.none() if chosen is None else queryset.filter(list_id=chosen)


@admin.register(Task)
class TaskAdmin(OwnersFirstSearchMixin, admin.ModelAdmin):
    """Tasks for operators: find, inspect and correct them."""

    list_display = [
        "title", "owner", "list_link", "parent", "completed", "priority", "due_by",
        "created_at", "updated_at",
    ]  # fmt: skip
    # "deleted at: not empty" is the trash; deleting here deletes for good.
    list_filter = [
        "completed",
        "priority",
        ("deleted_at", admin.EmptyFieldListFilter),
        "created_at",
        TaskByListFilter,
    ]
    search_fields = ["title", "description", "owner__username", "owner__email"]
    search_help_text = (
        "Titles, descriptions, owners' usernames and emails. In titles and "
        "descriptions a word of one or two letters finds the words it starts."
    )
    list_select_related = ["owner", "list", "parent"]
    form = TaskAdminForm
    autocomplete_fields = ["owner"]
    # Ids with a lookup popup rather than autocomplete: every user's inbox is
    # "Inbox", and an autocomplete shows names alone; the popup's list shows
    # each one's owner and searches by it.
    raw_id_fields = ["list", "parent"]
    readonly_fields = [
        "position", "tag_list", "completed_at", "deleted_at", "created_at",
        "updated_at",
    ]  # fmt: skip
    fields = [
        "owner", "list", "parent", "title", "description", "completed", "priority",
        "due_at", "due_date", *readonly_fields,
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
    actions = [
        "mark_completed", "mark_not_completed", "restore_from_trash", "move_to_list"
    ]  # fmt: skip
    action_form = TaskActionForm

    def get_changelist(self, request, **kwargs):
        return BoundedChangeList

    def save_model(self, request, obj, form, change) -> None:
        place = (obj.list_id, obj.parent_id)
        placed = not change or place != (form.initial["list"], form.initial["parent"])
        if placed:
            # Last among its new siblings, with the list locked as the API locks
            # it, so that no other write there takes the same key.
            task_actions.locked_lists([obj.list_id])
            obj.position = Task.objects.position_after_last(*place)
        moved = change and "owner" in form.changed_data
        if moved:
            # Both owners' change clocks, in owner order as every write that
            # takes two does, so that it cannot deadlock with one of them.
            for owner_id in sorted({form.initial["owner"], obj.owner_id}):
                ChangeClock.objects.advance(owner_id)
        super().save_model(request, obj, form, change)
        if placed or "completed" in form.changed_data:
            # Its subtasks or the tasks above it follow, as after the API's
            # writes: an open task under a completed one reopens it.
            obj.completion_changed()
        if moved:
            # Gone from its old owner's data, as if deleted there.
            Tombstone.objects.record(
                Tombstone.Kind.TASK, [(form.initial["owner"], obj.pk)]
            )
            # A task carries only its owner's tags: the new owner's, by name.
            names = list(obj.tags.values_list("name", flat=True))
            obj.tags.set(tags_named(obj.owner, names))

    @admin.display(description="list")
    def list_link(self, task: Task) -> str:
        # To this list's tasks (TaskByListFilter).
        return format_html('<a href="?list={}">{}</a>', task.list_id, task.list)

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

    # The state changes go through the model one task at a time, as the API
    # makes them: a task's subtasks or the tasks above it change with it.

    @admin.action(description="Mark selected tasks as completed")
    def mark_completed(self, request, queryset) -> None:
        self._report(
            request,
            task_actions.change_trees(
                queryset, task_actions.set_completed(True), Q(completed=True)
            ),
            "Marked {} completed",
            "with their subtasks",
        )

    @admin.action(description="Mark selected tasks as not completed")
    def mark_not_completed(self, request, queryset) -> None:
        self._report(
            request,
            task_actions.change_trees(
                queryset, task_actions.set_completed(False), Q(completed=False)
            ),
            "Reopened {}",
            "with the tasks above them",
        )

    @admin.action(description="Restore selected tasks from the trash")
    def restore_from_trash(self, request, queryset) -> None:
        self._report(
            request,
            task_actions.change_trees(
                queryset, task_actions.restore, Q(deleted_at__isnull=True)
            ),
            "Restored {}",
            "with their subtasks and the tasks above them",
        )

    def _report(self, request, done: task_actions.TreeChanges, said, reached):
        """Tell the operator what an action changed: `said` with the number of
        tasks selected that changed, and `reached` how the others came along."""
        if done.left_out:
            self.message_user(
                request,
                f"Left out {_tasks(done.left_out)}: {' '.join(done.reasons)}",
                messages.WARNING,
            )
            if not done.changed:
                return
        beyond = f" ({done.total} {reached})" if done.total != done.changed else ""
        self.message_user(
            request, f"{said.format(_tasks(done.changed))}{beyond}.", messages.SUCCESS
        )

    @admin.action(description='Move to another list... (the one in "To list")')
    def move_to_list(self, request, queryset) -> None:
        try:
            target, moved, total = task_actions.move_to_list(
                queryset, request.POST.get("target_list", "").strip()
            )
        except task_actions.Refused as refused:
            self.message_user(request, f"Nothing moved: {refused}", messages.ERROR)
            return
        with_subtasks = f" ({total} with their subtasks)" if total != moved else ""
        self.message_user(
            request,
            f'Moved {_tasks(moved)}{with_subtasks} to the end of "{target}".',
            messages.SUCCESS,
        )


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
