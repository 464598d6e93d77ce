"""Examples for the OpenAPI schema (shown in /api/docs/ and /api/redoc/)."""

from drf_spectacular.utils import OpenApiExample

USER = {
    "id": 1,
    "username": "ada",
    "email": "ada@example.com",
    "date_joined": "2026-11-26T09:00:00.000000Z",
}
PASSWORD = "a long passphrase"  # noqa: S105  (a documentation example)

REGISTER = [
    OpenApiExample(
        "A new account",
        value={"username": "ada", "email": "ada@example.com", "password": PASSWORD},
        request_only=True,
    ),
    OpenApiExample("The account", value=USER, response_only=True),
]

LOGIN = [
    OpenApiExample(
        "A username and password",
        value={"username": "ada", "password": PASSWORD},
        request_only=True,
    ),
    OpenApiExample(
        "A new token: send it as Authorization: Bearer <token>",
        value={"token": "3f9c" + "0" * 60, "expiry": "2026-12-03T09:00:00.000000Z"},
        response_only=True,
    ),
]

ME = [OpenApiExample("Your profile", value=USER, response_only=True)]

ME_PATCH = [
    OpenApiExample(
        "A new e-mail address",
        value={"email": "ada@lovelace.example"},
        request_only=True,
    ),
    OpenApiExample(
        "Your profile",
        value={**USER, "email": "ada@lovelace.example"},
        response_only=True,
    ),
]
