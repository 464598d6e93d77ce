"""Bodies as real clients send them, to the production server (scripts/serve):
a client that writes its whole body before reading gets its answer."""

import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from api.middleware import DISCARD_AT_MOST
from todo_project.tests import live

MB = 1024 * 1024
LIMIT = 2_621_440  # Django's DATA_UPLOAD_MAX_MEMORY_SIZE, which the app keeps


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    database = live.sqlite_database(tmp_path_factory.mktemp("bodies"))
    with live.server(database, workers=1) as running:
        yield running


@pytest.fixture(scope="module")
def token(running) -> str:
    return live.register(running.base, "uploader")


def connect(running) -> http.client.HTTPConnection:
    port = int(running.base.rsplit(":", 1)[1])
    return http.client.HTTPConnection("127.0.0.1", port, timeout=30)


def chunks(size: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, size, chunk):
        yield b"x" * min(chunk, size - start)


def assert_too_large(status: int, headers, raw: bytes) -> None:
    assert status == 413
    assert headers["Content-Type"] == "application/problem+json"
    body = json.loads(raw)
    assert (body["code"], body["detail"]) == (
        "too_large",
        f"The body is over {LIMIT} bytes.",
    )


@pytest.mark.parametrize("size", [5 * MB, 16 * MB])
def test_urllib_sending_a_body_over_the_limit_reads_the_413(running, token, size):
    request = urllib.request.Request(  # noqa: S310 (loopback)
        running.base + "/api/v1/tasks/",
        method="POST",
        data=b"x" * size,
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {token}",
        },
    )

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)  # noqa: S310

    assert_too_large(refused.value.code, refused.value.headers, refused.value.read())


def test_the_connection_serves_the_next_request_after_a_413(running):
    connection = connect(running)
    headers = {"Content-Type": "application/json"}

    connection.request("POST", "/api/v1/auth/login/", b"x" * 5 * MB, headers)
    refused = connection.getresponse()
    assert_too_large(refused.status, refused.headers, refused.read())
    kept_open = connection.sock  # None had the server said "Connection: close"
    connection.request("GET", "/health/live")
    answer = connection.getresponse()
    answer.read()

    assert answer.status == 200
    assert kept_open is not None and connection.sock is kept_open
    connection.close()


def test_a_chunked_body_over_the_limit_is_413(running, token):
    connection = connect(running)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}

    connection.request(
        "POST", "/api/v1/tasks/", chunks(5 * MB), headers, encode_chunked=True
    )
    refused = connection.getresponse()

    assert_too_large(refused.status, refused.headers, refused.read())
    connection.close()


def test_a_chunked_body_within_the_limit_reaches_the_view(running, token):
    # Django reads a body by its Content-Length only; a chunked one has none.
    connection = connect(running)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    body = json.dumps({"title": "sent in chunks", "description": "y" * 1000})

    connection.request(
        "POST", "/api/v1/tasks/", iter([body[:10].encode(), body[10:].encode()]),
        headers, encode_chunked=True,
    )  # fmt: skip
    created = connection.getresponse()
    answer = json.loads(created.read())
    connection.close()

    assert created.status == 201, answer
    assert answer["title"] == "sent in chunks"
    assert answer["description"] == "y" * 1000


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_past_the_discard_bound_is_not_read_to_its_end(running, chunked):
    connection = connect(running)
    size = DISCARD_AT_MOST + 64 * MB  # well past what socket buffers hold
    sent = 0

    def body() -> Iterator[bytes]:
        nonlocal sent
        for chunk in chunks(size):
            sent += len(chunk)
            yield chunk

    headers = {} if chunked else {"Content-Length": str(size)}
    try:
        connection.request(
            "POST", "/api/v1/tasks/", body(), headers, encode_chunked=chunked
        )
        status = connection.getresponse().status
    except OSError:  # closed while the client still sent: "Broken pipe"
        status = None
    connection.close()

    assert status in (413, None)
    assert sent < size
    assert live.call(running.base, "GET", "/health/live")[0] == 200
