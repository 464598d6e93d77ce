"""The task endpoints' rules in the OpenAPI schema (settings: POSTPROCESSING_HOOKS)."""

from .bulk import MAX_OPERATIONS

# Both deadlines given (neither null): DRF refuses it, JSON Schema can say it.
_BOTH_DEADLINES = {
    "required": ["due_at", "due_date"],
    "properties": {"due_at": {"type": "string"}, "due_date": {"type": "string"}},
}


def add_rules(result: dict, generator, request, public) -> dict:
    """A drf-spectacular postprocessing hook: rules of the task endpoints that
    their serializers and filters cannot state."""
    schemas = result.get("components", {}).get("schemas", {})
    for name in ("TaskRequest", "PatchedTaskRequest"):
        if name in schemas:
            schemas[name]["not"] = _BOTH_DEADLINES
    if "CreateOperationRequest" in schemas:
        schemas["CreateOperationRequest"]["not"] = {"required": ["id"]}
    for path in result["paths"].values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "ordering":  # an empty one is a 400
                    parameter["schema"]["minItems"] = 1
    if "BulkRequest" in schemas:
        operations = schemas["BulkRequest"]["properties"]["operations"]
        operations.update(minItems=1, maxItems=MAX_OPERATIONS)
    return result
