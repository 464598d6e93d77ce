"""Task lists, subtasks and manual order: the new columns, nullable until
0012 fills them in (each step its own transaction on PostgreSQL, which will not
alter a table with row changes pending in the same transaction)."""

import django.db.models.deletion
import django.db.models.functions.text
import django.db.models.lookups
import tasks.models.fields
import tasks.models.tasklist
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0010_idempotency_keys_to_api"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="task",
            name="parent",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="children",
                to="tasks.task",
            ),
        ),
        migrations.AddField(
            model_name="task",
            name="position",
            field=tasks.models.fields.PositionField(
                default="", editable=False, max_length=255
            ),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="tombstone",
            name="kind",
            field=models.CharField(
                choices=[("task", "Task"), ("tag", "Tag"), ("list", "List")],
                max_length=8,
            ),
        ),
        migrations.CreateModel(
            name="TaskList",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                (
                    "change_seq",
                    models.BigIntegerField(db_default=0, default=0, editable=False),
                ),
                ("name", models.CharField(max_length=120)),
                (
                    "color",
                    models.CharField(
                        blank=True,
                        max_length=7,
                        null=True,
                        validators=[tasks.models.tasklist.COLOR],
                    ),
                ),
                (
                    "position",
                    tasks.models.fields.PositionField(editable=False, max_length=255),
                ),
                ("is_inbox", models.BooleanField(default=False, editable=False)),
                (
                    "archived_at",
                    models.DateTimeField(blank=True, editable=False, null=True),
                ),
                (
                    "deleted_at",
                    models.DateTimeField(blank=True, editable=False, null=True),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "owner",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="task_lists",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["position", "id"],
            },
        ),
        migrations.AddField(
            model_name="task",
            name="list",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="tasks",
                to="tasks.tasklist",
            ),
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(
                fields=["list", "position", "id"], name="task_list_position_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(
                fields=["parent", "position"], name="task_parent_position_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="tasklist",
            index=models.Index(
                fields=["owner", "position", "id"], name="list_owner_position_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="tasklist",
            index=models.Index(
                fields=["owner", "change_seq"], name="list_owner_seq_idx"
            ),
        ),
        migrations.AddConstraint(
            model_name="tasklist",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_inbox", True)),
                fields=("owner",),
                name="list_one_inbox_per_owner",
                violation_error_message="A user has one inbox.",
            ),
        ),
        migrations.AddConstraint(
            model_name="tasklist",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("is_inbox", False),
                    models.Q(
                        ("archived_at__isnull", True), ("deleted_at__isnull", True)
                    ),
                    _connector="OR",
                ),
                name="list_inbox_stays",
                violation_error_message="The inbox is never archived or trashed.",
            ),
        ),
        migrations.AddConstraint(
            model_name="tasklist",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.GreaterThan(
                    django.db.models.functions.text.Length(
                        django.db.models.functions.text.Trim(
                            django.db.models.functions.text.Replace(
                                django.db.models.functions.text.Replace(
                                    django.db.models.functions.text.Replace(
                                        models.F("name"),
                                        models.Value("\t"),
                                        models.Value(" "),
                                    ),
                                    models.Value("\n"),
                                    models.Value(" "),
                                ),
                                models.Value("\r"),
                                models.Value(" "),
                            )
                        )
                    ),
                    0,
                ),
                name="list_name_not_blank",
                violation_error_message="A list's name may not be blank.",
            ),
        ),
    ]
