"""OpenAPI generation: every operation documents the errors it can answer with."""

from django.conf import settings
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny

from . import idempotency
from .conditional import ConditionalMixin
from .fields import ID_SCHEMA
from .problems import CONTENT_TYPE


class ErrorSerializer(serializers.Serializer):
    """An RFC 9457 problem: the body of every error (application/problem+json)."""

    type = serializers.CharField(
        help_text='"about:blank" when the status says it all, else a URN naming '
        "the problem (urn:todo:problem:validation-error, ...)."
    )
    title = serializers.CharField(help_text="A short summary of the problem type.")
    status = serializers.IntegerField(help_text="The HTTP status code.")
    detail = serializers.CharField(help_text="What went wrong, for a person.")
    code = serializers.CharField(
        help_text="Machine-readable reason: not_found, not_authenticated, "
        "authentication_failed, throttled, invalid, parse_error, ..."
    )
    instance = serializers.CharField(help_text="The path requested.")
    request_id = serializers.CharField(
        help_text="The X-Request-ID of this answer, also in the server's log lines."
    )


class FieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(
        allow_null=True,
        help_text='The input at fault as a dotted path ("title", "tags.0", '
        '"operations.2.title"); null for the request as a whole.',
    )
    code = serializers.CharField(help_text="required, blank, max_length, ...")
    message = serializers.CharField()


class ValidationErrorSerializer(ErrorSerializer):
    """A 400, or a 409 conflict: each input at fault under `errors`; nothing was
    changed."""

    errors = FieldErrorSerializer(  # type: ignore[assignment]
        many=True,
        required=False,
        help_text='Each input at fault; present when code is "invalid" or '
        '"conflict" (a body that is not JSON at all is code "parse_error", '
        "without errors).",
    )


# What str.strip() (so DRF) takes for whitespace, spelled out: \s differs
# between Python and the ECMA or Rust regexes clients validate with.
WHITESPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Text with something besides whitespace, and no null character.
NON_BLANK_TEXT = rf"^[^\x00]*[^{WHITESPACE}\x00][^\x00]*$"


def _text_rule(field: serializers.CharField) -> dict:
    """What DRF's CharField refuses, as a pattern: null characters always, and
    a value that is only whitespace when blanks are not allowed (DRF trims it
    to "" first). A blank value where blanks are allowed is drf-spectacular's
    to state (oneOf [this, maxLength 0])."""
    if field.trim_whitespace and not field.allow_blank:
        return {"pattern": NON_BLANK_TEXT}
    return {"pattern": r"^[^\x00]+$"}


# Null and nothing else, in OpenAPI 3.0's words.
NULL = {"type": "object", "nullable": True, "enum": [None]}


def _nullable_reference(schema: dict) -> dict:
    """A nullable reference (drf-spectacular's allOf [$ref] + nullable) as
    oneOf [$ref, null]: OpenAPI 3.0.3 lets nullable add null only to a type
    stated beside it, so strict validators refuse null for the former."""
    schema = dict(schema)
    del schema["nullable"]
    schema["oneOf"] = [*schema.pop("allOf"), NULL]
    return schema


RATE_LIMIT_HEADERS = {
    "RateLimit-Policy": 'The limit counted: "user";q=1200;w=60 (quota, window s).',
    "RateLimit": 'What is left of it: "user";r=1187;t=42 (remaining, reset s).',
}


