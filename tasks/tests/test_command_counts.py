"""Every count the tasks app's commands print reads right for one and for many."""

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from tasks.models import Task, Tombstone
from tasks.tests.factories import TaskFactory
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ONE_AND_MANY = [(1, "task"), (2, "tasks")]


def run(*args) -> tuple[str, str]:
    """The command's standard output and standard error."""
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def completed_long_ago(count: int) -> None:
    owner = UserFactory(username="ann")
    for _ in range(count):
        task = TaskFactory(owner=owner, completed=True)
        Task.objects.filter(pk=task.pk).update(
            completed_at=timezone.now() - timedelta(days=40)
        )


@pytest.mark.parametrize(("count", "noun"), ONE_AND_MANY)
def test_purge_tasks_counts(count, noun, monkeypatch):
    completed_long_ago(count)
    prompts = []
    monkeypatch.setattr("builtins.input", lambda prompt: prompts.append(prompt) or "")

    dry_run, _ = run("purge_tasks", "--completed-before", "30", "--dry-run")
    with pytest.raises(Exception, match="Cancelled"):
        run("purge_tasks", "--completed-before", "30")
    deleted, _ = run("purge_tasks", "--completed-before", "30", "--no-input")

    assert f"Would delete {count} {noun} completed before " in dry_run
    assert prompts[0].startswith(f"Delete {count} {noun} completed before ")
    assert f"Deleted {count} {noun}." in deleted


def test_purge_tasks_with_nothing_to_delete():
    completed_long_ago(1)

    output, _ = run("purge_tasks", "--completed-before", "365", "--no-input")

    assert output.startswith("Nothing to delete: no tasks completed before ")


@pytest.mark.parametrize(("count", "noun"), ONE_AND_MANY)
def test_export_tasks_counts(count, noun):
    TaskFactory.create_batch(count, owner=UserFactory(username="ann"))

    _, err = run("export_tasks", "--user", "ann")

    assert f"Exported {count} {noun} of ann to standard output." in err


@pytest.mark.parametrize(("count", "noun"), ONE_AND_MANY)
def test_import_tasks_counts(count, noun, tmp_path):
    UserFactory(username="ann")
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps([{"title": f"t{n}"} for n in range(count)]))

    output, _ = run("import_tasks", str(path), "--user", "ann")

    assert f"Imported {count} {noun} for ann." in output


@pytest.mark.parametrize(("count", "noun"), [(1, "task"), (6, "tasks")])
def test_seed_demo_counts(count, noun, settings):
    settings.DEBUG = True
    if count == 1:  # an account that has tasks keeps them, however few
        TaskFactory(owner=UserFactory(username="demo"))

    output, _ = run("seed_demo")

    assert output.endswith(f"({count} {noun}).\n")


@pytest.mark.parametrize(
    ("args", "counts"),
    [
        (["--users", "1", "--tasks-per-user", "1", "--seed", "1"], "1 user, 1 task"),
        (["--users", "2", "--tasks-per-user", "3"], "2 users, 6 tasks"),
    ],
)
def test_seed_tasks_counts(args, counts):
    output, _ = run("seed_tasks", *args, "--prefix", "counts")

    links = Task.tags.through.objects.count()
    tag_links = "1 tag link" if links == 1 else f"{links} tag links"
    assert f"Created {counts} and {tag_links} in " in output


def test_seed_tasks_can_make_exactly_one_tag_link():
    # The singular above is only tested if the seed makes exactly one.
    run("seed_tasks", "--users", "1", "--tasks-per-user", "1", "--seed", "1")

    assert Task.tags.through.objects.count() == 1


@pytest.mark.parametrize(
    ("count", "tasks", "days"), [(1, "1 task,", "1 day "), (2, "2 tasks,", "2 days")]
)
def test_task_stats_counts(count, tasks, days):
    owner = UserFactory(username="ann")
    for _ in range(count):
        task = TaskFactory(owner=owner)
        Task.objects.filter(pk=task.pk).update(
            created_at=timezone.now() - timedelta(days=count, hours=1)
        )

    output, _ = run("task_stats")

    busiest = output.split("Busiest users")[1].split("Oldest")[0]
    oldest = output.split("Oldest open tasks")[1]
    assert f" {tasks} " in busiest
    assert f" {days}  ann " in oldest


@pytest.mark.parametrize(("count", "noun"), [(1, "deletion"), (2, "deletions")])
def test_purge_tombstones_counts(count, noun):
    for task in TaskFactory.create_batch(count):
        task.delete()
    Tombstone.objects.update(deleted_at=timezone.now() - timedelta(days=91))

    dry_run, _ = run("purge_tombstones", "--dry-run")
    forgot, _ = run("purge_tombstones")

    assert dry_run == f"Would forget {count} {noun}.\n"
    assert forgot == f"Forgot {count} {noun}.\n"
