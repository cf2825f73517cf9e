"""The device the models run on, and the dtype and attention kernel that suit it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch


@dataclass(frozen=True)
class Device:
    torch_device: torch.device
    dtype: torch.dtype

    @property
    def name(self) -> str:
        return str(self.torch_device)

    def move(self, batch: Any) -> dict[str, Any]:
        return {k: v.to(self.torch_device, non_blocking=True) for k, v in batch.items()}

    def move_tensor(self, tensor: torch.Tensor) -> torch.Tensor:
        # Pixel values follow the model's dtype (bf16/fp16 on CUDA).
        return tensor.to(self.torch_device, dtype=self.dtype, non_blocking=True)

    def touch(self) -> None:
        """Allocate and sync once: readiness means the device really answers."""
        torch.ones(8, device=self.torch_device).sum().item()


def pick(requested: str = "auto") -> Device:
    """CUDA with bf16 (fp16 where bf16 is unsupported) when present; CPU with fp32 otherwise."""
    if requested in ("auto", "cuda") and torch.cuda.is_available():
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        torch.backends.cuda.matmul.allow_tf32 = True
        return Device(torch.device("cuda"), dtype)
    return Device(torch.device("cpu"), torch.float32)
