"""Run Python in a fresh process with a controlled environment, for the tests
that must see how the app starts (settings, manage.py)."""

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def run_python(
    *args: str, check: bool = False, **env: str
) -> subprocess.CompletedProcess:
    """`python *args` in the project folder, with the app's settings variables
    reset (so neither this shell nor a developer's .env changes the outcome),
    DEBUG off and no database URL, unless `env` says otherwise."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_"))
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env={
            **inherited,
            "DJANGO_SETTINGS_MODULE": "todo_project.settings",
            "DJANGO_DEBUG": "false",
            "DATABASE_URL": "",
            "DATABASE_URL_DIRECT": "",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=check,
    )
