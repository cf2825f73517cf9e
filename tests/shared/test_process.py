"""shared.process: long-lived objects frozen after a request that imported modules, and only then."""

from __future__ import annotations

import gc
import sys
import types
from collections.abc import Iterator

import pytest

from shared import process


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the suite runs as it did before


def test_a_request_that_imported_modules_freezes_what_is_alive(unfrozen: None) -> None:
    process.settle()  # whatever this test process imported so far
    assert gc.get_freeze_count() > 0
    frozen = gc.get_freeze_count()  # it only falls from here (a frozen object freed), unless something is frozen
    kept = [[] for _ in range(1_000)]  # alive, tracked by the collector, made after the freeze
    process.settle()  # no import since: nothing is frozen
    assert gc.get_freeze_count() <= frozen
    sys.modules["fa_test_loaded_on_first_use"] = types.ModuleType("fa_test_loaded_on_first_use")
    try:
        process.settle()  # a route module loaded on first use: what is alive now joins the frozen
        assert gc.get_freeze_count() >= frozen + 900 and kept
    finally:
        del sys.modules["fa_test_loaded_on_first_use"]


def test_the_api_freezes_after_its_first_request(api, unfrozen: None) -> None:  # type: ignore[no-untyped-def]
    process._modules_at_freeze = 0  # as a fresh instance
    assert api.get("/v1/no-such-route").status_code == 404
    assert gc.get_freeze_count() > 0
