"""The OpenAPI schema as a contract the suite holds the server to.

Every answer an APIClient receives for a documented operation (a path and
method of /api/schema/) is checked as a strict client would check it: the
status must be one the operation documents, and a JSON body must validate
against the schema documented for that status and media type (OpenAPI 3.0
with formats, as openapi-schema-validator reads it; its patterns as ECMA-262
when `regress` is installed). conftest.py wires check() into every client.

Paths the schema does not document (admin, health, static files) and methods
it does not (HEAD, OPTIONS, a 405's method) pass unchecked.
"""

import json
import re
from collections import Counter
from functools import cache
from typing import Any

from openapi_schema_validator import OAS30ReadValidator, oas30_format_checker

# Responses checked, by (method, path as documented); for the run's summary.
checked: Counter[tuple[str, str]] = Counter()


@cache
def schema() -> dict:
    """The schema /api/schema/ serves, as JSON (generated once a run)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


def operations() -> list[tuple[str, str]]:
    """Every documented (method, path)."""
    return [
        (method, path)
        for path, by_method in schema()["paths"].items()
        for method in by_method
    ]


@cache
def _templates() -> list[tuple[re.Pattern, str]]:
    # Fewest parameters first: /tasks/bulk/ is itself, not /tasks/{id}/.
    templates = []
    for path in sorted(schema()["paths"], key=lambda path: path.count("{")):
        parts = re.split(r"\{[^}]+\}", path)
        regex = "[^/]+".join(re.escape(part) for part in parts)
        templates.append((re.compile(f"{regex}$"), path))
    return templates


def documented(method: str, path: str) -> tuple[str, dict] | None:
    """The path as documented and its operation for this method, if any."""
    for regex, template in _templates():
        if regex.match(path):
            operation = schema()["paths"][template].get(method.lower())
            return None if operation is None else (template, operation)
    return None


@cache
def validator(pointer: str) -> Any:
    """A validator for the schema at this JSON pointer, its references resolved
    against the whole document; in the read context (writeOnly fields must not
    appear in answers)."""
    return OAS30ReadValidator(
        {
            "$ref": f"#{pointer}",
            **{key: schema()[key] for key in ("paths", "components")},
        },
        format_checker=oas30_format_checker,
    )


def errors(pointer: str, instance: Any) -> list[str]:
    """Why an instance does not validate against the schema at this pointer."""
    found = validator(pointer).iter_errors(instance)
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(body)'}: {error.message}"
        for error in sorted(found, key=lambda error: list(error.absolute_path))
    ]


def _body(response) -> bytes:
    if not response.streaming:
        return response.content
    # Read once here, and handed back so that the test reads it too.
    content = b"".join(response.streaming_content)
    response.streaming_content = [content]
    return content


def check(response) -> None:
    """Fail unless this answer is one the schema documents (see the module)."""
    method = response.request["REQUEST_METHOD"].lower()
    path = response.request["PATH_INFO"]
    found = documented(method, path)
    if found is None:
        return
    template, operation = found
    if response.status_code == 301 and response.get("Location", "").startswith(
        "https://"
    ):
        # SECURE_SSL_REDIRECT: plain HTTP is sent to the HTTPS address before
        # any operation runs; the API itself is only served there.
        return
    where = f"{method.upper()} {path} ({template})"
    status = str(response.status_code)
    responses = operation["responses"]
    code = status if status in responses else "default"
    assert code in responses, f"{where} answered {status}, which it does not document"
    media_type = response.get("Content-Type", "").split(";")[0].strip()
    body = _body(response)
    if body and (media_type == "application/json" or media_type.endswith("+json")):
        content = responses[code].get("content", {})
        assert media_type in content, (
            f"{where} answered {status} with {media_type}, which it does not document"
        )
        pointer = (
            f"/paths/{_escape(template)}/{method}/responses/{code}"
            f"/content/{_escape(media_type)}/schema"
        )
        problems = errors(pointer, json.loads(body))
        assert not problems, f"{where} answered {status} off its schema:\n" + "\n".join(
            problems
        )
    checked[(method, template)] += 1


def _escape(key: str) -> str:
    """A key as a JSON pointer segment (RFC 6901)."""
    return key.replace("~", "~0").replace("/", "~1")
