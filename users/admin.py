from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from tasks.models import Task

from .models import User


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


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's user admin (password hashing, permissions) with task counts."""

    list_display = [
        "username",
        "email",
        "open_tasks",
        "done_tasks",
        "is_staff",
        "is_active",
        "date_joined",
    ]
    search_fields = ["username", "email"]
    ordering = ["-date_joined"]
    show_full_result_count = False

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
