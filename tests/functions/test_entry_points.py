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


def heavy_modules(module: Path) -> list[str]:
    """The model libraries importing `module` loads, seen from a fresh interpreter."""
    out = subprocess.run(
        [sys.executable, str(PROBE), str(module)],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "FA_PROFILE": "local"},
    )
    return list(json.loads(out.stdout.strip().splitlines()[-1])["heavy"])


def test_the_probe_sees_a_model_library_when_a_module_loads_one(tmp_path: Path) -> None:
    """Without this, an empty answer below could mean a probe that sees nothing."""
    module = tmp_path / "main.py"
    module.write_text("from gpu_inference.engine import device  # imports torch\n")
    assert heavy_modules(module) == ["torch"]


@pytest.mark.parametrize("module", ENTRY_MODULES, ids=lambda p: p.parent.name)
def test_entry_module_imports_no_model_library(module: Path) -> None:
    assert heavy_modules(module) == []
