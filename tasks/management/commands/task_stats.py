import statistics

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Q
from django.template.defaultfilters import pluralize
from django.utils import timezone

from tasks.models import Task
from users.models import User


class Command(BaseCommand):
    help = (
        "What an operator asks first: totals, how tasks spread over users, the "
        "busiest users and the oldest open tasks."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--top", type=int, default=10, help="Rows in each top list (default: 10)."
        )

    def handle(self, *args, top: int, **options) -> None:
        if top < 1:
            raise CommandError("--top must be at least 1.")
        out = self.stdout.write
        # Tasks in the trash are left out, as the API leaves them out.
        tasks = Task.objects.alive()
        totals = tasks.aggregate(
            tasks=Count("id"), open=Count("id", filter=Q(completed=False))
        )
        users = User.objects.count()
        done = totals["tasks"] - totals["open"]
        share = (
            f" ({100 * done / totals['tasks']:.1f}% done)" if totals["tasks"] else ""
        )
        out(self.style.MIGRATE_HEADING("Totals"))
        out(
            f"  users {users}, tasks {totals['tasks']}: "
            f"{totals['open']} open, {done} done{share}; "
            f"{Task.objects.trashed().count()} in the trash"
        )

        per_user = sorted(
            tasks.values("owner").annotate(n=Count("id")).values_list("n", flat=True)
        )
        out(self.style.MIGRATE_HEADING("Tasks per user"))
        if per_user:
            out(
                f"  users with tasks {len(per_user)}, without {users - len(per_user)}; "
                f"min {per_user[0]}, median {statistics.median(per_user):g}, "
                f"p90 {_percentile(per_user, 90)}, p99 {_percentile(per_user, 99)}, "
                f"max {per_user[-1]}, mean {statistics.fmean(per_user):.1f}"
            )
        else:
            out("  no tasks yet")

        out(self.style.MIGRATE_HEADING(f"Busiest users (top {top})"))
        busiest = (
            tasks.values("owner__username")
            .annotate(total=Count("id"), open=Count("id", filter=Q(completed=False)))
            .order_by("-total", "owner__username")[:top]
        )
        for row in busiest:
            out(
                f"  {row['owner__username']:<30} {row['total']:>8} "
                f"task{pluralize(row['total'])}, "
                f"{row['open']:>8} open"
            )

        out(self.style.MIGRATE_HEADING(f"Oldest open tasks (top {top})"))
        now = timezone.now()
        oldest = tasks.open().select_related("owner").order_by("created_at", "id")
        for task in oldest[:top]:
            age = (now - task.created_at).days
            out(
                f"  {age:>5} {'day' + pluralize(age):<4}  {task.owner.username:<24} "
                f"#{task.pk} {task.title[:60]}"
            )


def _percentile(sorted_values: list[int], percent: int) -> int:
    index = max(0, -(-len(sorted_values) * percent // 100) - 1)
    return sorted_values[index]
