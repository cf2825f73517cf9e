"""The API fuzzed from its own OpenAPI document (schemathesis), in-process over WSGI, as an authenticated caller:
every operation, every check (no server error, responses as documented, schema-valid requests accepted, invalid
ones refused), a fixed seed and a bounded number of examples per operation."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import schemathesis
from functions_framework import create_app
from hypothesis import HealthCheck, settings

pytestmark = pytest.mark.usefixtures("db")
EXAMPLES = 12  # per operation: the whole run stays well under a minute on two cores
FUZZER = uuid.UUID("00000000-0000-4000-8000-00000000f022")  # one caller throughout: its team exists after a call


@pytest.fixture
def api_schema(db: None, jwks: Any) -> Any:
    app = create_app("api", "functions/api/main.py")
    return schemathesis.openapi.from_wsgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # a fixed seed: the same cases every run
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_every_operation_holds_to_its_document(case: Any, bearer: Any) -> None:
    case.call_and_validate(headers=bearer(sub=FUZZER, email="fuzzer@example.org"))
