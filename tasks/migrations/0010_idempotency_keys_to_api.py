"""Idempotency keys move to the api app (the HTTP layer every app uses).

The keys are copied first, each with its own time (and so its expiry), so
that a client retrying a POST across the deploy still gets its first answer
replayed.
"""

from django.db import migrations

FIELDS = ["owner_id", "key", "fingerprint", "status", "body", "headers", "created_at"]


def copy_keys(apps, schema_editor):
    old = apps.get_model("tasks", "IdempotencyKey")
    new = apps.get_model("api", "IdempotencyKey")
    database = schema_editor.connection.alias
    # Each key keeps its own time, and so its expiry (a historical model: this
    # changes nothing outside the migration).
    new._meta.get_field("created_at").auto_now_add = False
    rows = old.objects.using(database).values(*FIELDS).iterator(chunk_size=1000)
    batch = []
    for row in rows:
        batch.append(new(**row))
        if len(batch) == 1000:
            new.objects.using(database).bulk_create(batch)
            batch = []
    new.objects.using(database).bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0009_next_change_seq"),
        ("api", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(copy_keys, migrations.RunPython.noop, elidable=True),
        migrations.DeleteModel(name="IdempotencyKey"),
    ]
