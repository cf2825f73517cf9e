"""Prometheus text exposition of the batcher's counters (no client library needed for a dozen lines)."""

from __future__ import annotations

from gpu_inference.engine.batcher import Batcher


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def render(batcher: Batcher) -> str:
    lines = [
        "# HELP inference_queue_depth Items waiting for the device, per task.",
        "# TYPE inference_queue_depth gauge",
        *(f'inference_queue_depth{{task="{t}"}} {len(q)}' for t, q in batcher.queues.items()),
        "# HELP inference_batches_total Batches run, per task.",
        "# TYPE inference_batches_total counter",
        *(f'inference_batches_total{{task="{t}"}} {s.batches}' for t, s in batcher.stats.items()),
        "# HELP inference_items_total Items (posts, pairs, images) run, per task.",
        "# TYPE inference_items_total counter",
        *(f'inference_items_total{{task="{t}"}} {s.items}' for t, s in batcher.stats.items()),
        "# HELP inference_tokens_total Real tokens and padded tokens sent to the device, per task.",
        "# TYPE inference_tokens_total counter",
        *(f'inference_tokens_total{{task="{t}",kind="real"}} {s.tokens}' for t, s in batcher.stats.items()),
        *(f'inference_tokens_total{{task="{t}",kind="padded"}} {s.padded_tokens}' for t, s in batcher.stats.items()),
        "# HELP inference_device_seconds_total Seconds of device work, per task.",
        "# TYPE inference_device_seconds_total counter",
        *(f'inference_device_seconds_total{{task="{t}"}} {s.device_seconds:.6f}' for t, s in batcher.stats.items()),
        "# HELP inference_batch_size Rows per batch over the last 1000 batches (quantiles).",
        "# TYPE inference_batch_size summary",
    ]
    for task, stats in batcher.stats.items():
        sizes = [float(s) for s in stats.batch_sizes]
        for q in (0.5, 0.99):
            lines.append(f'inference_batch_size{{task="{task}",quantile="{q}"}} {_quantile(sizes, q)}')
    lines += [
        "# HELP inference_request_latency_seconds Request latency over the last 1000 requests (quantiles).",
        "# TYPE inference_request_latency_seconds summary",
        *(
            f'inference_request_latency_seconds{{quantile="{q}"}} {_quantile(batcher.latency_s, q):.6f}'
            for q in (0.5, 0.9, 0.99)
        ),
    ]
    return "\n".join(lines) + "\n"
