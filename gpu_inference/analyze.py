"""POST /v1/analyze, the Cloud Tasks target: a job's posts through every task, stored once per job.

Idempotent per job: the (consumer "inference", "job:<id>") record commits with the rows, so a
re-delivered task finds it and does nothing; a crash before the commit leaves no record and the
retry runs again (rows are also unique per post, task, model and revision).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from gpu_inference import routing
from gpu_inference.engine.batcher import Batcher
from gpu_inference.manifest import TASKS
from shared import errors
from shared.analysis import flows
from shared.analysis.models import COMMENT_TASKS
from shared.db import session_scope
from shared.events.consumer import already_processed, consume_once
from shared.jobs import service as jobs_service

log = logging.getLogger("inference.analyze")
CONSUMER = "inference"


async def run(batcher: Batcher, *, job_id: str, creator_id: int, post_ids: list[int] | None = None) -> dict[str, Any]:
    try:
        job = uuid.UUID(job_id)
    except ValueError as exc:
        raise errors.InvalidInput(f"job_id {job_id!r} is not a UUID") from exc
    key = f"job:{job}"
    if await asyncio.to_thread(already_processed, consumer=CONSUMER, key=key):
        return {"duplicate": True}
    posts = await asyncio.to_thread(_start, job, creator_id, post_ids)
    images = await asyncio.gather(*(asyncio.to_thread(flows.image_bytes, p) for p in posts))
    comments = [text for p in posts for text in p.comments]
    started = time.perf_counter()
    # The posts' latest comments go through the same batcher as the captions, queued at the same time: short
    # texts that fill the batches' padding rather than a second pass. Sentiment follows each text's language.
    outputs, comment_outputs = await asyncio.gather(
        routing.infer(batcher, TASKS, [p.caption for p in posts], list(images)),
        routing.infer(batcher, list(COMMENT_TASKS), comments, [None] * len(comments)),
    )
    busy_s = time.perf_counter() - started
    runs = [run for name, output in outputs.items() for run in _runs(batcher, job, name, output)]
    sizes = [len(p.comments) for p in posts]
    for name, output in comment_outputs.items() if comments else ():
        runs += _runs(batcher, job, name, output, COMMENT_TASKS[name], lambda results: _split(results, sizes))
    outcome = await asyncio.to_thread(
        consume_once,
        consumer=CONSUMER,
        key=key,
        effect=lambda s: flows.record(
            db_session=s, job_id=job, creator_id=creator_id, posts=posts, runs=runs, busy_s=busy_s
        ),
    )
    return {"duplicate": outcome.duplicate, **(outcome.result or {})}


def _runs(
    batcher: Batcher,
    job: uuid.UUID,
    name: str,
    output: Any,
    stored_as: str = "",
    split: Callable[[list[Any]], list[Any]] = list,
) -> list[flows.ModelRun]:
    """The rows' source for task `name` (stored as `stored_as`, by default its name): one run, or one per sentiment
    model where texts were routed (each answers its own texts and holds None for the others, so every row names
    the model that produced it)."""
    stored_as = stored_as or name
    if not isinstance(output, routing.Routed):
        return [_run(batcher, job, stored_as, name, output, split)]
    return [
        _run(batcher, job, stored_as, task, output.errors.get(task) or output.of(task), split) for task in output.tasks
    ]


def _run(
    batcher: Batcher, job: uuid.UUID, stored_as: str, task_name: str, output: Any, split: Callable[..., list[Any]]
) -> flows.ModelRun:
    task = batcher.tasks[task_name]
    if isinstance(output, BaseException):
        log.error("task failed for a job", extra={"job_id": str(job), "task": stored_as, "error": repr(output)})
        return flows.ModelRun(stored_as, task.model_id, task.revision, None, f"{type(output).__name__}: {output}")
    return flows.ModelRun(stored_as, task.model_id, task.revision, split(output))


def _split(results: list[Any], sizes: list[int]) -> list[Any]:
    """One list per post (its comments' results, in order) out of the flat results; None for a post none of whose
    comments this model answered (no comments, or all of them routed to the other model)."""
    out, start = [], 0
    for size in sizes:
        chunk = results[start : start + size]
        out.append(chunk if any(r is not None for r in chunk) else None)
        start += size
    return out


def _start(job: uuid.UUID, creator_id: int, post_ids: list[int] | None) -> list[flows.PostInput]:
    with session_scope() as db_session:
        jobs_service.get(db_session=db_session, job_id=job)  # 404 for an unknown job
        jobs_service.update_stage(db_session=db_session, job_id=job, stage="analysis", status="running")
        return flows.posts_of(db_session=db_session, creator_id=creator_id, post_ids=post_ids)
