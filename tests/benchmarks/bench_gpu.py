"""GPU benchmark of the inference service: one prepared run on a lent GPU machine (fits 480 s).

Full-size random-init checkpoints of the production configs (bench_inference.build_full_size: same
FLOPs as the real models, meaningless labels), the sample captions, generated JPEGs. Measures:

- the batched engine at the device's precision on the full 5-task workload, zero-shot on every post,
  at each size in SIZES (default 120 and 1,200 posts): posts/s, and per task the CPU pre time
  (tokenization, image decode) beside the device seconds the batcher recorded;
- the old way on the same device (one transformers `pipeline()` per post per model, fp32) on the
  first size, and the batched/old ratio measured side by side in this run;
- a 12-post job (what a brand waits for), cold start to ready from local disk, peak GPU memory;
- the tokens-per-batch budget swept over BUDGETS on the largest size.

Writes $OUT (or docs/) bench-gpu.json and bench-gpu.md. On a CPU, TINY=1 runs the same code on the tiny
test checkpoints with small sizes (a dry run). Run: `make bench-gpu` (tests/benchmarks/bench_gpu.sh).
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from gpu_inference import routing
from gpu_inference.engine import device as devices
from gpu_inference.engine import loader
from gpu_inference.engine.batcher import Batcher
from gpu_inference.manifest import CATEGORIES
from tests.benchmarks.bench_inference import build_full_size, workload
from tests.fixtures import tiny_models

TINY = os.environ.get("TINY") == "1"
SIZES = [int(s) for s in os.environ.get("SIZES", "12,24" if TINY else "120,1200").split(",")]
BUDGETS = [int(b) for b in os.environ.get("BUDGETS", "1024,2048" if TINY else "8192,16384,32768").split(",")]
REPEATS = int(os.environ.get("REPEATS", "1" if TINY else "3"))
OUT = Path(os.environ.get("OUT") or Path(__file__).resolve().parents[2] / "docs")
TASKS = ("sentiment", "language", "categories", "visual", "embeddings")


def sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def engine_run(tasks: dict[str, Any], captions: list[str], images: list[bytes], budget: int) -> dict[str, Any]:
    """Every task on every post through one batcher, as /v1/analyze runs a job; wall time and device split."""

    async def go() -> dict[str, Any]:
        batcher = Batcher(tasks, max_batch_tokens=budget, max_queue=1_000_000)
        await batcher.start()
        sync()
        started = time.perf_counter()
        await routing.infer(batcher, TASKS, captions, images)  # sentiment follows language, as in a job
        sync()
        elapsed = time.perf_counter() - started
        await batcher.stop()
        split = {
            name: {"device_s": round(s.device_seconds, 3), "batches": s.batches, "items": s.items,
                   "padding": round(1 - s.tokens / s.padded_tokens, 3) if s.padded_tokens else 0.0}
            for name, s in batcher.stats.items()
        }  # fmt: skip
        return {"seconds": elapsed, "split": split}

    return asyncio.run(go())


def pre_seconds(tasks: dict[str, Any], captions: list[str], images: list[bytes]) -> dict[str, float]:
    """CPU time of each task's `pre` alone (tokenization; image decode and preprocessing)."""
    spent = {}
    for name in TASKS:
        started = time.perf_counter()
        tasks[name].pre(images if name == "visual" else captions)
        spent[name] = round(time.perf_counter() - started, 3)
    return spent


def old_way(root: Path, captions: list[str], images: list[bytes]) -> float:
    """One pipeline() per post per model, fp32, on the same device (the seed's way, given a GPU)."""
    import io

    from PIL import Image
    from transformers import pipeline

    where = 0 if torch.cuda.is_available() else -1
    torch.backends.cuda.matmul.allow_tf32 = False  # the seed's fp32 (devices.pick turns TF32 on for the engine)
    made = {
        "sentiment": pipeline("text-classification", model=str(root / "sentiment"), device=where),
        "language": pipeline("text-classification", model=str(root / "language"), device=where),
        "categories": pipeline("zero-shot-classification", model=str(root / "categories"), device=where),
        "visual": pipeline("image-classification", model=str(root / "visual"), device=where),
        "embeddings": pipeline("feature-extraction", model=str(root / "embeddings"), device=where),
    }
    labels = list(CATEGORIES)

    def once(caption: str, data: bytes) -> None:
        text = caption or " "
        made["sentiment"](text, truncation=True, max_length=256)
        made["language"](text, truncation=True, max_length=256)
        made["categories"](text, candidate_labels=labels, multi_label=True)
        made["visual"](Image.open(io.BytesIO(data)).convert("RGB"))
        made["embeddings"](text, truncation=True, max_length=256)

    once(captions[0], images[0])  # warm: CUDA kernels and cuBLAS handles stay out of the figure
    sync()
    started = time.perf_counter()
    for caption, data in zip(captions, images, strict=True):
        once(caption, data)
    sync()
    return time.perf_counter() - started


