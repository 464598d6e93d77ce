"""Settings fail closed: production mode without its secrets refuses to start."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]


def start_django(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "todo_project.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_mode_without_secret_key_refuses_to_start():
    result = start_django(DJANGO_ALLOWED_HOSTS="api.example.com")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_production_mode_without_allowed_hosts_refuses_to_start():
    result = start_django(DJANGO_SECRET_KEY="x" * 50)

    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS is not set" in result.stderr


def test_production_mode_with_both_starts():
    result = start_django(
        DJANGO_SECRET_KEY="x" * 50, DJANGO_ALLOWED_HOSTS="api.example.com"
    )

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_unreadable_boolean_is_refused(value):
    result = start_django(DJANGO_DEBUG=value)

    assert result.returncode != 0
    assert "DJANGO_DEBUG must be true or false" in result.stderr


def test_debug_mode_runs_without_any_configuration():
    result = start_django(DJANGO_DEBUG="true")

    assert result.returncode == 0, result.stderr


def database_engine(**env: str) -> str:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings; "
            "print(settings.DATABASES['default']['ENGINE'])",
        ],
        cwd=BASE_DIR,
        env={
            **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
            "DJANGO_SETTINGS_MODULE": "todo_project.settings",
            "DJANGO_DEBUG": "true",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def test_without_database_url_the_app_uses_sqlite():
    assert database_engine() == "django.db.backends.sqlite3"
    assert database_engine(DATABASE_URL="") == "django.db.backends.sqlite3"


def test_with_a_postgres_database_url_the_app_uses_postgresql():
    engine = database_engine(DATABASE_URL="postgresql://u:p@db.example.com/todo")

    assert "postgresql" in engine
