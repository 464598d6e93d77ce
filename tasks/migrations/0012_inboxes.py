"""Every user gets an inbox, which takes all of their tasks, in the order they
were created (oldest first, as a list shows them by hand)."""

from django.conf import settings
from django.db import migrations
from django.db.models import OuterRef, Subquery

from tasks import positions

BATCH = 1000


def fill(apps, schema_editor) -> None:
    db = schema_editor.connection.alias
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    TaskList = apps.get_model("tasks", "TaskList")
    Task = apps.get_model("tasks", "Task")
    users = user_model._default_manager.using(db).values_list("pk", flat=True)
    inboxes = [
        TaskList(
            owner_id=pk,
            name="Inbox",
            is_inbox=True,
            position=positions.key_between(None, None),
        )
        for pk in users.iterator()
    ]
    TaskList.objects.using(db).bulk_create(inboxes, batch_size=BATCH)
    inbox = TaskList.objects.using(db).filter(owner=OuterRef("owner"), is_inbox=True)
    Task.objects.using(db).update(list=Subquery(inbox.values("pk")[:1]))
    for owner in (
        Task.objects.using(db)
        .values_list("owner", flat=True)
        .distinct()
        .order_by()
        .iterator()
    ):
        pks = list(
            Task.objects.using(db)
            .filter(owner=owner)
            .order_by("created_at", "id")
            .values_list("pk", flat=True)
        )
        keys = positions.spread(len(pks))
        rows = [Task(pk=pk, position=key) for pk, key in zip(pks, keys, strict=True)]
        Task.objects.using(db).bulk_update(rows, ["position"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0011_lists"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
