"""X-Request-ID: on every answer, and in the log lines written for it."""

import logging

import pytest

from todo_project.tests.processes import run_python

pytestmark = pytest.mark.django_db


def test_every_answer_has_an_id_of_its_own(auth_client, api_client):
    ids = [
        auth_client.get("/api/v1/tasks/")["X-Request-ID"],
        auth_client.get("/api/v1/tasks/")["X-Request-ID"],
        api_client.get("/api/v1/nowhere/")["X-Request-ID"],  # an error too
        api_client.get("/health/live")["X-Request-ID"],
    ]

    assert len(set(ids)) == 4
    assert all(len(request_id) == 32 for request_id in ids)


@pytest.mark.parametrize(
    ("given", "kept"),
    [("abc-123.DEF_4", True), ("", False), ("has space", False), ("x" * 65, False)],
)
def test_a_sane_id_from_the_client_is_kept(auth_client, given, kept):
    response = auth_client.get("/api/v1/tasks/", HTTP_X_REQUEST_ID=given)

    assert (response["X-Request-ID"] == given) is kept


def test_the_log_lines_of_a_request_carry_its_id(auth_client, caplog, settings):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = auth_client.get("/api/v1/tasks/999999/")

    assert response.status_code == 404
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.request_id == response["X-Request-ID"]
    plain = settings.LOGGING["formatters"]["plain"]["format"]
    line = logging.Formatter(plain).format(record)
    assert f"[{response['X-Request-ID']}]" in line


def test_lines_outside_a_request_say_so(caplog):
    with caplog.at_level(logging.INFO):
        logging.getLogger("tasks").info("a command ran")

    assert caplog.records[-1].request_id == "-"


def test_a_line_written_at_start_up_formats_without_a_logging_error():
    # Before any request, so before the middleware existed: runserver's
    # "Watching for file changes" is such a line.
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('tasks').warning('starting up')"
    )
    result = run_python("-c", code, DJANGO_DEBUG="true")

    assert result.returncode == 0, result.stderr
    assert "Logging error" not in result.stderr
    assert "WARNING tasks [-] starting up" in result.stderr
