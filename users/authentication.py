import re

from knox.auth import TokenAuthentication
from knox.settings import knox_settings
from rest_framework import exceptions

# What knox issues: the configured prefix, then lowercase hex characters.
_TOKEN_BODY = re.compile(rb"[0-9a-f]+")


class BearerTokenAuthentication(TokenAuthentication):
    """Knox tokens sent as `Authorization: Bearer <token>`.

    Rejects a malformed token before it reaches the database: knox alone answers
    500 to bytes that are not UTF-8, and PostgreSQL refuses a NUL byte in a query.
    """

    def authenticate_credentials(self, token: bytes):
        prefix = knox_settings.TOKEN_PREFIX.encode()
        body = token[len(prefix) :] if token.startswith(prefix) else b""
        if len(body) != knox_settings.AUTH_TOKEN_CHARACTER_LENGTH or not (
            _TOKEN_BODY.fullmatch(body)
        ):
            raise exceptions.AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(token)
