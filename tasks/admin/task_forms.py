"""The task admin's forms: the task's own, and its change list's action bar."""

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.widgets import ForeignKeyRawIdWidget

from ..models import CHILDREN_PER_TASK, MAX_DEPTH, Task, TaskList
from .task_actions import refuses_tasks


class TaskAdminForm(forms.ModelForm):
    """The task form, checking where a task goes as the API does: one of its
    owner's lists, under a parent in that list, within the limits."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "list" in self.fields:
            self.fields["list"].required = False
            self.fields["list"].help_text = (
                "One of the owner's lists. Empty: the parent's list, or else the "
                "owner's inbox."
            )

    def clean(self):
        super().clean()
        data = self.cleaned_data
        owner, parent = data.get("owner"), data.get("parent")
        if owner is None or self.has_error("list") or self.has_error("parent"):
            return data
        task_list = data.get("list") or (
            parent.list if parent else TaskList.objects.inbox_of(owner.pk)
        )
        data["list"] = task_list
        if task_list.owner_id != owner.pk:
            self.add_error(
                "list",
                "This list is another user's: choose one of the owner's lists, or "
                "leave it empty for their inbox.",
            )
            return data
        task = self.instance
        new_list = task.pk is None or task_list.pk != task.list_id
        new_parent = (parent.pk if parent else None) != task.parent_id
        moving = task.pk is not None and (
            new_list or new_parent or owner.pk != task.owner_id
        )
        if parent is not None and parent.list_id != task_list.pk:
            self.add_error("parent", "The parent must be in the task's list.")
        elif moving and task.children.exists():
            self.add_error(
                "list" if new_list else "parent",
                "This task has subtasks, which would stay behind: move it with "
                'them by the "Move to another list" action or the API.',
            )
        elif parent is not None and new_parent:
            self._check_parent(parent)
        refusal = refuses_tasks(task_list, adding=1) if new_list else None
        if refusal:
            self.add_error("list", refusal)
        return data

    def _check_parent(self, parent: Task) -> None:
        """A new parent, in the task's list already."""
        deepest = "parent__" * (MAX_DEPTH - 2) + "parent__isnull"
        if parent.pk == self.instance.pk:
            problem = "A task cannot be its own subtask."
        elif parent.deleted_at is not None:
            problem = "This task is in the trash."
        elif Task.objects.filter(pk=parent.pk, **{deepest: False}).exists():
            problem = f"Subtasks nest at most {MAX_DEPTH} levels deep."
        elif Task.objects.filter(parent=parent).alive().count() >= CHILDREN_PER_TASK:
            problem = f"A task has at most {CHILDREN_PER_TASK:,} subtasks."
        else:
            return
        self.add_error("parent", problem)


class TaskActionForm(helpers.ActionForm):
    """The changelist's action bar, with the list the "Move to another
    list" action moves tasks to (a list's id, or found with the magnifier).

    A field here rather than a page between: the lookup popup finds the list
    by name or owner, and a refusal comes back as a message with the selection
    unchanged.
    """

    target_list = forms.CharField(
        label="To list:",
        required=False,
        widget=ForeignKeyRawIdWidget(
            Task._meta.get_field("list").remote_field,
            admin.site,
            # The lookup popup fills the input with this id (the action bar's
            # form has none of its own).
            attrs={"id": "id_target_list", "size": 8},
        ),
    )
