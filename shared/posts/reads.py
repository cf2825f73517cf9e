"""What a team reads about its analysed posts: one post's result, and a campaign's posts with totals."""

from __future__ import annotations

import statistics
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.analysis.models import NOT_IN_REPORTS, CreatorInsights, PostAnalysis
from shared.creators.models import Creator, MediaAsset, Post
from shared.errors import NotFound
from shared.insights.content import is_sponsored
from shared.insights.inputs import PostData
from shared.jobs.models import Job
from shared.jobs.schemas import JobOut
from shared.posts.models import TeamPost
from shared.posts.schemas import (
    AnalyzeOut,
    CampaignPage,
    CampaignPost,
    CampaignQuery,
    CampaignTotals,
    Engagement,
    Owner,
    PostResultOut,
    Sponsorship,
)
from shared.teams.scope import TeamScope


def get_row(*, db_session: Session, scope: TeamScope, shortcode: str) -> TeamPost:
    row = db_session.scalar(select(TeamPost).where(TeamPost.team_id == scope.team_id, TeamPost.shortcode == shortcode))
    if row is None:  # another team's post is not revealed
        raise NotFound(f"your team has not analysed post {shortcode}: POST /v1/posts/analyze first")
    return row


def view(*, db_session: Session, scope: TeamScope, row: TeamPost) -> AnalyzeOut:
    """The post's result once its job ended with the post held, else its job (in flight, or failed and why)."""
    job = db_session.get(Job, row.job_id) if row.job_id else None
    if row.post_id is not None and (job is None or job.status in ("complete", "partial")):
        return AnalyzeOut(kind="result", result=result(db_session=db_session, scope=scope, row=row))
    if job is None:
        raise NotFound(f"post {row.shortcode} has no analysis: POST /v1/posts/analyze again")
    return AnalyzeOut(kind="job", job=JobOut.model_validate(job))


def views_of(post: Post) -> int | None:
    return post.video_play_count or post.video_view_count


def er_of(post: Post, followers: int | None) -> float | None:
    if post.likes_count is None or not followers:
        return None
    return round(100.0 * (post.likes_count + (post.comments_count or 0)) / followers, 4)


def result(*, db_session: Session, scope: TeamScope, row: TeamPost) -> PostResultOut:
    """The analysed post: engagement (against its creator's median when we hold the creator), the models'
    outputs, sponsorship markers and brand mentions."""
    post = db_session.get(Post, row.post_id)
    if post is None:
        raise NotFound(f"post {row.shortcode} is no longer held")
    owner = db_session.get(Creator, post.creator_id)
    assert owner is not None
    median = _creator_median_er(db_session, owner)
    er = er_of(post, owner.followers_count)
    analysis = {
        task: {"model_id": model_id, "model_revision": revision, "result": output}
        for task, model_id, revision, output in db_session.execute(
            select(PostAnalysis.task, PostAnalysis.model_id, PostAnalysis.model_revision, PostAnalysis.result)
            .where(PostAnalysis.post_id == post.id, PostAnalysis.task.not_in(NOT_IN_REPORTS))
            .order_by(PostAnalysis.id)  # the newest row of a task analysed again
        )
    }
    sponsored, marker = is_sponsored(
        PostData(
            post.post_type, post.posted_at, post.likes_count, post.comments_count or 0, caption=post.caption or "",
            hashtags=tuple(post.hashtags), is_sponsored=post.is_sponsored,
        )
    )  # fmt: skip
    images = db_session.execute(
        select(MediaAsset.position, MediaAsset.status, MediaAsset.cdn_urls)
        .where(MediaAsset.post_id == post.id)
        .order_by(MediaAsset.position)
    ).all()
    return PostResultOut(
        shortcode=post.short_code,
        url=row.url,
        kind=row.kind,  # type: ignore[arg-type]
        campaign=row.campaign,
        owner=Owner(
            username=owner.username,
            full_name=owner.full_name,
            followers_count=owner.followers_count,
            held=owner.scraped_at is not None,
        ),
        type=post.post_type,
        posted_at=post.posted_at,
        caption=post.caption,
        hashtags=post.hashtags,
        mentions=post.mentions,
        engagement=Engagement(
            likes=post.likes_count,
            comments=post.comments_count or 0,
            views=views_of(post),
            interactions=(post.likes_count or 0) + (post.comments_count or 0),
            er=er,
            creator_median_er=median,
            vs_creator_median=round(er / median, 2) if er is not None and median else None,
        ),
        sponsorship=Sponsorship(
            is_sponsored=sponsored,
            marker=marker,
            brand_mentions=sorted({m.lower() for m in post.mentions}) if sponsored else [],
        ),
        images=[{"position": p, "status": s, "cdn_urls": c or {}} for p, s, c in images],
        analysis=analysis,
    )


def _creator_median_er(db_session: Session, owner: Creator) -> float | None:
    data = db_session.scalar(
        select(CreatorInsights.data)
        .where(CreatorInsights.creator_id == owner.id)
        .order_by(CreatorInsights.version.desc())
        .limit(1)
    )
    return ((data or {}).get("engagement") or {}).get("median_er")


def campaign(*, db_session: Session, scope: TeamScope, query: CampaignQuery) -> CampaignPage:
    """GET /v1/posts: the team's analysed posts (one campaign, or all), newest first, with totals over them."""
    statement = (
        select(TeamPost, Post, Creator.username, Creator.followers_count, Job.status, Job.reason)
        .outerjoin(Post, Post.id == TeamPost.post_id)
        .outerjoin(Creator, Creator.id == Post.creator_id)
        .outerjoin(Job, Job.id == TeamPost.job_id)
        .where(TeamPost.team_id == scope.team_id)
        .order_by(TeamPost.created_at.desc(), TeamPost.id.desc())
        .limit(query.limit)
    )
    if query.campaign is not None:
        statement = statement.where(TeamPost.campaign == query.campaign)
    items = [_campaign_post(*row) for row in db_session.execute(statement)]
    ready = [i for i in items if i.status == "ready"]
    rates = [i.er for i in ready if i.er is not None]
    totals = CampaignTotals(
        posts=len(items),
        ready=len(ready),
        likes=sum(i.likes or 0 for i in ready),
        comments=sum(i.comments or 0 for i in ready),
        views=sum(i.views or 0 for i in ready),
        engagement=sum((i.likes or 0) + (i.comments or 0) for i in ready),
        median_er=round(statistics.median(rates), 4) if rates else None,
    )
    return CampaignPage(campaign=query.campaign, items=items, totals=totals)


def _campaign_post(
    row: TeamPost, post: Post | None, owner: str | None, followers: int | None, status: str | None, reason: Any
) -> CampaignPost:
    state = "ready" if post is not None and status in (None, "complete", "partial") else (
        "failed" if status == "failed" else "pending"
    )  # fmt: skip
    return CampaignPost(
        shortcode=row.shortcode,
        url=row.url,
        kind=row.kind,  # type: ignore[arg-type]
        campaign=row.campaign,
        status=state,  # type: ignore[arg-type]
        reason=reason if state == "failed" else None,
        owner=owner,
        likes=post.likes_count if post else None,
        comments=post.comments_count if post else None,
        views=views_of(post) if post else None,
        er=er_of(post, followers) if post else None,
    )
