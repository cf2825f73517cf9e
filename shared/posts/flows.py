"""Post analytics by URL: the request (charge, create-or-join the post's job) and the scrape worker's step.

A team asking for a post we analysed recently gets the result at once (charged once per team and post);
otherwise one job per post is in flight, joined by every team that asks meanwhile, each charged by the
`post_analysis` pricing rule against the job (refunded if the job fails). The scrape stores the post under its
owner (a creator row that stays a bare owner until someone searches the profile), re-hosts its images, and asks
the inference service to analyse just that post with the same models as a creator's posts."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.admin import meters
from shared.analysis.models import PostAnalysis
from shared.config import get_settings
from shared.creators import apify, documents, ingest
from shared.creators.models import Creator, Post
from shared.credits import service as credits_service
from shared.events import outbox
from shared.events.schemas import CdnImageRequested, PostScrapeRequested
from shared.jobs import flows as jobs_flows
from shared.jobs import service as jobs_service
from shared.jobs.models import TERMINAL_STATUSES
from shared.jobs.schemas import JobOut
from shared.posts import reads, urls
from shared.posts.models import TeamPost
from shared.posts.schemas import AnalyzeIn, AnalyzeOut
from shared.teams.scope import TeamScope

log = logging.getLogger("posts")
ACTION = "post_analysis"


def request(*, db_session: Session, scope: TeamScope, body: AnalyzeIn) -> AnalyzeOut:
    """POST /v1/posts/analyze: the result when it is ready for this team, else the (shared) job."""
    target = urls.parse(body.url)
    mine = db_session.scalar(
        select(TeamPost).where(TeamPost.team_id == scope.team_id, TeamPost.shortcode == target.shortcode)
    )
    if mine is not None and body.campaign is not None:
        mine.campaign = body.campaign
    if mine is not None:
        known = reads.view(db_session=db_session, scope=scope, row=mine)
        if known.kind == "result" or (known.job is not None and known.job.status not in TERMINAL_STATUSES):
            return known  # ready, or in flight: nothing new to charge
    if mine is None:
        mine = TeamPost(
            team_id=scope.team_id,
            shortcode=target.shortcode,
            url=target.canonical,
            kind=target.kind,
            campaign=body.campaign,
            requested_by_user_id=scope.user_id,
        )
        db_session.add(mine)
    analysed = _recently_analysed(db_session, target.shortcode)
    if analysed is not None:  # another team's analysis, still fresh: charged, served now
        _charge(db_session, scope, key=f"post:{target.shortcode}:team:{scope.team_id}", reference=str(analysed))
        mine.post_id, mine.job_id = analysed, None
        db_session.flush()
        return reads.view(db_session=db_session, scope=scope, row=mine)
    job, created = jobs_service.create_or_join_post(
        db_session=db_session, shortcode=target.shortcode, user_id=scope.user_id, team_id=scope.team_id
    )
    jobs_service.watch(db_session=db_session, job_id=job.id, team_id=scope.team_id)
    _charge(db_session, scope, key=f"job:{job.id}:team:{scope.team_id}", reference=str(job.id), job=True)
    mine.job_id, mine.post_id = job.id, None
    if created:
        outbox.add_event(
            db_session, PostScrapeRequested(job_id=job.id, url=target.canonical, shortcode=target.shortcode)
        )
    db_session.flush()
    return AnalyzeOut(kind="job", job=JobOut.model_validate(job))


def _charge(db_session: Session, scope: TeamScope, *, key: str, reference: str, job: bool = False) -> None:
    credits_service.charge(
        db_session=db_session,
        scope=scope,
        action=ACTION,
        idempotency_key=key,
        reference_type="job" if job else "post",
        reference_id=reference,
    )


def _recently_analysed(db_session: Session, shortcode: str) -> int | None:
    """The post's id when it was scraped within the freshness window and analysed since."""
    window = timedelta(days=get_settings().freshness_days)
    return db_session.scalar(
        select(Post.id).where(
            Post.short_code == shortcode,
            Post.updated_at > datetime.now(UTC) - window,
            select(PostAnalysis.id).where(PostAnalysis.post_id == Post.id).exists(),
        )
    )


def fetch(event: PostScrapeRequested) -> apify.ScrapeResult | apify.ScrapeFailed:
    """Ask Apify for the post (outside any transaction). Failures come back as values."""
    try:
        return apify.fetch_post(event.url, event.shortcode)
    except apify.ScrapeFailed as exc:
        return exc


def apply(
    *, db_session: Session, event: PostScrapeRequested, result: apify.ScrapeResult | apify.ScrapeFailed
) -> dict[str, Any]:
    """Store the post under its owner, fan out its images, and queue its analysis."""
    job = jobs_service.get(db_session=db_session, job_id=event.job_id, for_update=True)
    if job.status in TERMINAL_STATUSES:
        return {"skipped": f"job already {job.status}"}
    if result.runs:  # a run that failed is billed too
        meters.add(db_session, "apify_runs", result.runs)
    if not isinstance(result, apify.ScrapeFailed):
        meters.add(db_session, "apify_results")
    if isinstance(result, apify.ScrapeFailed) or result.kind != "post":
        reason = str(result) if isinstance(result, apify.ScrapeFailed) else f"no public post at {event.url}"
        jobs_service.update_stage(
            db_session=db_session, job_id=job.id, stage="scrape", status="failed", error=reason, done=0, total=1
        )
        jobs_flows.fail(db_session=db_session, job_id=job.id, reason=reason)
        return {"failed": reason}
    item = result.item
    owner = _owner(db_session, item)
    job.creator_id, job.username = owner.id, owner.username
    [post] = ingest.upsert_posts(db_session=db_session, creator=owner, posts=[item])
    media = [a for a in ingest.upsert_media(db_session=db_session, creator=owner, posts=[(post, item)]) if a.post_id]
    db_session.execute(update(TeamPost).where(TeamPost.job_id == job.id).values(post_id=post.id))
    jobs_service.update_stage(db_session=db_session, job_id=job.id, stage="scrape", status="done", done=1, total=1)
    jobs_service.update_stage(
        db_session=db_session, job_id=job.id, stage="cdn", status="running" if media else "done", total=len(media)
    )
    documents.write(db_session=db_session, creator_id=owner.id)  # the post joins a held creator's report
    for asset in media:
        outbox.add_event(db_session, CdnImageRequested(job_id=job.id, asset_id=asset.id, source_url=asset.source_url))
    settings = get_settings().tasks
    outbox.add_task(
        db_session,
        queue=settings.inference_queue,
        url=f"{settings.inference_url}/v1/analyze",
        payload={"job_id": str(job.id), "creator_id": owner.id, "post_ids": [post.id]},
        dedupe_key=f"analyze:{job.id}",
    )
    return {"creator_id": owner.id, "post_id": post.id, "images": len(media)}


def _owner(db_session: Session, item: dict[str, Any]) -> Creator:
    """The post's owner: the creator we hold under that name, else a bare row (no scrape time: not a report,
    not in the catalogue) that a later search of the profile fills in."""
    username = str(item["ownerUsername"]).lower()
    values = {"username": username, "full_name": ingest.text_of(item.get("ownerFullName")), "source": "apify"}
    db_session.execute(insert(Creator).values(**values).on_conflict_do_nothing(index_elements=["username"]))
    creator = db_session.scalar(select(Creator).where(Creator.username == username))
    assert creator is not None
    return creator