def gemm_tflops() -> float:
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    n = 8192 if dev == "cuda" else 1024
    a = torch.randn(n, n, dtype=torch.bfloat16, device=dev)
    b = torch.randn(n, n, dtype=torch.bfloat16, device=dev)
    for _ in range(3):
        a @ b
    sync()
    started = time.perf_counter()
    for _ in range(10):
        a @ b
    sync()
    return 2 * n**3 * 10 / (time.perf_counter() - started) / 1e12


def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> int:
    # Full-size checkpoints take 3-4 GB: removed when the run ends, however it ends.
    with tempfile.TemporaryDirectory(prefix="fa-gpu-bench-") as tmp:
        return run(Path(tmp))


def run(root: Path) -> int:
    torch.manual_seed(0)
    figures: dict[str, Any] = {"sizes": SIZES, "budgets": BUDGETS, "repeats": REPEATS, "tiny": TINY}
    os.environ["POSTS"] = str(max(SIZES))
    captions, images = workload(max(SIZES))
    started = time.perf_counter()
    if TINY:
        tiny_models.build(root)
    else:
        build_full_size(root, captions + [f"This example is about {c}." for c in CATEGORIES])
    figures["build_s"] = round(time.perf_counter() - started, 1)
    log(f"checkpoints built in {figures['build_s']} s under {root}")

    started = time.perf_counter()
    device = devices.pick()
    tasks = loader.load_profile("full", root, device)
    loader.warm(tasks, images[0])
    device.touch()
    figures["cold_start_s"] = round(time.perf_counter() - started, 2)
    name = torch.cuda.get_device_name(0) if torch.cuda.is_available() else platform.processor() or "cpu"
    figures["device"] = {
        "name": name, "torch": torch.__version__, "precision": device.precision,
        "default_batch_tokens": device.batch_tokens, "cpus": os.cpu_count(),
    }  # fmt: skip
    import transformers

    figures["device"]["transformers"] = transformers.__version__
    log(f"ready in {figures['cold_start_s']} s on {name} ({device.precision})")
    save(figures)
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()

    figures["engine"] = {}
    engine_run(tasks, captions[: SIZES[0]], images[: SIZES[0]], device.batch_tokens)  # warm: kernels, allocator
    for size in SIZES:
        c, i = captions[:size], images[:size]
        runs = [engine_run(tasks, c, i, device.batch_tokens) for _ in range(REPEATS)]
        best = min(runs, key=lambda r: r["seconds"])
        seconds = median([r["seconds"] for r in runs])
        figures["engine"][str(size)] = {
            "seconds": round(seconds, 3), "runs": [round(r["seconds"], 3) for r in runs],
            "posts_per_s": round(size / seconds, 1), "device_split": best["split"],
            "pre_s": pre_seconds(tasks, c, i),
        }  # fmt: skip
        log(f"engine, {size} posts: {seconds:.2f} s, {size / seconds:.1f} posts/s")
        save(figures)
    if torch.cuda.is_available():
        figures["peak_gpu_memory_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 2)

    job = [engine_run(tasks, captions[:12], images[:12], device.batch_tokens)["seconds"] for _ in range(REPEATS + 2)]
    figures["job_12_posts_s"] = {"median": round(median(job), 3), "runs": [round(x, 3) for x in job]}
    log(f"12-post job: {median(job):.3f} s")
    save(figures)

    largest = max(SIZES)
    figures["budget_sweep"] = {}
    for budget in BUDGETS:
        c, i = captions[:largest], images[:largest]
        times = [engine_run(tasks, c, i, budget)["seconds"] for _ in range(max(1, REPEATS - 1))]
        figures["budget_sweep"][str(budget)] = {"seconds": round(median(times), 3),
                                                "posts_per_s": round(largest / median(times), 1)}  # fmt: skip
        log(f"budget {budget}: {median(times):.2f} s at {largest} posts")
        save(figures)

    first = SIZES[0]
    del tasks
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    old = old_way(root, captions[:first], images[:first])
    batched = figures["engine"][str(first)]["seconds"]
    figures["old_way"] = {"posts": first, "seconds": round(old, 2), "ratio": round(old / batched, 1)}
    log(f"old way, {first} posts: {old:.2f} s; batched/old ratio {old / batched:.1f}x (goal >= 20x)")
    figures["gemm_bf16_tflops"] = round(gemm_tflops(), 1)
    save(figures)
    print(json.dumps(figures, indent=2))
    return 0


def save(figures: dict[str, Any]) -> None:
    """After every stage: a run cut short by its time limit still leaves what it measured."""
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "bench-gpu.json").write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    sys.exit(main())
