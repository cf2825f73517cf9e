"""Image build step: download the full profile's models at their pinned commits into MODELS_DIR, and fail the
build when a model has no weights there.

Each model lands in MODELS_DIR/<local_dir> with a REVISION file holding the commit actually fetched, which the
service records on every analysis row. It runs at build time only (the service is offline, HF_HUB_OFFLINE=1),
and outside Docker too: `python -m gpu_inference.download_models /models`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from gpu_inference.manifest import FULL

# Both weight formats: safetensors where the revision has them, the pickle format where it only has that.
PATTERNS = ["*.json", "*.txt", "*.model", "merges.txt", "vocab.*", "*.safetensors", "pytorch_model.bin"]
WEIGHTS = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json")


class NoWeights(RuntimeError):
    """A model folder holds configs but no weights: baking it would ship a service that cannot load."""


def check_weights(folder: Path, model_id: str, revision: str) -> str:
    """The weights file the loader will read (safetensors preferred); NoWeights naming the model otherwise."""
    for name in WEIGHTS:
        if (folder / name).is_file() and (folder / name).stat().st_size > 0:
            return name
    raise NoWeights(
        f"{model_id}@{revision} has no weights (looked for {', '.join(WEIGHTS)} in {folder}): "
        "pin a revision that carries them"
    )


def main(models_dir: str) -> int:
    from huggingface_hub import snapshot_download

    for spec in FULL.values():
        target = Path(models_dir) / spec.local_dir
        snapshot_download(spec.model_id, revision=spec.revision, local_dir=target, allow_patterns=PATTERNS)
        weights = check_weights(target, spec.model_id, spec.revision)
        if weights.startswith("model.safetensors"):  # the loader prefers them: do not ship both
            (target / "pytorch_model.bin").unlink(missing_ok=True)
        commit = _commit_of(spec.model_id, spec.revision)
        (target / "REVISION").write_text(commit + "\n")
        print(f"{spec.task}: {spec.model_id}@{commit} ({weights}) -> {target}")
    return 0


def _commit_of(model_id: str, revision: str) -> str:
    from huggingface_hub import HfApi

    return str(HfApi().model_info(model_id, revision=revision).sha)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "/models"))
    except NoWeights as exc:
        print(f"build failed: {exc}", file=sys.stderr)
        sys.exit(1)
