from django.db import migrations, models

from todo_project.postgres.operations import AddIndexConcurrently


class Migration(migrations.Migration):
    # As in 0002: building an index on a live table must not block writes.
    atomic = False

    dependencies = [("tasks", "0006_sync")]

    operations = [
        AddIndexConcurrently(
            model_name="task",
            index=models.Index(fields=["owner", "change_seq"], name="task_owner_seq_idx"),
        )
    ]
