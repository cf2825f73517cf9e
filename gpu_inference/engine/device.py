"""The device the models run on, and the dtype and batch size that suit it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

# Padded tokens per batch. A GPU wants large batches; on a CPU a batch past ~2k tokens spills the
# caches and gets slower per token (measured in fp32: BART-large 18.7 s at 1k, 26.0 s at 16k tokens per
# batch for the same 128 pairs; bf16 was fastest between 512 and 2k).
GPU_BATCH_TOKENS = 16_384
CPU_BATCH_TOKENS = 2_048


@dataclass(frozen=True)
class Device:
    torch_device: torch.device
    dtype: torch.dtype
    batch_tokens: int = CPU_BATCH_TOKENS

    @property
    def name(self) -> str:
        return str(self.torch_device)

    @property
    def precision(self) -> str:
        return str(self.dtype).removeprefix("torch.")

    def move(self, batch: Any) -> dict[str, Any]:
        return {k: v.to(self.torch_device, non_blocking=True) for k, v in batch.items()}

    def move_tensor(self, tensor: torch.Tensor) -> torch.Tensor:
        # Pixel values follow the model's dtype (bf16/fp16 on CUDA and on bf16-capable CPUs).
        return tensor.to(self.torch_device, dtype=self.dtype, non_blocking=True)

    def touch(self) -> None:
        """Allocate and sync once: readiness means the device really answers."""
        torch.ones(8, device=self.torch_device).sum().item()


def cpu_has_native_bf16() -> bool:
    """AVX512-BF16 or AMX: bf16 matrix products run ~2.7x faster than fp32 (measured on this project's
    2-core EPYC). Without them bf16 is emulated by conversions and gains nothing, so we stay in fp32."""
    try:
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except AttributeError:  # a torch without the probes
        return False


def pick(requested: str = "auto", precision: str = "auto") -> Device:
    """CUDA with bf16 (fp16 where bf16 is unsupported) when present, else the CPU: bf16 where it
    multiplies bf16 natively, fp32 otherwise. `precision="float32"` keeps fp32 on any device."""
    if requested in ("auto", "cuda") and torch.cuda.is_available():
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        torch.backends.cuda.matmul.allow_tf32 = True
        return Device(torch.device("cuda"), torch.float32 if precision == "float32" else dtype, GPU_BATCH_TOKENS)
    native = precision == "auto" and cpu_has_native_bf16()
    return Device(torch.device("cpu"), torch.bfloat16 if native else torch.float32, CPU_BATCH_TOKENS)
