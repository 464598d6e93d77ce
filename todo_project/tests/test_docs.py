import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_schema_generates_without_warnings(tmp_path):
    # --fail-on-warn turns any warning into an error and a non-zero exit.
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml")
    )

    schema = yaml.safe_load((tmp_path / "s.yml").read_text())
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/tasks/{id}/" in schema["paths"]


def test_schema_endpoint_is_open_and_documents_auth_and_errors():
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert codes & {"400", "401", "404"}, f"{method} {path} documents no errors"
            assert "security" in operation, f"{method} {path} documents no auth"


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_load_their_assets_locally(path):
    response = APIClient().get(path)

    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn.jsdelivr.net" not in html
    assert "https://" not in html.split("<body")[0]
