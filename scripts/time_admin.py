"""Time the admin's change lists on the configured database (a seeded one).

    DATABASE_URL=postgres://... .venv/bin/python scripts/time_admin.py

Creates (or reuses) a superuser "timing-admin", requests each page five times
in-process with Django's test client, and prints the median of the last four
with the number of SQL statements. Meant for a scratch database seeded with
`manage.py seed_tasks --users 10000 --tasks-per-user 100`.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "todo_project.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from tasks.models import Task  # noqa: E402
from users.models import User  # noqa: E402

PAGES = [
    "/admin/tasks/task/",
    "/admin/tasks/task/?completed__exact=0",
    "/admin/tasks/task/?q=passport",
    "/admin/tasks/task/?q=seed-000123",
    "/admin/tasks/task/?created_at__year={year}&created_at__month=3",
    "/admin/tasks/task/?q=a",
    "/admin/tasks/task/?q=pa",
    "/admin/tasks/task/?q=zq",
    "/admin/tasks/task/?q=the",
    "/admin/tasks/task/?q=a&completed__exact=0",
    "/admin/tasks/task/?q=pa&priority__exact=3",
    "/admin/tasks/task/?q=seed-000123%40example.com",
    "/admin/tasks/task/?q=zzzz",
    "/admin/tasks/task/?deleted_at__isempty=0",
    "/admin/tasks/tag/",
    "/admin/tasks/tag/?q=w",
    "/admin/tasks/tag/?q=wo",
    "/admin/tasks/tag/?q=work",
    "/admin/tasks/tag/?q=seed-000123",
    "/admin/users/user/",
    "/admin/users/user/?q=seed-0001",
    "/admin/users/user/?q=s",
    "/admin/users/user/?q=12",
    "/admin/users/user/?q=seed-000123%40example.com",
    "/admin/users/user/?is_staff__exact=0",
    "/admin/users/user/?q=e&is_active__exact=1",
    "/admin/knox/authtoken/",
    "/admin/knox/authtoken/?q=a",
    "/admin/knox/authtoken/?q=seed-000123",
    "/admin/auth/group/",
]


def main() -> None:
    operator, _ = User.objects.get_or_create(
        username="timing-admin",
        defaults={
            "is_staff": True,
            "is_superuser": True,
            "email": "timing@example.com",
        },
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(operator)
    year = Task.objects.order_by("-id").values_list("created_at__year", flat=True)[0]
    counts = f"{Task.objects.count()} tasks, {User.objects.count()} users"
    print(f"{counts} on {connection.vendor}")
    for page in PAGES:
        path = page.format(year=year)
        times = []
        for _ in range(5):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}")
        statements = [q for q in queries if q["sql"] not in ("BEGIN", "COMMIT")]
        print(
            f"| `{path}` | {statistics.median(times[1:]):.0f} ms | {len(statements)} |"
        )


if __name__ == "__main__":
    main()
