from django.db import migrations, models

INDEX = models.Index(fields=["owner", "due_by"], name="task_owner_due_idx")


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # A failed earlier run can leave an INVALID index of this name, which
        # IF NOT EXISTS would keep; the migration is only recorded on success.
        schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS task_owner_due_idx")
        schema_editor.execute(
            "CREATE INDEX CONCURRENTLY task_owner_due_idx "
            "ON tasks_task (owner_id, due_by)"
        )
    else:
        schema_editor.add_index(apps.get_model("tasks", "Task"), INDEX)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS task_owner_due_idx")
    else:
        schema_editor.remove_index(apps.get_model("tasks", "Task"), INDEX)


class Migration(migrations.Migration):
    # As in 0002: building an index on a live table must not block writes.
    atomic = False

    dependencies = [("tasks", "0003_organising")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="task", index=INDEX)],
            database_operations=[
                migrations.RunPython(create_index, drop_index, elidable=False)
            ],
        )
    ]
