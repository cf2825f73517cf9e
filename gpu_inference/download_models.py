"""Docker build step: download the full profile's models at their pinned revisions into MODELS_DIR.

Each model lands in MODELS_DIR/<local_dir> with a REVISION file holding the commit actually fetched,
which the service records on every analysis row. Runs only at build time; the service itself is
offline (HF_HUB_OFFLINE=1).
"""

from __future__ import annotations

import sys
from pathlib import Path

from gpu_inference.manifest import FULL


def main(models_dir: str) -> int:
    from huggingface_hub import snapshot_download

    for spec in FULL.values():
        target = Path(models_dir) / spec.local_dir
        path = snapshot_download(
            spec.model_id,
            revision=spec.revision,
            local_dir=target,
            allow_patterns=["*.json", "*.txt", "*.model", "*.safetensors", "merges.txt", "vocab.*"],
        )
        commit = _commit_of(spec.model_id, spec.revision)  # "main" or a short hash -> the full commit
        (target / "REVISION").write_text(commit + "\n")
        print(f"{spec.task}: {spec.model_id}@{commit} -> {path}")
    return 0


def _commit_of(model_id: str, revision: str) -> str:
    from huggingface_hub import HfApi

    return str(HfApi().model_info(model_id, revision=revision).sha)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "/models"))
