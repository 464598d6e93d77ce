"""OpenAPI generation: every operation documents the errors it can answer with."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class ErrorSerializer(serializers.Serializer):
    """The body of every error that is not about particular fields."""

    detail = serializers.CharField(help_text="What went wrong.")


_VALIDATION_ERROR = {
    "type": "object",
    "description": "Each invalid field, or non_field_errors / detail for the request "
    "as a whole, with a list of messages.",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
    "example": {"title": ["This field may not be blank."]},
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
        if has_body:
            errors["415"] = ("The body is not application/json.", error)
        if not all(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            errors["401"] = ("Missing, invalid or expired token.", error)
        if "{" in self.path:
            errors["404"] = ("No such object among the caller's own.", error)
        elif self._is_list_view():
            errors["404"] = ("No such page.", error)
        return errors

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, (description, schema) in self._error_responses().items():
            responses.setdefault(
                code,
                {
                    "content": {"application/json": {"schema": schema}},
                    "description": description,
                },
            )
        return responses
