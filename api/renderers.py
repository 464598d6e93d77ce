import orjson
from rest_framework import renderers

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSON renderer, on orjson: the same bytes, in a fraction of the time.

    Dates and times (OPT_PASSTHROUGH_DATETIME), lazy strings and anything else
    orjson does not know go through DRF's own encoder, so they read exactly as
    DRF writes them. What orjson cannot do (indentation other than what DRF
    would write, integers beyond 64 bits) falls back to DRF's renderer.
    """

    _default = renderers.JSONRenderer.encoder_class().default

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        indent = self.get_indent(accepted_media_type, renderer_context or {})
        if indent is None and self.compact and not self.ensure_ascii:
            try:
                body = orjson.dumps(data, default=self._default, option=_OPTIONS)
            except orjson.JSONEncodeError:
                pass
            else:
                # Like DRF: JSON that is also valid JavaScript.
                return body.replace(b"\xe2\x80\xa8", b"\\u2028").replace(
                    b"\xe2\x80\xa9", b"\\u2029"
                )
        return super().render(data, accepted_media_type, renderer_context)
