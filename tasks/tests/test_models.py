import pytest
from django.db import IntegrityError, transaction

from tasks.models import Task
from tasks.tests.factories import TaskFactory

pytestmark = pytest.mark.django_db


def test_completing_sets_completed_at_and_reopening_clears_it():
    task = TaskFactory()
    assert task.completed_at is None

    task.completed = True
    task.save()
    assert task.completed_at is not None

    task.completed = False
    task.save()
    assert task.completed_at is None


def test_saving_a_completed_task_keeps_its_first_completion_time():
    task = TaskFactory(completed=True)
    first = task.completed_at

    task.title = "renamed"
    task.completed = True
    task.save()

    task.refresh_from_db()
    assert task.completed_at == first


def test_save_with_update_fields_completed_also_writes_completed_at():
    task = TaskFactory()

    task.completed = True
    task.save(update_fields=["completed"])

    task.refresh_from_db()
    assert task.completed_at is not None


@pytest.mark.parametrize("title", ["", "   ", "\t\n", " \r\n "])
def test_database_refuses_a_blank_title(title):
    task = TaskFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.filter(pk=task.pk).update(title=title)


def test_database_refuses_completed_without_completed_at():
    task = TaskFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.filter(pk=task.pk).update(completed=True)


def test_default_ordering_is_newest_first():
    first, second, third = TaskFactory(), TaskFactory(), TaskFactory()

    assert list(Task.objects.all()) == [third, second, first]


def test_open_and_done_querysets():
    open_task, done_task = TaskFactory(), TaskFactory(completed=True)

    assert list(Task.objects.open()) == [open_task]
    assert list(Task.objects.done()) == [done_task]


def test_deleting_a_user_deletes_their_tasks():
    task = TaskFactory()

    task.owner.delete()

    assert not Task.objects.exists()


def test_each_serializer_gets_fields_of_its_own():
    from tasks.serializers import TaskSerializer

    first, second = TaskSerializer(), TaskSerializer()

    for name in ("title", "tags", "priority", "id"):
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first
        assert second.fields[name].parent is second
    assert first.fields["tags"].child is not second.fields["tags"].child
    assert second.fields["tags"].child.parent is second.fields["tags"]
