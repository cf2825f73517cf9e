"""The analysis step of a search job, on the database side: what to analyse, and storing the outputs.

The inference service (gpu_inference) runs the models; this module loads a job's posts and their
first image, and writes one `post_analysis` row per (post, task, model, revision) idempotently, moves
the job's analysis stage and emits `creator.analyzed` through the outbox, in one transaction.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.admin import meters
from shared.analysis.models import PostAnalysis
from shared.creators import documents
from shared.creators.models import MediaAsset, Post
from shared.events import outbox
from shared.events.schemas import CreatorAnalyzed
from shared.insights.inputs import COMMENTS_ANALYSED, scraped_comments
from shared.jobs import service as jobs_service
from shared.jobs.models import TERMINAL_STATUSES
from shared.media import reader, storage

log = logging.getLogger("analysis")
ANALYSIS_WIDTH = "320"  # the rendition the vision model reads (it resizes to 224 anyway)


@dataclass(frozen=True)
class PostInput:
    post_id: int
    caption: str
    image_key: str | None  # an uploaded rendition in our bucket
    image_url: str | None  # else the source, fetched through the SSRF-safe fetcher
    comments: tuple[str, ...] = ()  # its first COMMENTS_ANALYSED scraped comments' texts


@dataclass(frozen=True)
class ModelRun:
    task: str
    model_id: str
    revision: str
    # One per post, in order (None for a post another model answered: see gpu_inference/routing.py); None when
    # the task failed.
    results: list[Any] | None
    error: str | None = None


def posts_of(*, db_session: Session, creator_id: int, post_ids: list[int] | None = None) -> list[PostInput]:
    """The creator's posts to analyse (all of them, or `post_ids` for post analytics)."""
    query = select(Post).where(Post.creator_id == creator_id).order_by(Post.id)
    if post_ids is not None:
        query = query.where(Post.id.in_(post_ids))
    posts = db_session.scalars(query).all()
    assets = db_session.scalars(
        select(MediaAsset).where(MediaAsset.creator_id == creator_id, MediaAsset.post_id.is_not(None))
    ).all()
    first: dict[int, MediaAsset] = {}
    for asset in sorted(assets, key=lambda a: a.position):
        first.setdefault(asset.post_id or 0, asset)
    inputs = []
    for post in posts:
        image = first.get(post.id)
        key = None
        if image is not None and image.status == "uploaded" and image.content_sha256:
            key = storage.rendition_key(image.content_sha256, int(ANALYSIS_WIDTH))
        url = None if key else (image.source_url if image else post.display_url)
        comments = tuple(str(c.get("text") or "") for c in scraped_comments(post.latest_comments)[:COMMENTS_ANALYSED])
        inputs.append(PostInput(post.id, post.caption or "", key, url, comments))
    return inputs


def image_bytes(post: PostInput) -> bytes | None:
    """The post's image for the vision task; None when there is none or it cannot be had (recorded as such)."""
    if not (post.image_key or post.image_url):
        return None
    try:
        return reader.read(key=post.image_key) if post.image_key else reader.read(url=post.image_url)
    except reader.ImageUnreadable as exc:
        log.warning("image unavailable for analysis", extra={"post_id": post.post_id, "error": exc.detail})
        return None


def record(
    *,
    db_session: Session,
    job_id: uuid.UUID,
    creator_id: int,
    posts: list[PostInput],
    runs: list[ModelRun],
    busy_s: float = 0.0,
) -> dict[str, Any]:
    """Store every output (one row per post and task; a re-run adds nothing) and move the job on."""
    job = jobs_service.get(db_session=db_session, job_id=job_id, for_update=True)
    meters.add(db_session, "inference_busy_s", busy_s)  # the GPU's time on this job, for the console's spend
    rows = [
        {
            "post_id": post.post_id,
            "job_id": job_id,
            "task": run.task,
            "model_id": run.model_id,
            "model_revision": run.revision,
            "result": result,
        }
        for run in runs
        if run.results is not None
        for post, result in zip(posts, run.results, strict=True)
        if result is not None
    ]
    if rows:
        db_session.execute(
            insert(PostAnalysis).values(rows).on_conflict_do_nothing(constraint="uq_post_analysis_post_task_model")
        )
    documents.write(db_session=db_session, creator_id=creator_id, embedding=True)
    failed = {run.task: run.error or "failed" for run in runs if run.results is None}
    if job.status not in TERMINAL_STATUSES:
        fields: dict[str, Any] = {"done": len(posts), "total": len(posts), "tasks_failed": failed}
        if failed and all(run.results is None for run in runs):
            fields.update(status="failed", error="; ".join(f"{k}: {v}" for k, v in failed.items()))
        else:
            fields.update(status="done")
            if failed:
                fields["error"] = "some analyses failed: " + ", ".join(sorted(failed))
        jobs_service.update_stage(db_session=db_session, job_id=job_id, stage="analysis", **fields)
        jobs_service.settle(db_session=db_session, job_id=job_id)
    if job.kind == "creator":  # a post job has no insights stage: it ends here
        outbox.add_event(db_session, CreatorAnalyzed(job_id=job_id, creator_id=creator_id))
    return {"rows": len(rows), "posts": len(posts), "tasks_failed": failed}
