import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError, connections

from todo_project.tests.processes import run_python


@pytest.mark.django_db
def test_wait_for_db_returns_at_once_when_the_database_answers(capsys):
    call_command("wait_for_db", "--timeout", "5")

    assert "Database available after 1 attempt(s)" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args", [["--timeout", "0"], ["--interval", "-1"], ["--database", "nope"]]
)
def test_wait_for_db_refuses_bad_arguments(args):
    with pytest.raises(CommandError):
        call_command("wait_for_db", *args)


@pytest.mark.parametrize(
    "url",
    [
        # Nothing listens on port 1: refused at once, every attempt.
        "postgresql://todo@127.0.0.1:1/todo",
        "sqlite:////nonexistent-folder/db.sqlite3",
    ],
)
def test_wait_for_db_gives_up_after_its_timeout_with_a_non_zero_exit(url):
    result = run_python(
        "manage.py", "wait_for_db", "--timeout", "2", "--interval", "0.5",
        DATABASE_URL=url, DATABASE_CONNECT_ATTEMPTS="1", DJANGO_DEBUG="true",
    )  # fmt: skip

    assert result.returncode == 1
    assert "Waiting for the database (attempt 1" in result.stdout
    assert "Database unavailable after" in result.stderr


@pytest.mark.parametrize(
    ("interval", "attempts"),
    [("1", r"1 attempt"), ("0.01", r"(?:[2-9]|[1-9]\d+) attempts")],
)
def test_wait_for_db_counts_its_attempts(monkeypatch, interval, attempts):
    def refused():
        raise OperationalError("connection refused")

    monkeypatch.setattr(connections["default"], "cursor", refused)

    with pytest.raises(
        CommandError, match=rf"^Database unavailable after {attempts} in"
    ):
        call_command("wait_for_db", "--timeout", "0.1", "--interval", interval)
