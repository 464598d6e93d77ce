import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory

from todo_project.wsgi import application
from users.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ORIGIN = "https://app.example.com"


def wsgi_get(path: str, **headers) -> tuple[int, dict[str, str], bytes]:
    """A GET through the WSGI application the server runs, middleware and all;
    the response's header names in lower case."""
    environ = RequestFactory().get(path, headers=headers).environ
    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"] = int(status.split()[0])
        answer["headers"] = {name.lower(): value for name, value in response_headers}

    # As Django's test client does: closing "old" connections at the start and
    # end of a request would close the test's own, inside its transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response = application(environ, start_response)
        body = b"".join(response)
        response.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return answer["status"], answer["headers"], body


@pytest.fixture
def cors(settings):
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]


@pytest.mark.parametrize("path", ["/api/v1/tasks/", "/api/v1/tasks/0/"])
def test_token_requests_get_the_full_chains_headers(
    cors, auth_client, login, user, path
):
    token = login(user)
    full = auth_client.get(path, HTTP_ORIGIN=ORIGIN)

    status, headers, _ = wsgi_get(path, authorization=f"Bearer {token}", origin=ORIGIN)

    assert status == full.status_code
    expected = {name.lower(): value for name, value in full.items()}
    # The second request has one request fewer left, and an id of its own.
    for counted in (headers, expected):
        assert counted.pop("ratelimit").startswith('"user";r=')
        assert len(counted.pop("x-request-id")) == 32
    assert headers == expected
    assert headers["ratelimit-policy"] == '"user";q=1200;w=60'
    assert headers["access-control-allow-origin"] == ORIGIN
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"


def test_a_browser_session_still_reaches_the_api(client, user):
    client.login(username=user.username, password=PASSWORD)
    cookie = client.cookies["sessionid"].value

    status, _, body = wsgi_get("/api/v1/users/me/", cookie=f"sessionid={cookie}")

    assert status == 200
    assert user.username.encode() in body


def test_a_bad_token_is_refused_on_the_short_chain(user):
    status, headers, _ = wsgi_get("/api/v1/tasks/", authorization="Bearer " + "0" * 64)

    assert status == 401
    assert headers["www-authenticate"] == "Bearer"


def test_no_middleware_runs_twice(settings):
    for chain in (settings.MIDDLEWARE, settings.API_MIDDLEWARE):
        assert len(set(chain)) == len(chain)
