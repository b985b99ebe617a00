"""The OpenAPI document."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db


def test_the_schema_endpoint_serves_a_valid_openapi_document(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    document = response.json()
    validate_schema(document)  # raises on an invalid document
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    for path in (
        "/api/v1/sessions/",
        "/api/v1/sessions/{session_id}/",
        "/api/v1/tasks/",
        "/api/v1/tasks/{task_id}/",
        "/api/v1/tasks/{task_id}/claim/",
        "/api/v1/tasks/{task_id}/release/",
        "/api/v1/tasks/claim-next/",
        "/api/v1/tasks/{task_id}/decide/",
        "/api/v1/tasks/{task_id}/confirm/",
        "/api/v1/tasks/{task_id}/return/",
        "/api/v1/writebacks/{writeback_id}/retry/",
    ):
        assert path in paths, path
    decide = paths["/api/v1/tasks/{task_id}/decide/"]["post"]
    assert decide["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/DecideInput"
    )
    assert set(decide["responses"]) >= {"201", "400", "403", "404", "409"}
    schemas = document["components"]["schemas"]
    assert schemas["DecideInput"]["required"] == ["outcome"]
    assert set(schemas["Error"]["properties"]) == {"error"}
    listing = paths["/api/v1/tasks/"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"cursor", "queue", "state"}


def test_schema_generation_has_no_warnings(tmp_path):
    # what CI runs: python manage.py spectacular --validate --fail-on-warn
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert out.read_text().startswith("openapi:")
