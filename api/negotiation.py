from rest_framework.negotiation import DefaultContentNegotiation

# What API clients send: nothing, anything, or JSON.
_PLAIN_ACCEPT = frozenset({"", "*/*", "application/json"})


class ContentNegotiation(DefaultContentNegotiation):
    """DRF's content negotiation, with a shortcut for the common case.

    Parsing the Accept header took an eighth of a cached list request. When the
    client asks for nothing in particular or for plain JSON (no format suffix,
    no ?format=), DRF's own rules pick the first renderer, JSON, with exactly
    that media type: the answer is given without parsing. Anything else (a
    browser's Accept, parameters such as indent=4) goes through DRF.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        first = renderers[0] if renderers else None
        if (
            first is not None
            and first.media_type == "application/json"
            and not format_suffix
            and request.META.get("HTTP_ACCEPT", "").strip() in _PLAIN_ACCEPT
            and self.settings.URL_FORMAT_OVERRIDE not in request.query_params
        ):
            return first, first.media_type
        return super().select_renderer(request, renderers, format_suffix)
