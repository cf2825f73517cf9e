"""Inference fixtures: tiny full-profile checkpoints (built once per run) and loaded task sets."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from PIL import Image

from gpu_inference.engine import device as devices
from gpu_inference.engine import loader
from gpu_inference.engine.tasks import Task
from tests.fixtures import tiny_models
from tests.fixtures.inference import png


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_models.build(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def full_tasks(tiny_dir: Path) -> dict[str, Task]:
    """fp32, so batched and one-at-a-time results must agree to 1e-3: a padding or mask bug shows."""
    return loader.load_profile("full", tiny_dir, devices.pick("cpu", precision="float32"))


@pytest.fixture(scope="session", params=[torch.bfloat16, torch.float16], ids=["bf16", "fp16"])
def half_tasks(tiny_dir: Path, request: pytest.FixtureRequest) -> dict[str, Task]:
    """The same checkpoints in bf16 (a GPU, a bf16-capable CPU) and fp16 (a GPU without bf16)."""
    return loader.load_profile("full", tiny_dir, devices.Device(torch.device("cpu"), request.param))


@pytest.fixture(scope="session")
def lite_tasks() -> dict[str, Task]:
    """Auto precision, as the local stack runs it (bf16 on a CPU with native bf16)."""
    return loader.load_profile("lite", "/nonexistent", devices.pick("cpu"))


@pytest.fixture
def images() -> Iterator[dict[str, bytes]]:
    palette = Image.new("P", (17, 9))
    palette.putpalette([i % 256 for i in range(768)])
    buffer = io.BytesIO()
    palette.save(buffer, "PNG", transparency=0)
    yield {
        "rgb": png(),
        "rgba": png(mode="RGBA", color=(255, 0, 0, 60)),
        "palette_transparent": buffer.getvalue(),
        "grayscale": png(mode="L", color=128),
        "one_pixel": png(size=(1, 1)),
        "binary": png(size=(33, 5), mode="1", color=1),
        "panorama": png(size=(2000, 3)),
        "cmyk_jpeg": png(mode="CMYK", fmt="JPEG", color=(0, 50, 100, 0)),
        "16_bit": png(mode="I;16", color=40000),
    }
