from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler


class _APIHandler(WSGIHandler):
    """Django's WSGI handler with the chain settings.API_MIDDLEWARE lists."""

    def load_middleware(self, is_async: bool = False) -> None:
        # BaseHandler builds its chain from settings.MIDDLEWARE, read once here
        # at start-up.
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.API_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full


class Application:
    """The WSGI application: a token-authenticated API request skips the
    middleware that serves browsers (about a tenth of a cached list request's
    time); everything else takes the full chain.

    Such a request can only authenticate with its token (DRF tries the token
    first, and a bad one is refused), so it never needs a session or CSRF.
    """

    def __init__(self) -> None:
        self.full = WSGIHandler()
        self.api = _APIHandler()

    def __call__(self, environ, start_response):
        handler = self.full
        if environ.get("PATH_INFO", "").startswith("/api/") and environ.get(
            "HTTP_AUTHORIZATION", ""
        ).startswith("Bearer "):
            handler = self.api
        return handler(environ, start_response)
