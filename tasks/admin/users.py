from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from users.admin import UserAdmin
from users.models import User

from ..models import Task
from .changelist import on_changelist


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
        if on_changelist(request):
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
