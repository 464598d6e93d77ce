"""tasks_next_change_seq(owner): ChangeClockManager.advance() as a SQL function,
so that on PostgreSQL the statement that writes a row also takes its change
number (see SyncedModel.save). Other databases take it in a statement of its own.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION tasks_next_change_seq(owner bigint) RETURNS bigint
LANGUAGE sql VOLATILE AS $$
    INSERT INTO tasks_changeclock AS clock (owner_id, seq, pruned_through)
    VALUES (owner, 1, 0)
    ON CONFLICT (owner_id) DO UPDATE SET seq = clock.seq + 1
    RETURNING clock.seq
$$
"""
DROP = "DROP FUNCTION IF EXISTS tasks_next_change_seq(bigint)"


def run(sql: str):
    def operation(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return operation


class Migration(migrations.Migration):
    dependencies = [("tasks", "0008_idempotency_keys")]

    operations = [migrations.RunPython(run(CREATE), run(DROP))]
