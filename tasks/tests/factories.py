import factory

from tasks.models import Task, TaskList
from users.tests.factories import UserFactory


class TaskListFactory(factory.django.DjangoModelFactory):
    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"List {n}")

    class Meta:
        model = TaskList


class TaskFactory(factory.django.DjangoModelFactory):
    owner = factory.SubFactory(UserFactory)
    parent = None
    # A subtask's list is its parent's; without either, the owner's inbox
    # (Task.save).
    list = factory.LazyAttribute(lambda task: task.parent.list if task.parent else None)
    title = factory.Faker("sentence", nb_words=4)
    description = factory.Faker("paragraph")

    class Meta:
        model = Task
