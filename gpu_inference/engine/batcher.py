"""Token-budget dynamic batching (TEI-style): no wait timer, the next batch forms when the device frees up.

Requests put Items on a per-task queue and await them. One loop per task waits until its queue is
non-empty and the device is free, then takes the oldest Item plus the Items nearest to it in length
(queue sorted by token count) while `rows x longest <= max_batch_tokens` (padded cost). Device work
runs on ONE worker thread, so the event loop keeps answering health checks while a batch runs.
A full queue refuses new work at once (the HTTP layer answers 503 with Retry-After).
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from gpu_inference.engine.tasks import Item, Task


class Overloaded(Exception):
    """The queue is full; the caller should retry later."""


@dataclass(order=True)
class _Pending:
    cost: int
    seq: int
    item: Item = field(compare=False)
    future: asyncio.Future[Any] = field(compare=False)


@dataclass
class Stats:
    batches: int = 0
    items: int = 0
    tokens: int = 0
    padded_tokens: int = 0
    device_seconds: float = 0.0
    batch_sizes: list[int] = field(default_factory=list)  # last 1000, for /metrics

    def record(self, rows: int, tokens: int, padded: int, seconds: float) -> None:
        self.batches += 1
        self.items += rows
        self.tokens += tokens
        self.padded_tokens += padded
        self.device_seconds += seconds
        self.batch_sizes = [*self.batch_sizes[-999:], rows]


def take_batch(queue: list[_Pending], budget: int) -> list[_Pending]:
    """Remove and return the oldest item and its nearest-length neighbours that fit `budget` padded tokens."""
    oldest = min(range(len(queue)), key=lambda k: queue[k].seq)
    lo = hi = oldest
    longest = queue[oldest].cost
    while True:
        grew = False
        # Prefer the shorter neighbour (less padding), then the longer one.
        for side in ("lo", "hi"):
            k = lo - 1 if side == "lo" else hi + 1
            if 0 <= k < len(queue):
                new_longest = max(longest, queue[k].cost)
                if new_longest * (hi - lo + 2) <= budget:
                    lo, hi, longest, grew = (k, hi, new_longest, True) if side == "lo" else (lo, k, new_longest, True)
        if not grew:
            break
    batch = queue[lo : hi + 1]
    del queue[lo : hi + 1]
    return batch


class Batcher:
    def __init__(self, tasks: dict[str, Task], *, max_batch_tokens: int, max_queue: int) -> None:
        self.tasks, self.budget, self.max_queue = tasks, max_batch_tokens, max_queue
        self.queues: dict[str, list[_Pending]] = {name: [] for name in tasks}
        self.stats: dict[str, Stats] = {name: Stats() for name in tasks}
        self.latency_s: list[float] = []  # request latencies, last 1000
        self._seq = itertools.count()
        self._device = ThreadPoolExecutor(max_workers=1, thread_name_prefix="device")
        self._cpu = ThreadPoolExecutor(max_workers=2, thread_name_prefix="pre")
        self._device_free: asyncio.Lock | None = None
        self._wake: dict[str, asyncio.Event] = {}
        self._loops: list[asyncio.Task[None]] = []

    def queued(self) -> int:
        return sum(len(q) for q in self.queues.values())

    async def start(self) -> None:
        self._device_free = asyncio.Lock()
        self._wake = {name: asyncio.Event() for name in self.tasks}
        self._loops = [asyncio.create_task(self._loop(name)) for name in self.tasks]

    async def stop(self) -> None:
        for loop in self._loops:
            loop.cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)
        self._device.shutdown(wait=True)
        self._cpu.shutdown(wait=True)

    async def infer(
        self, tasks: Sequence[str], texts: list[str], images: list[bytes | None], *, return_exceptions: bool = False
    ) -> dict[str, Any]:
        """The engine's entry: every named task over the same posts (texts for text tasks, images for
        `visual`), all queued at once so their batches share the device; results by task. With
        `return_exceptions`, a failed task's entry is its exception and the other tasks still answer."""
        outputs = await asyncio.gather(
            *(self.run(name, images if name == "visual" else texts) for name in tasks),
            return_exceptions=return_exceptions,
        )
        return dict(zip(tasks, outputs, strict=True))

    async def run(self, task_name: str, inputs: list[Any]) -> list[dict[str, Any]]:
        """Results for `inputs`, in their order, however the Items were spread over batches."""
        started = time.perf_counter()
        task = self.tasks[task_name]
        loop = asyncio.get_running_loop()
        items = await loop.run_in_executor(self._cpu, task.pre, inputs)
        if self.queued() + len(items) > self.max_queue:
            raise Overloaded(f"{self.queued()} items queued (limit {self.max_queue})")
        pending = [_Pending(item.cost, next(self._seq), item, loop.create_future()) for item in items]
        queue = self.queues[task_name]
        for p in pending:
            bisect.insort(queue, p)
        if pending:
            self._wake[task_name].set()
        outputs = await asyncio.gather(*(p.future for p in pending))
        results = task.post(inputs, items, list(outputs))
        self.latency_s = [*self.latency_s[-999:], time.perf_counter() - started]
        return results

    async def _loop(self, name: str) -> None:
        task, queue, wake = self.tasks[name], self.queues[name], self._wake[name]
        assert self._device_free is not None
        while True:
            await wake.wait()
            async with self._device_free if task.uses_device else _no_lock():
                batch = take_batch(queue, self.budget)
                if not queue:
                    wake.clear()
                await self._run_batch(task, batch)

    async def _run_batch(self, task: Task, batch: list[_Pending]) -> None:
        items = [p.item for p in batch]
        started = time.perf_counter()
        executor = self._device if task.uses_device else self._cpu
        try:
            outputs = await asyncio.get_running_loop().run_in_executor(executor, task.core, items)
        except Exception as exc:  # every waiter learns of the failure; the loop goes on
            for p in batch:
                if not p.future.done():
                    p.future.set_exception(exc)
            return
        longest = max(i.cost for i in items)
        self.stats[task.name].record(
            len(items), sum(i.cost for i in items), longest * len(items), time.perf_counter() - started
        )
        for p, out in zip(batch, outputs, strict=True):
            if not p.future.done():
                p.future.set_result(out)


class _no_lock:
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *_: object) -> None:
        return None
