from django.db import migrations

# Trigram indexes serve "contains" searches (the admin's, the API's `search`) on
# PostgreSQL: Django's icontains is UPPER(col) LIKE UPPER('%word%'), which a
# B-tree cannot help with. pg_trgm is a trusted extension (Neon has it), so the
# database owner may create it. Other databases get nothing.
INDEXED = {"task_title_trgm_idx": "title", "task_description_trgm_idx": "description"}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXED.items():
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON tasks_task "
            f"USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXED:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    # CONCURRENTLY: building the indexes on a live table must not block writes,
    # and cannot run inside a transaction.
    atomic = False

    dependencies = [("tasks", "0001_initial")]

    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]
