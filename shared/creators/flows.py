"""The scrape step of a search job: Apify result -> rows -> CDN fan-out -> analysis task."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from shared.admin import meters
from shared.config import get_settings
from shared.creators import apify, documents, ingest, misses
from shared.events import outbox
from shared.events.schemas import CdnImageRequested, CreatorScrapeRequested
from shared.jobs import flows as jobs_flows
from shared.jobs import service as jobs_service
from shared.jobs.models import SYSTEM_ORIGINS, TERMINAL_STATUSES

log = logging.getLogger("scrape")


REELS_MIN_S = 15.0  # a reels run given less than this is not started


def fetch(event: CreatorScrapeRequested) -> apify.ScrapeResult | apify.ScrapeFailed:
    """Ask Apify (outside any transaction: a run can take a minute). Failures come back as values. Both runs
    share settings.apify.scrape_budget_s."""
    settings = get_settings().apify
    deadline = time.monotonic() + settings.scrape_budget_s
    try:
        result = apify.fetch_profile(event.username, wait_s=min(settings.run_timeout_s, settings.scrape_budget_s))
    except apify.ScrapeFailed as exc:
        return exc
    if result.kind != "profile":
        return result
    left_s = min(settings.run_timeout_s, deadline - time.monotonic())
    if left_s < REELS_MIN_S:
        log.warning("reels not fetched: the profile run used the budget", extra={"username": event.username})
        return result
    try:  # a second run for the reels; when it fails the profile still lands, with its latest posts only
        return replace(result, reels=tuple(apify.fetch_reels(event.username, wait_s=left_s)), runs=2)
    except apify.ScrapeFailed as exc:
        log.warning("reels not fetched", extra={"username": event.username, "error": str(exc)})
        return replace(result, runs=1 + exc.runs)


def apply(
    *, db_session: Session, event: CreatorScrapeRequested, result: apify.ScrapeResult | apify.ScrapeFailed
) -> dict[str, Any]:
    """Store what Apify returned and move the job on; every ending a user can act on is terminal."""
    job = jobs_service.get(db_session=db_session, job_id=event.job_id, for_update=True)
    if job.status in TERMINAL_STATUSES:
        return {"skipped": f"job already {job.status}"}
    name = event.username
    if result.runs:  # what Apify bills: its runs, failed ones too, and the items they returned
        meters.add(db_session, "apify_runs", result.runs)
    if not isinstance(result, apify.ScrapeFailed):
        meters.add(db_session, "apify_results", 1 + len(result.item.get("latestPosts") or []) + len(result.reels))
    if isinstance(result, apify.ScrapeFailed):
        return _fail(db_session, event, str(result))
    if result.kind == "not_found":
        return _fail(db_session, event, f"no Instagram account is called @{name}", miss="not_found")
    scraped_at = datetime.now(UTC)
    creator = ingest.upsert_creator(db_session=db_session, item=result.item, scraped_at=scraped_at)
    ingest.add_snapshot(db_session=db_session, creator=creator)
    job.creator_id = creator.id
    if result.kind == "private":
        documents.write(db_session=db_session, creator_id=creator.id)
        reason = f"@{name} is a private account: its posts cannot be analysed"
        return _fail(db_session, event, reason, miss="private")
    misses.forget(db_session=db_session, username=name)
    items = ingest.post_items(result.item, result.reels)
    posts = ingest.upsert_posts(db_session=db_session, creator=creator, posts=items)
    related = ingest.upsert_related(db_session=db_session, creator=creator, related=result.item.get("relatedProfiles"))
    by_ig_id = {str(i["id"]): i for i in items}
    media = ingest.upsert_media(db_session=db_session, creator=creator, posts=[(p, by_ig_id[p.ig_id]) for p in posts])
    jobs_service.update_stage(db_session=db_session, job_id=job.id, stage="scrape", status="done", done=1, total=1)
    jobs_service.update_stage(
        db_session=db_session, job_id=job.id, stage="cdn", status="running" if media else "done", total=len(media)
    )
    jobs_flows.grant_access(db_session=db_session, job_id=job.id, creator_id=creator.id)
    documents.write(db_session=db_session, creator_id=creator.id)
    for asset in media:
        outbox.add_event(db_session, CdnImageRequested(job_id=job.id, asset_id=asset.id, source_url=asset.source_url))
    settings = get_settings().tasks
    outbox.add_task(
        db_session,
        queue=settings.system_queue if job.origin in SYSTEM_ORIGINS else settings.inference_queue,
        url=f"{settings.inference_url}/v1/analyze",
        payload={"job_id": str(job.id), "creator_id": creator.id},
        dedupe_key=f"analyze:{job.id}",
    )
    return {
        "creator_id": creator.id,
        "posts": len(posts),
        "reels": len(result.reels),
        "images": len(media),
        "related": related,
    }


def _fail(db_session: Session, event: CreatorScrapeRequested, reason: str, miss: str | None = None) -> dict[str, Any]:
    if miss is not None:
        misses.remember(db_session=db_session, username=event.username, reason=miss, detail=reason)
    jobs_service.update_stage(
        db_session=db_session, job_id=event.job_id, stage="scrape", status="failed", error=reason, done=0, total=1
    )
    jobs_flows.fail(db_session=db_session, job_id=event.job_id, reason=reason)
    log.info("scrape ended the job", extra={"job_id": str(event.job_id), "reason": reason})
    return {"failed": reason}
