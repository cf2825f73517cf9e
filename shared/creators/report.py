"""The creator report (full, for teams that unlocked it) and the preview (everyone else).

Stages not yet run show as pending with no numbers: analysis and insights are never faked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.analysis.models import NOT_IN_REPORTS, CreatorInsights, PostAnalysis
from shared.config import get_settings
from shared.creators import completeness
from shared.creators.history import HistoryOut, history
from shared.creators.models import Creator, MediaAsset, Post, RelatedProfile
from shared.jobs.schemas import JobOut

# What a preview shows of the profile (search hits and locked reports alike).
PREVIEW_PROFILE = ("username", "full_name", "followers_count", "is_verified", "is_private", "avatar")


class Freshness(BaseModel):
    scraped_at: datetime | None
    age_hours: float | None
    fresh: bool
    stale_after: datetime | None


class Avatar(BaseModel):
    status: str
    cdn_urls: dict[str, str]


class ProfileOut(BaseModel):
    username: str
    full_name: str | None
    followers_count: int | None
    is_verified: bool
    is_private: bool
    avatar: Avatar | None


class FullProfileOut(ProfileOut):
    biography: str | None
    external_url: str | None
    follows_count: int | None
    posts_count: int | None
    is_business: bool
    business_category: str | None


class ImageOut(BaseModel):
    position: int
    status: str
    cdn_urls: dict[str, str]


class PostOut(BaseModel):
    short_code: str
    type: str
    url: str | None
    caption: str | None
    hashtags: list[str]
    mentions: list[str]
    likes_count: int | None
    likes_hidden: bool
    comments_count: int | None
    video_view_count: int | None
    video_play_count: int | None
    posted_at: datetime | None
    is_sponsored: bool
    is_pinned: bool
    location_name: str | None
    images: list[ImageOut]
    analysis: dict[str, Any]


class SectionStatus(BaseModel):
    status: Literal["pending", "complete", "partial"]
    data: dict[str, Any] | None = None
    models: list[str] = []


class Provenance(BaseModel):
    source: str
    actor: str
    scraped_at: datetime | None
    model_ids: list[str]


class ReportOut(BaseModel):
    state: completeness.ReportState
    profile: FullProfileOut
    posts: list[PostOut]
    analysis: SectionStatus
    insights: SectionStatus
    freshness: Freshness
    history: HistoryOut
    provenance: Provenance
    related_profiles: list[completeness.RelatedProfile] = []
    visual_summary: completeness.VisualSummary | None = None
    job: JobOut | None = None


class UnlockPrice(BaseModel):
    action: str
    credits: int


class PreviewOut(BaseModel):
    profile: ProfileOut
    posts_count: int | None
    locked: Literal[True] = True
    unlock_price: UnlockPrice
    freshness: Freshness


def freshness(creator: Creator) -> Freshness:
    return freshness_at(creator.scraped_at)


def freshness_at(scraped_at: datetime | None) -> Freshness:
    """How old the data scraped at `scraped_at` is now, and until when it counts as fresh."""
    window = timedelta(days=get_settings().freshness_days)
    if scraped_at is None:
        return Freshness(scraped_at=None, age_hours=None, fresh=False, stale_after=None)
    age = datetime.now(UTC) - scraped_at
    return Freshness(
        scraped_at=scraped_at,
        age_hours=round(age.total_seconds() / 3600, 2),
        fresh=age < window,
        stale_after=scraped_at + window,
    )


def full(*, db_session: Session, creator: Creator, job: JobOut | None = None) -> ReportOut:
    posts = db_session.scalars(
        select(Post).where(Post.creator_id == creator.id).order_by(Post.posted_at.desc().nulls_last())
    ).all()
    # One query for the avatar and every post image; plain rows, no ORM identity bookkeeping.
    media: dict[int, list[ImageOut]] = {}
    avatar: Avatar | None = None
    assets = select(MediaAsset.post_id, MediaAsset.kind, MediaAsset.position, MediaAsset.status, MediaAsset.cdn_urls)
    for post_id, kind, position, status, cdn_urls in db_session.execute(
        assets.where(MediaAsset.creator_id == creator.id).order_by(MediaAsset.position)
    ):
        if kind == "avatar":
            avatar = Avatar(status=status, cdn_urls=cdn_urls or {})
        elif post_id is not None:
            media.setdefault(post_id, []).append(ImageOut(position=position, status=status, cdn_urls=cdn_urls or {}))
    analysis: dict[int, dict[str, Any]] = {}
    models: set[str] = set()
    # Embeddings (384 floats a post) serve search and similarity, not the report: never read here.
    rows = (
        select(
            PostAnalysis.post_id,
            PostAnalysis.task,
            PostAnalysis.model_id,
            PostAnalysis.model_revision,
            PostAnalysis.result,
        )
        .join(Post, Post.id == PostAnalysis.post_id)
        .where(Post.creator_id == creator.id, PostAnalysis.task.not_in(NOT_IN_REPORTS))
        .order_by(PostAnalysis.id)  # a task analysed again (another model or revision): the newest row is shown
    )
    for post_id, task, model_id, model_revision, result in db_session.execute(rows):
        analysis.setdefault(post_id, {})[task] = {
            "model_id": model_id,
            "model_revision": model_revision,
            "result": result,
        }
        models.add(f"{model_id}@{model_revision}")
    insights = db_session.scalar(
        select(CreatorInsights).where(CreatorInsights.creator_id == creator.id).order_by(CreatorInsights.version.desc())
    )
    profile = FullProfileOut(
        username=creator.username,
        full_name=creator.full_name,
        followers_count=creator.followers_count,
        is_verified=creator.is_verified,
        is_private=creator.is_private,
        avatar=avatar,
        biography=creator.biography,
        external_url=creator.external_url,
        follows_count=creator.follows_count,
        posts_count=creator.posts_count,
        is_business=creator.is_business,
        business_category=creator.business_category,
    )
    post_out = [
        PostOut(
            short_code=p.short_code,
            type=p.post_type,
            url=p.url,
            caption=p.caption,
            hashtags=p.hashtags,
            mentions=p.mentions,
            likes_count=p.likes_count,
            likes_hidden=p.likes_hidden,
            comments_count=p.comments_count,
            video_view_count=p.video_view_count,
            video_play_count=p.video_play_count,
            posted_at=p.posted_at,
            is_sponsored=p.is_sponsored,
            is_pinned=p.is_pinned,
            location_name=p.location_name,
            images=media.get(p.id, []),
            analysis=analysis.get(p.id, {"status": "pending"}),
        )
        for p in posts
    ]
    analysed = bool(posts) and all(p.id in analysis for p in posts)
    related = db_session.execute(
        select(RelatedProfile.username, RelatedProfile.full_name, RelatedProfile.is_verified, RelatedProfile.is_private)
        .where(RelatedProfile.creator_id == creator.id)
        .order_by(RelatedProfile.position)
    ).all()
    visual = [a["visual"]["result"] for a in analysis.values() if "visual" in a]
    return ReportOut(
        state=completeness.state(
            posts=len(posts),
            analysed=analysed,
            insights=insights.data if insights else None,
            failed=insights.analyses_failed if insights else {},
        ),
        profile=profile,
        posts=post_out,
        analysis=SectionStatus(status="complete" if analysed else "pending", models=sorted(models)),
        insights=SectionStatus(status=insights.status, data=insights.data)
        if insights  # type: ignore[arg-type]
        else SectionStatus(status="pending"),
        freshness=freshness(creator),
        history=history(db_session=db_session, creator_id=creator.id),
        provenance=Provenance(
            source=creator.source,
            actor=get_settings().apify.actor,
            scraped_at=creator.scraped_at,
            model_ids=sorted(models),
        ),
        related_profiles=[completeness.RelatedProfile.model_validate(row._asdict()) for row in related],
        visual_summary=completeness.visual_summary(visual),
        job=job,
    )
