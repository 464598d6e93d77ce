import factory

from tasks.models import Task
from users.tests.factories import UserFactory


class TaskFactory(factory.django.DjangoModelFactory):
    owner = factory.SubFactory(UserFactory)
    title = factory.Faker("sentence", nb_words=4)
    description = factory.Faker("paragraph")

    class Meta:
        model = Task
