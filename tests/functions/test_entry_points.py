"""Functions cold-start light: no entry module pulls in model libraries (checked in fresh processes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROBE = REPO / "tests" / "benchmarks" / "import_probe.py"
ENTRY_MODULES = sorted((REPO / "functions").glob("*/main.py"))


def test_there_are_entry_modules() -> None:
    assert {p.parent.name for p in ENTRY_MODULES} >= {"api", "maintenance"}


@pytest.mark.parametrize("module", ENTRY_MODULES, ids=lambda p: p.parent.name)
def test_entry_module_imports_no_model_library(module: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(PROBE), str(module)],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "FA_PROFILE": "local"},
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["heavy"] == []
