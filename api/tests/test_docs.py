import re

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from rest_framework.test import APIClient

from api.schema import NON_BLANK_TEXT, WHITESPACE

pytestmark = pytest.mark.django_db


def test_schema_generates_without_warnings(tmp_path):
    # --fail-on-warn turns any warning into an error and a non-zero exit.
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml")
    )

    schema = yaml.safe_load((tmp_path / "s.yml").read_text())
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/tasks/{id}/" in schema["paths"]


OPEN = {("post", "/api/v1/auth/register/"), ("post", "/api/v1/auth/login/")}


def test_schema_endpoint_is_open_and_documents_auth_and_errors():
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    operations = [
        (method, path, operation)
        for path, by_method in schema["paths"].items()
        for method, operation in by_method.items()
    ]
    assert len(operations) == 38
    for method, path, operation in operations:
        where = f"{method} {path}"
        codes = set(operation["responses"])
        schemes = {name for entry in operation["security"] for name in entry}
        if (method, path) in OPEN:
            assert schemes == set(), where
        else:
            assert "bearerAuth" in schemes, where
            assert "401" in codes, where
        if "requestBody" in operation:
            assert {"400", "413", "415"} <= codes, where
        # Every limit's number, as configured, where clients read it.
        limits = operation["responses"]["429"]["description"]
        assert all(rate in limits for rate in settings.API_RATE_LIMITS.values()), where
        if "{id}" in path:
            assert "404" in codes, where
        assert {"500", "503"} <= codes, where
        for code, response in operation["responses"].items():
            if code >= "400":
                (media_type,) = response["content"]
                assert media_type == "application/problem+json", (where, code)
                problem = response["content"][media_type]["schema"]["$ref"]
                expected = "ValidationError" if code in {"400", "409"} else "Error"
                assert problem == f"#/components/schemas/{expected}", (where, code)
    login = schema["paths"]["/api/v1/auth/login/"]["post"]["responses"]
    assert {"200", "400", "401"} <= set(login)
    task = schema["paths"]["/api/v1/tasks/{id}/"]
    for method in ("put", "patch", "delete"):  # If-Match
        assert "412" in task[method]["responses"], method
    create = schema["paths"]["/api/v1/tasks/"]["post"]["responses"]
    assert {"409", "422"} <= set(create)  # Idempotency-Key


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_load_their_assets_locally(path):
    response = APIClient().get(path)

    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn.jsdelivr.net" not in html
    assert "https://" not in html.split("<body")[0]


def test_every_parameter_of_the_task_list_is_described():
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    parameters = schema["paths"]["/api/v1/tasks/"]["get"]["parameters"]

    assert {p["name"] for p in parameters} >= {
        "completed", "search", "ordering", "priority", "tag", "due_before",
        "due_after", "overdue", "has_due",
    }  # fmt: skip
    for parameter in parameters:
        assert parameter.get("description"), parameter["name"]


def test_every_json_body_in_the_schema_has_an_example():
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()

    missing = []
    for path, by_method in schema["paths"].items():
        for method, operation in by_method.items():
            bodies = {"request": operation.get("requestBody", {})} | {
                code: response
                for code, response in operation["responses"].items()
                if code.startswith("2")
            }
            for where, body in bodies.items():
                json_body = body.get("content", {}).get("application/json")
                if json_body is not None and not json_body.get("examples"):
                    missing.append(f"{method} {path} {where}")

    assert missing == [], "\n".join(missing)


def test_the_schemas_whitespace_is_what_drf_trims():
    # Clients check patterns with ECMA or Rust regexes, whose \s differs from
    # Python's; the class is spelled out and must match str.strip() exactly.
    whitespace = re.compile(f"[{WHITESPACE}]")

    for code in range(0x110000):
        char = chr(code)
        assert char.isspace() == bool(whitespace.fullmatch(char)), hex(code)
    assert not re.match(NON_BLANK_TEXT, "\x1f\u3000 ")
    assert re.match(NON_BLANK_TEXT, " a ")


def test_nothing_in_the_schema_is_nullable_without_a_type():
    # OpenAPI 3.0.3: nullable adds null only to a type stated beside it; on a
    # $ref or a oneOf it adds nothing, and strict validators refuse the null.
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    found = []

    def walk(node, where: str) -> None:
        if isinstance(node, dict):
            if node.get("nullable") and "type" not in node:
                found.append(where)
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}/{index}")

    walk(schema, "#")

    assert found == []