class AutoSchema(SpectacularAutoSchema):
    def _error_responses(self) -> dict[str, tuple[str, dict]]:
        error = self.resolve_serializer(ErrorSerializer, "response").ref
        invalid = self.resolve_serializer(ValidationErrorSerializer, "response").ref
        errors: dict[str, tuple[str, dict]] = {}
        has_body = self.method in {"POST", "PUT", "PATCH"}
        validates_query = getattr(self.view, "query_serializer_class", None)
        if (has_body and self.get_request_serializer() is not None) or (
            self._is_list_view() or validates_query
        ):
            errors["400"] = (
                "Invalid input; nothing was changed.",
                invalid,
            )
        if self._idempotent() and "400" not in errors:
            errors["400"] = (
                "A malformed Idempotency-Key header; nothing was changed.",
                invalid,
            )
        if has_body:
            errors["415"] = ("The body is not application/json.", error)
            errors["413"] = (
                "The body is too large: it was not parsed; nothing was changed.",
                error,
            )
        if not all(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            errors["401"] = ("Missing, invalid or expired token.", error)
        if self.method not in {"GET", "HEAD", "OPTIONS"} and any(
            isinstance(a, SessionAuthentication) for a in self.view.get_authenticators()
        ):
            errors["403"] = (
                "A browser session's write without its CSRF token "
                "(X-CSRFToken); a request with a token needs none.",
                error,
            )
        errors["406"] = ("Accept names nothing this operation answers in.", error)
        if self._conditional() and self.method != "GET":
            errors["412"] = (
                "If-Match does not name the current ETag; nothing was changed.",
                error,
            )
        conflicts = []
        if has_body and getattr(self.view, "write_conflicts", False):
            conflicts.append(
                "The input clashes with stored data (a name already taken, a "
                "deadline the task already has, more tags than an account may "
                "have): code conflict, with errors."
            )
        state_conflicts = getattr(self.view, "state_conflicts", None)
        if state_conflicts and self.method not in {"GET", "HEAD", "OPTIONS"}:
            conflicts.append(state_conflicts)
        if self._idempotent():
            conflicts.append("A request with this Idempotency-Key is running.")
            errors["422"] = (
                "This Idempotency-Key was used for another request.",
                error,
            )
        if conflicts:
            errors["409"] = (" Or: ".join(conflicts), invalid)
        if self.view.get_throttles():
            limits = settings.API_RATE_LIMITS
            errors["429"] = (
                "Over a rate limit: retry after Retry-After seconds. Limits: "
                f"{limits['user']} per user, {limits['anon']} per IP without a "
                f"token, {limits['login']} login attempts per IP and per username, "
                f"{limits['register']} registrations per IP and per username.",
                error,
            )
        if "{" in self.path or getattr(self.view, "action", None) == "bulk":
            errors["404"] = ("No such object among the caller's own.", error)
        elif self._is_list_view():
            errors["404"] = ("No such page.", error)
        errors["500"] = ("A server fault; quote the request_id to report it.", error)
        errors["503"] = ("The database is unreachable: retry after Retry-After.", error)
        return errors

    def _resolve_path_parameters(self, variables):
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            # An integer in a path is an id (the only kind this API has).
            if parameter["schema"].get("type") == "integer":
                parameter["schema"] = dict(ID_SCHEMA)
        return parameters

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
                    {"type": "string", "pattern": idempotency.KEY_PATTERN},
                    OpenApiParameter.HEADER,
                    description="Any unique string (a UUID) of 1-255 visible ASCII "
                    "characters: "
                    "a retry with the same key and body replays the first answer "
                    "(with Idempotent-Replayed: true) and writes nothing. Keys "
                    "are yours alone and expire after 24 hours.",
                )
            )
        view = self.view
        if (
            isinstance(view, ConditionalMixin)
            and getattr(view, "action", None) in view.etag_actions
        ):
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

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if schema is None:  # a read-only serializer, in a request
            return schema
        if schema.get("nullable") and "type" not in schema and "allOf" in schema:
            schema = _nullable_reference(schema)
        # A field that states its own rules (users' username and password).
        if hasattr(field, "schema_rules"):
            schema.update(field.schema_rules(direction))
        if (
            direction == "request"
            and isinstance(field, serializers.CharField)
            and "pattern" not in schema  # a field's own rule (a username's) stays
        ):
            schema.update(_text_rule(field))
        return schema

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if self._conditional() and self.method == "GET":
            responses["304"] = {"description": "If-None-Match names the current ETag."}
        for code, (description, schema) in self._error_responses().items():
            responses.setdefault(
                code,
                {
                    "content": {CONTENT_TYPE: {"schema": schema}},
                    "description": description,
                },
            )
        for code, response in responses.items():
            # Errors a view declares itself are problems too.
            content = response.get("content", {})
            if code >= "400" and "application/json" in content:
                content[CONTENT_TYPE] = content.pop("application/json")
        return responses
