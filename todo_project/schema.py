"""OpenAPI generation: every operation documents the errors it can answer with."""

from django.conf import settings
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from todo_project.conditional import ConditionalMixin


class ErrorSerializer(serializers.Serializer):
    """The body of every error that is not about particular fields."""

    detail = serializers.CharField(help_text="What went wrong.")


_VALIDATION_ERROR = {
    "type": "object",
    "description": "Each invalid field, or non_field_errors / detail for the request "
    "as a whole, with a list of messages.",
    # Messages per field; a list's or a nested object's errors are keyed by
    # position or name in turn, and a body that is not JSON at all has "detail".
    "additionalProperties": {
        "oneOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "object"},
            {"type": "string"},
        ]
    },
    "example": {"title": ["This field may not be blank."]},
}


RATE_LIMIT_HEADERS = {
    "RateLimit-Policy": 'The limit counted: "user";q=1200;w=60 (quota, window s).',
    "RateLimit": 'What is left of it: "user";r=1187;t=42 (remaining, reset s).',
}


class AutoSchema(SpectacularAutoSchema):
    def _component(self, name: str, schema: dict) -> dict:
        component = ResolvedComponent(
            name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema
        )
        self.registry.register_on_missing(component)
        return component.ref

    def _error_responses(self) -> dict[str, tuple[str, dict]]:
        error = self.resolve_serializer(ErrorSerializer, "response").ref
        errors: dict[str, tuple[str, dict]] = {}
        has_body = self.method in {"POST", "PUT", "PATCH"}
        validates_query = getattr(self.view, "query_serializer_class", None)
        if (has_body and self.get_request_serializer() is not None) or (
            self._is_list_view() or validates_query
        ):
            errors["400"] = (
                "Invalid input; nothing was changed.",
                self._component("ValidationError", _VALIDATION_ERROR),
            )
        if self._idempotent() and "400" not in errors:
            errors["400"] = (
                "A malformed Idempotency-Key header; nothing was changed.",
                self._component("ValidationError", _VALIDATION_ERROR),
            )
        if has_body:
            errors["415"] = ("The body is not application/json.", error)
            errors["413"] = ("The body is too large; nothing was read.", error)
        if not all(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            errors["401"] = ("Missing, invalid or expired token.", error)
        if self._conditional() and self.method != "GET":
            errors["412"] = (
                "If-Match does not name the current ETag; nothing was changed.",
                error,
            )
        if self._idempotent():
            errors["409"] = ("A request with this Idempotency-Key is running.", error)
            errors["422"] = (
                "This Idempotency-Key was used for another request.",
                error,
            )
        if self.view.get_throttles():
            limits = settings.API_RATE_LIMITS
            errors["429"] = (
                "Over a rate limit: retry after Retry-After seconds. Limits: "
                f"{limits['user']} per user, {limits['anon']} per IP without a "
                f"token, {limits['login']} login attempts per IP and per username, "
                f"{limits['register']} registrations per IP.",
                error,
            )
        if "{" in self.path or getattr(self.view, "action", None) == "bulk":
            errors["404"] = ("No such object among the caller's own.", error)
        elif self._is_list_view():
            errors["404"] = ("No such page.", error)
        errors["503"] = ("The database is unreachable: retry after Retry-After.", error)
        return errors

    def _conditional(self) -> bool:
        """Whether this operation takes If-Match / If-None-Match (a task's)."""
        return isinstance(self.view, ConditionalMixin) and "{" in self.path

    def _idempotent(self) -> bool:
        """Whether this operation takes an Idempotency-Key."""
        return getattr(self.view, "idempotent_posts", False) and self.method == "POST"

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self.view.get_throttles():
            for name, description in RATE_LIMIT_HEADERS.items():
                parameters.append(
                    OpenApiParameter(
                        name,
                        str,
                        OpenApiParameter.HEADER,
                        response=True,
                        description=description,
                    )
                )
        if self._idempotent():
            parameters.append(
                OpenApiParameter(
                    "Idempotency-Key",
                    str,
                    OpenApiParameter.HEADER,
                    description="Any unique string (a UUID) of 1-255 characters: "
                    "a retry with the same key and body replays the first answer "
                    "(with Idempotent-Replayed: true) and writes nothing. Keys "
                    "are yours alone and expire after 24 hours.",
                )
            )
        view = self.view
        if isinstance(view, ConditionalMixin) and view.action in view.etag_actions:
            parameters.append(
                OpenApiParameter(
                    "ETag",
                    str,
                    OpenApiParameter.HEADER,
                    response=[200, 201],
                    description="A strong ETag of the representation returned.",
                )
            )
        if self._conditional():
            name, description = (
                ("If-None-Match", "An ETag you hold: 304, no body, if it is current.")
                if self.method == "GET"
                else ("If-Match", "The ETag you read: 412, nothing changed, if stale.")
            )
            parameters.append(
                OpenApiParameter(
                    name, str, OpenApiParameter.HEADER, description=description
                )
            )
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if self._conditional() and self.method == "GET":
            responses["304"] = {"description": "If-None-Match names the current ETag."}
        for code, (description, schema) in self._error_responses().items():
            responses.setdefault(
                code,
                {
                    "content": {"application/json": {"schema": schema}},
                    "description": description,
                },
            )
        return responses
