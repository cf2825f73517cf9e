"""One local stack for the tests that need every process at once (the browser, post analytics end to end)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from infra.local.processes import free_port
from infra.local.stack import Stack
from tests.fixtures.stacks import running_stack


@pytest.fixture(scope="session")
def page_port() -> int:
    """The port of the browser test's page server: the one origin the stack's API allows."""
    return free_port()


@pytest.fixture(scope="session")
def local_stack(page_port: int) -> Iterator[Stack]:
    overrides = {"FA_CORS_ORIGINS": json.dumps([f"http://127.0.0.1:{page_port}"])}
    with running_stack("fa-flows-", overrides=overrides) as stack:
        yield stack
