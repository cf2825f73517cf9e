"""The image build's weights check: a model folder without weights fails the build, naming model and revision."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from gpu_inference.download_models import NoWeights, check_weights
from gpu_inference.manifest import FULL

REPO = Path(__file__).resolve().parents[2]


def folder(tmp_path: Path, *files: str) -> Path:
    for name in ("config.json", "tokenizer.json", *files):
        (tmp_path / name).write_bytes(b"{}" if name.endswith(".json") else b"\0weights")
    return tmp_path


def test_safetensors_are_preferred(tmp_path: Path) -> None:
    assert check_weights(folder(tmp_path, "model.safetensors", "pytorch_model.bin"), "m", "r") == "model.safetensors"


def test_a_bin_alone_is_accepted(tmp_path: Path) -> None:
    assert check_weights(folder(tmp_path, "pytorch_model.bin"), "m", "r") == "pytorch_model.bin"


def test_no_weights_fails_naming_the_model_and_revision(tmp_path: Path) -> None:
    with pytest.raises(NoWeights, match=r"facebook/bart-large-mnli@d7645e1[0-9a-f]+ has no weights"):
        check_weights(folder(tmp_path), "facebook/bart-large-mnli", FULL["categories"].revision)


def test_an_empty_weights_file_counts_as_none(tmp_path: Path) -> None:
    (folder(tmp_path) / "model.safetensors").write_bytes(b"")
    with pytest.raises(NoWeights):
        check_weights(tmp_path, "m", "r")


def test_every_full_model_is_pinned_to_a_full_commit() -> None:
    assert all(re.fullmatch(r"[0-9a-f]{40}", spec.revision) for spec in FULL.values()), {
        name: spec.revision for name, spec in FULL.items()
    }


def test_the_build_step_fails_with_the_model_named_when_the_hub_has_no_weights(tmp_path: Path) -> None:
    """The script's own exit path, with the download replaced by a folder that has configs only."""
    code = (
        "import sys, pathlib, huggingface_hub;"
        "huggingface_hub.snapshot_download = lambda repo, revision, local_dir, allow_patterns: "
        "(pathlib.Path(local_dir).mkdir(parents=True, exist_ok=True), "
        "pathlib.Path(local_dir, 'config.json').write_text('{}'));"
        "import runpy; sys.argv = ['download_models', sys.argv[1]];"
        "runpy.run_module('gpu_inference.download_models', run_name='__main__')"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 1
    first = next(iter(FULL.values()))
    assert f"build failed: {first.model_id}@{first.revision} has no weights" in out.stderr
