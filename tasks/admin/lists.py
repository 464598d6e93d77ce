from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.db.models import Q, QuerySet
from django.template.defaultfilters import pluralize

from users.admin import OwnersFirstSearchMixin

from .. import positions, services
from ..models import LISTS_PER_USER, TaskList
from .changelist import on_changelist, on_own_pages


class TaskListAdminForm(forms.ModelForm):
    """The list form, with the API's limit of lists per user."""

    def clean(self):
        super().clean()
        owner = self.cleaned_data.get("owner")
        if self.instance.pk is not None or owner is None:
            return self.cleaned_data
        if TaskList.objects.filter(owner=owner).alive().count() >= LISTS_PER_USER:
            self.add_error("owner", f"A user has at most {LISTS_PER_USER} lists.")
        return self.cleaned_data


@admin.register(TaskList)
class TaskListAdmin(OwnersFirstSearchMixin, admin.ModelAdmin):
    """Lists for operators: find one by name or owner, see what it holds,
    rename or delete it (never an inbox: it goes only with its account)."""

    list_display = [
        "name", "owner", "is_inbox", "archived", "tasks", "open_tasks", "created_at"
    ]  # fmt: skip
    # "deleted at: not empty" is the trash; deleting here deletes for good,
    # with the list's tasks.
    list_filter = [
        "is_inbox",
        ("archived_at", admin.EmptyFieldListFilter),
        ("deleted_at", admin.EmptyFieldListFilter),
    ]
    # Names match by substring, like tags' (a table of a few rows per user,
    # with no trigram index to spare a scan); owners as every admin here does.
    search_fields = ["name", "owner__username", "owner__email"]
    search_help_text = "List names, owners' usernames and emails."
    list_select_related = ["owner"]
    autocomplete_fields = ["owner"]
    form = TaskListAdminForm
    readonly_fields = [
        "is_inbox", "position", "archived_at", "deleted_at", "created_at", "updated_at"
    ]  # fmt: skip
    fields = ["owner", "name", "color", *readonly_fields]
    ordering = ["-id"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    actions = ["delete_selected"]

    def get_queryset(self, request) -> QuerySet[TaskList]:
        queryset = super().get_queryset(request)
        if on_changelist(request):
            queryset = queryset.with_counts()  # type: ignore[attr-defined]
        return queryset

    def get_readonly_fields(self, request, obj=None):
        # A list moved to another user would hold tasks that are not theirs.
        owner = ["owner"] if obj is not None else []
        return [*owner, *self.readonly_fields]

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            # Last in its owner's order, placed as the API places a list: with
            # the owner's inbox locked, so two lists made at once get
            # distinct keys.
            last = services.lists_of(obj.owner)["last"]
            obj.position = positions.key_between(last, None)
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None) -> bool:
        # Refused on this admin's own pages; where the user admin deletes an
        # account, Django asks here about the inbox that goes with it.
        if obj is not None and obj.is_inbox and on_own_pages(request, self.opts):
            return False
        return super().has_delete_permission(request, obj)

    def search_own_fields(self, word: str) -> Q:
        return Q(name__icontains=word)

    @admin.display(description="archived", boolean=True)
    def archived(self, task_list: TaskList) -> bool:
        return task_list.archived

    @admin.display(description="tasks")
    def tasks(self, task_list: TaskList) -> int:
        return task_list.task_count  # read by get_queryset

    @admin.display(description="open")
    def open_tasks(self, task_list: TaskList) -> int:
        return task_list.open_task_count  # read by get_queryset

    @admin.action(
        permissions=["delete"], description="Delete selected lists (never an inbox)"
    )
    def delete_selected(self, request, queryset):
        inboxes = queryset.filter(is_inbox=True).count()
        if inboxes:
            self.message_user(
                request,
                f"Left out {inboxes} inbox{pluralize(inboxes, 'es')}: an inbox "
                "goes only with its account.",
                messages.WARNING,
            )
            queryset = queryset.filter(is_inbox=False)
            if not queryset.exists():
                return None
        # Django's own, with its page to confirm.
        return delete_selected(self, request, queryset)
