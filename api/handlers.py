import io

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler

from .middleware import CHUNK_SIZE, DISCARD_AT_MOST


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
        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            _measure_chunked_body(environ)
        handler = self.full
        if environ.get("PATH_INFO", "").startswith("/api/") and environ.get(
            "HTTP_AUTHORIZATION", ""
        ).startswith("Bearer "):
            handler = self.api
        return handler(environ, start_response)


def _measure_chunked_body(environ) -> None:
    """Gives a chunked body the Content-Length Django reads a body by.

    Without one Django reads nothing, so a chunked request would reach the
    views without its data. The server says when its input may be read to the
    end (wsgi.input_terminated: granian and gunicorn do, runserver does not).
    Up to the upload limit the body is kept for the views; a longer one is read
    on and dropped (up to DISCARD_AT_MOST) and its length has
    HostileInputMiddleware answer 413, as for any body over the limit.
    """
    if not environ.get("wsgi.input_terminated"):
        return
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    stream, kept, length = environ["wsgi.input"], bytearray(), 0
    while chunk := stream.read(CHUNK_SIZE):
        length += len(chunk)
        if limit is None or length <= limit:
            kept += chunk
        elif length > DISCARD_AT_MOST:
            break
    environ["CONTENT_LENGTH"] = str(length)
    fits = limit is None or length <= limit
    environ["wsgi.input"] = io.BytesIO(kept if fits else b"")
