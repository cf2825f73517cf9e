"""The api function: health, and the OpenAPI document served and committed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from functions_framework import create_app
from openapi_spec_validator import validate

from functions.api.main import router
from shared.http.openapi import openapi_document

DOCS = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


@pytest.fixture
def client(postgres):  # type: ignore[no-untyped-def]
    return create_app("api", "functions/api/main.py").test_client()


def test_healthz_reports_the_database(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}
    assert response.headers["X-Request-Id"]


def test_openapi_is_served_valid_31() -> None:
    client = create_app("api", "functions/api/main.py").test_client()
    document = client.get("/openapi.json").json
    assert document["openapi"] == "3.1.0"
    validate(document)
    assert "/healthz" in document["paths"]
    assert "Problem" in document["components"]["schemas"]


def test_committed_openapi_is_current() -> None:
    committed = json.loads(DOCS.read_text())
    assert committed == openapi_document(router), "run `make openapi` and commit docs/openapi.json"
