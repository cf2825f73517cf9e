"""The API fuzzed from its own OpenAPI document (schemathesis), in-process over WSGI, as an authenticated caller:
every operation, every check (no server error, responses as documented, schema-valid requests accepted, invalid
ones refused), a fixed seed and a bounded number of examples per operation."""

from __future__ import annotations

import importlib
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import schemathesis
from functions_framework import create_app
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.fixtures.pipeline import fund

pytestmark = [pytest.mark.emulator, pytest.mark.usefixtures("db", "pipeline", "stripe_standin")]
# Rules between parameters that JSON Schema cannot state (each named in its parameter's description): a request
# that breaks one is schema-valid and rightly refused, with one of these reasons.
# Likewise `format: email` admits special-use domains (.test, …) that cannot receive mail; we refuse them, saying so.
CROSS_FIELD_REASONS = ("is greater than", "sort=relevance needs q", "invalid cursor", "special-use or reserved name")
EXAMPLES = 12  # per operation: the whole run stays well under a minute on two cores
FUZZER = uuid.UUID("00000000-0000-4000-8000-00000000f022")  # one caller throughout
EMAIL = "fuzzer@example.org"
ROOT = Path(__file__).resolve().parents[2]
NOT_IMPORTABLE = {"shared.migrations.env"}  # Alembic's script, run by Alembic with its context set up


def import_every_project_module() -> None:
    """Hypothesis mixes the string and number literals of the project's loaded modules into what it draws (its
    "local constants"). Which modules are loaded depends on the tests that ran before, and on the API's routes
    that load on first use, so this test drew other cases in CI's full run than alone. Loading every module
    first makes the pool, and so the cases, the same however the test is run."""
    for package in ("shared", "functions", "gpu_inference", "infra"):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            if parts[-1] != "__main__" and name not in NOT_IMPORTABLE:
                importlib.import_module(name)


@pytest.fixture
def api_schema(db: None, jwks: Any, bearer: Any) -> Any:
    """The API and its document; the fuzzing caller exists and can pay (402 is a real answer, but not one about
    the request's shape)."""
    import_every_project_module()
    app = create_app("api", "functions/api/main.py")
    fund(app.test_client(), bearer(sub=FUZZER, email=EMAIL), 1_000_000, "fuzzer-credits")
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
    response = case.call(headers=bearer(sub=FUZZER, email=EMAIL))
    detail = (response.json() or {}).get("detail", "") if response.status_code == 400 else ""
    if any(reason in detail for reason in CROSS_FIELD_REASONS):
        case.validate_response(response, excluded_checks=[positive_data_acceptance])
    elif response.status_code == 404 and "text/html" in str(response.headers).lower():
        # A path with a line break never reaches our code: Flask's router (functions-framework's) answers it.
        # The break may come as it is or already percent-encoded in the value (a literal "%0A" decodes to one).
        params = [unquote(str(value)) for value in (case.path_parameters or {}).values()]
        assert any(c in value for value in params for c in "\n\r"), (case.formatted_path, response.text)
    else:
        case.validate_response(response)
