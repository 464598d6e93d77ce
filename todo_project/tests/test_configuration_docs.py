"""The docs keep up with the settings: every variable the settings module reads
is explained in docs/configuration.md and listed in .env.example, and the README
stays a front door (at most 200 lines, no table of variables of its own)."""

import ast
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
SETTINGS = BASE_DIR / "todo_project" / "settings.py"
CONFIGURATION = BASE_DIR / "docs" / "configuration.md"
ENV_EXAMPLE = BASE_DIR / ".env.example"
README = BASE_DIR / "README.md"
README_MAX_LINES = 200

# The helpers settings.py reads variables through, besides os.environ.get.
READERS = {"env_bool", "env_int", "env_list"}
# Read by the settings but not for a .env: named there in a comment, with why.
NOT_FOR_ENV_FILE = {
    "DJANGO_PROCESS": "manage.py sets it for its own processes",
}


def variables_read(source: str) -> set[str]:
    """Names passed as a literal to os.environ.get / os.getenv / os.environ[...]
    or to env_bool / env_int / env_list."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and node.args:
            name = node.args[0]
            reads = ast.unparse(node.func) in {"os.environ.get", "os.getenv", *READERS}
        elif isinstance(node, ast.Subscript):
            name = node.slice
            reads = ast.unparse(node.value) == "os.environ"
        else:
            continue
        if reads and isinstance(name, ast.Constant) and isinstance(name.value, str):
            names.add(name.value)
    return names


SETTINGS_VARIABLES = sorted(variables_read(SETTINGS.read_text()))


def test_the_settings_parser_finds_what_the_settings_read():
    # Guards the tests below against passing because nothing was found.
    found = set(SETTINGS_VARIABLES)
    assert {"DJANGO_DEBUG", "DJANGO_SECRET_KEY", "DATABASE_URL"} <= found
    assert {"DJANGO_ALLOWED_HOSTS", "DJANGO_CONN_MAX_AGE", "RATE_LIMIT_USER"} <= found
    assert "name" not in found  # the helpers' own parameter is not a variable
    assert variables_read('env_int("A", 1); os.environ.get("B"); x = "C"') == {"A", "B"}


@pytest.mark.parametrize("name", SETTINGS_VARIABLES)
def test_every_settings_variable_has_a_row_in_the_configuration_table(name):
    rows = [
        line for line in CONFIGURATION.read_text().splitlines() if line.startswith("|")
    ]
    assert any(f"`{name}`" in row for row in rows), (
        f"{name} is read by todo_project/settings.py but has no row in "
        "docs/configuration.md's table."
    )


@pytest.mark.parametrize("name", SETTINGS_VARIABLES)
def test_every_settings_variable_is_in_the_env_example(name):
    lines = ENV_EXAMPLE.read_text().splitlines()
    if name in NOT_FOR_ENV_FILE:
        assert not any(line.startswith(f"{name}=") for line in lines)
        assert any(line.startswith("#") and name in line for line in lines), (
            f".env.example should say why {name} is not set there."
        )
        return
    assert any(line.startswith(f"{name}=") for line in lines), (
        f"{name} is read by todo_project/settings.py but .env.example has no "
        f"'{name}=' line."
    )


def test_the_readme_is_a_front_door_of_at_most_200_lines():
    lines = len(README.read_text().splitlines())
    assert lines <= README_MAX_LINES, (
        f"README.md has {lines} lines; move detail under docs/ "
        f"(at most {README_MAX_LINES})."
    )


def test_the_readme_holds_no_second_table_of_variables():
    rows = [line for line in README.read_text().splitlines() if line.startswith("|")]
    variables = [
        name for name in SETTINGS_VARIABLES if any(f"`{name}`" in row for row in rows)
    ]
    assert variables == [], "docs/configuration.md holds the one table of variables."
