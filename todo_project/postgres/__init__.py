"""Django's PostgreSQL backend, made calm behind a transaction-mode pooler (Neon).

Use it as ENGINE "todo_project.postgres"; settings.py does so for postgres URLs.
"""
