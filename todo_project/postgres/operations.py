"""Migration operations for a live PostgreSQL database."""

from django.db import migrations


class AddIndexConcurrently(migrations.AddIndex):
    """AddIndex that, on PostgreSQL, builds the index without blocking writes.

    A failed earlier run can leave an INVALID index of the same name, which
    CREATE INDEX CONCURRENTLY IF NOT EXISTS would keep: it is dropped first
    (the migration is only recorded as applied on success). Elsewhere a plain
    AddIndex. The migration that uses it must set `atomic = False`.
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_forwards(
                app_label, schema_editor, from_state, to_state
            )
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.remove_index(model, self.index, concurrently=True)
            schema_editor.add_index(model, self.index, concurrently=True)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_backwards(
                app_label, schema_editor, from_state, to_state
            )
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.remove_index(model, self.index, concurrently=True)
