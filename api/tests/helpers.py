"""Helpers for the suite's tests (the fixtures are in the root conftest.py)."""

import os
import threading
from collections.abc import Callable
from typing import Any

from rest_framework.test import APIClient


def bearer(token: str) -> APIClient:
    """A client that sends this API token (for tests that hold several)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


NOT_FOUND = {
    "type": "about:blank",
    "title": "Not Found",
    "status": 404,
    "detail": "Not found.",
    "code": "not_found",
}


def problem(response) -> dict:
    """An error answer's RFC 9457 body, checked, without its per-request members
    (`instance`, `request_id`), so that tests can compare whole bodies."""
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == response.status_code
    assert body["request_id"] == response["X-Request-ID"]
    assert {"type", "title", "detail", "code"} <= set(body)
    body.pop("request_id")
    assert body.pop("instance") == response.request["PATH_INFO"]
    return body


def invalid_fields(response, status: int = 400) -> dict[str | None, list[str]]:
    """A 400's messages by field (None for the request as a whole); with
    status=409, a conflict's (input that clashes with stored data)."""
    assert response.status_code == status, response.content
    body = problem(response)
    kind = "validation-error" if status == 400 else "conflict"
    assert body["type"] == f"urn:todo:problem:{kind}"
    fields: dict[str | None, list[str]] = {}
    for error in body["errors"]:
        fields.setdefault(error["field"], []).append(error["message"])
    return fields


REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_settings(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "api.redis_cache.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5},
        }
    }


def at_once(*sends: Callable[[], Any], timeout: float = 60) -> list[int]:
    """Run each request in a thread of its own, all released together (for
    races on PostgreSQL); the status codes, in the order they finished."""
    from django.db import connection

    start = threading.Barrier(len(sends))
    statuses: list[int] = []

    def run(send: Callable[[], Any]) -> None:
        try:
            start.wait(timeout=10)
            statuses.append(send().status_code)
        finally:
            connection.close()  # each thread has its own

    threads = [threading.Thread(target=run, args=(send,)) for send in sends]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return statuses
