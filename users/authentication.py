import re

from django.utils import timezone
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.settings import knox_settings
from rest_framework import exceptions

from . import token_cache

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
        if not token_cache.enabled():
            return super().authenticate_credentials(token)
        digest = hash_token(token.decode())
        cached = token_cache.get(digest)
        if cached is not None:
            if cached.expiry is not None and cached.expiry < timezone.now():
                token_cache.forget([digest])
                raise exceptions.AuthenticationFailed("Invalid token.")
            return self.validate_user(cached)
        user, auth_token = super().authenticate_credentials(token)
        token_cache.put(auth_token)
        return user, auth_token
