"""Settings fail closed: production mode without its secrets refuses to start."""

import json

import pytest

from todo_project.tests.processes import run_python


def start_django(**env: str):
    return run_python("-c", "import django; django.setup()", **env)


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


PRODUCTION = {"DJANGO_SECRET_KEY": "x" * 50, "DJANGO_ALLOWED_HOSTS": "api.example.com"}


def production_answers() -> dict:
    """Status and headers of a few answers from a production-mode process (the
    settings as deployed, not a test's overrides)."""
    code = (
        "import django, json; django.setup()\n"
        "from django.test import Client\n"
        "client = Client(HTTP_HOST='api.example.com')\n"
        "answers = {\n"
        "    'health': client.get('/health/live', secure=True),\n"
        "    'api': client.get('/api/v1/tasks/', secure=True),\n"
        "    'bearer': client.get('/api/v1/tasks/', secure=True,\n"
        "                         HTTP_AUTHORIZATION='Bearer x'),\n"
        "    'plain http': client.get('/api/v1/tasks/'),\n"
        "}\n"
        "print(json.dumps({name: [a.status_code, dict(a.headers)]\n"
        "                  for name, a in answers.items()}))\n"
    )
    result = run_python("-c", code, check=True, **PRODUCTION)
    return json.loads(result.stdout.splitlines()[-1])


def test_production_answers_carry_the_security_headers():
    answers = production_answers()

    for name in ("health", "api", "bearer"):  # both middleware chains
        headers = answers[name][1]
        assert headers["Strict-Transport-Security"] == (
            "max-age=60; includeSubDomains; preload"
        ), name
        assert headers["X-Content-Type-Options"] == "nosniff", name
        assert headers["X-Frame-Options"] == "DENY", name
        assert headers["Referrer-Policy"] == "same-origin", name
        assert headers["Cross-Origin-Opener-Policy"] == "same-origin", name
    assert answers["api"][0] == answers["bearer"][0] == 401
    status, headers = answers["plain http"]
    assert (status, headers["Location"]) == (
        301,
        "https://api.example.com/api/v1/tasks/",
    )


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_unreadable_boolean_is_refused(value):
    result = start_django(DJANGO_DEBUG=value)

    assert result.returncode != 0
    assert "DJANGO_DEBUG must be true or false" in result.stderr


def test_debug_mode_runs_without_any_configuration():
    result = start_django(DJANGO_DEBUG="true")

    assert result.returncode == 0, result.stderr


def database_settings(**env: str) -> dict:
    """The default database's settings, as a process with `env` would see them."""
    code = (
        "import json; from django.conf import settings as s; "
        "print(json.dumps({**s.DATABASES['default'], "
        "'QUERY_TIMEOUT': s.DATABASE_QUERY_TIMEOUT}, default=str))"
    )
    result = run_python("-c", code, check=True, **{"DJANGO_DEBUG": "true", **env})
    return json.loads(result.stdout)


POOLED = "postgresql://u:p@ep-x-pooler.neon.tech/todo?sslmode=require&channel_binding=require"
DIRECT = "postgresql://u:p@ep-x.neon.tech/todo?sslmode=require&channel_binding=require"


def test_without_database_url_the_app_uses_sqlite():
    assert database_settings()["ENGINE"] == "django.db.backends.sqlite3"
    assert database_settings(DATABASE_URL="")["ENGINE"] == "django.db.backends.sqlite3"


def test_postgres_url_gets_the_pooler_safe_backend_and_settings():
    db = database_settings(DATABASE_URL=POOLED)

    assert db["ENGINE"] == "todo_project.postgres"
    assert db["HOST"] == "ep-x-pooler.neon.tech"
    assert db["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert db["ATOMIC_REQUESTS"] is True
    assert db["CONN_HEALTH_CHECKS"] is True
    assert 0 < db["CONN_MAX_AGE"] < 300
    assert db["OPTIONS"] == {
        "sslmode": "require",
        "channel_binding": "require",
        "connect_timeout": 5,
        "prepare_threshold": None,
    }
    assert db["QUERY_TIMEOUT"] == 10


def test_url_options_win_over_defaults_and_prepared_statements_can_be_enabled():
    db = database_settings(
        DATABASE_URL=POOLED + "&connect_timeout=9", DATABASE_PREPARE_THRESHOLD="5"
    )

    assert db["OPTIONS"]["connect_timeout"] == 9
    assert db["OPTIONS"]["prepare_threshold"] == 5


def test_management_commands_use_the_direct_url_without_a_deadline():
    env = {"DATABASE_URL": POOLED, "DATABASE_URL_DIRECT": DIRECT}

    web = database_settings(**env)
    management = database_settings(**env, DJANGO_PROCESS="management")

    assert web["HOST"] == "ep-x-pooler.neon.tech"
    assert management["HOST"] == "ep-x.neon.tech"
    assert management["QUERY_TIMEOUT"] == 0


def test_management_commands_fall_back_to_database_url():
    db = database_settings(DATABASE_URL=POOLED, DJANGO_PROCESS="management")

    assert db["HOST"] == "ep-x-pooler.neon.tech"


@pytest.mark.parametrize("optimized", ["true", "false"])
def test_one_switch_turns_the_api_optimizations_off(optimized):
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "f = s.REST_FRAMEWORK; print(json.dumps([s.API_TOKEN_CACHE, s.API_LIST_CACHE, "
        "s.DATABASE_HEALTH_CHECK_AFTER, s.API_MIDDLEWARE == s.MIDDLEWARE, "
        "f['DEFAULT_RENDERER_CLASSES'][0], f['DEFAULT_CONTENT_NEGOTIATION_CLASS']]))"
    )
    result = run_python(
        "-c",
        code,
        DJANGO_DEBUG="true",
        REDIS_URL="redis://127.0.0.1:6379/15",
        API_OPTIMIZATIONS=optimized,
    )

    assert result.returncode == 0, result.stderr
    if optimized == "true":
        assert json.loads(result.stdout) == [
            True, True, 1, False,
            "api.renderers.JSONRenderer",
            "api.negotiation.ContentNegotiation",
        ]  # fmt: skip
    else:
        assert json.loads(result.stdout) == [
            False, False, 0, True,
            "rest_framework.renderers.JSONRenderer",
            "rest_framework.negotiation.DefaultContentNegotiation",
        ]  # fmt: skip
