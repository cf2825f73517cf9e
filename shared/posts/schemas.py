"""Post analytics: the request, one post's result, and a campaign's posts with totals."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.jobs.schemas import JobOut
from shared.posts.urls import URL_PATTERN

CAMPAIGN = r"^[\w .:#&/+-]{1,80}$"  # a team's own label: letters, digits, spaces and a few separators


class AnalyzeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(
        min_length=10,
        max_length=300,
        description="instagram.com/p/<code>/ or /reel/<code>/",
        json_schema_extra={"pattern": URL_PATTERN},  # shared.posts.urls enforces it, with a precise reason
    )
    campaign: str | None = Field(None, pattern=CAMPAIGN, description="group posts to report on them together")


class Owner(BaseModel):
    username: str
    full_name: str | None
    followers_count: int | None  # known when we hold the creator's profile
    held: bool  # the creator's report exists (its median ER is the benchmark below)


class Engagement(BaseModel):
    likes: int | None  # None when hidden
    comments: int
    views: int | None  # reels and videos: plays (or views where plays are absent)
    interactions: int  # likes + comments
    er: float | None  # interactions / the owner's followers, in % (None when followers are unknown)
    creator_median_er: float | None  # the owner's median ER in %, from their report
    vs_creator_median: float | None  # er / creator_median_er (1.0 = a typical post of theirs)


class Sponsorship(BaseModel):
    is_sponsored: bool
    marker: str | None  # what marked it: Instagram's paid-partnership label, #ad, a phrase...
    brand_mentions: list[str]  # the @handles of a sponsored post


class PostResultOut(BaseModel):
    shortcode: str
    url: str
    kind: Literal["post", "reel"]
    campaign: str | None
    owner: Owner
    type: str
    posted_at: datetime | None
    caption: str | None
    hashtags: list[str]
    mentions: list[str]
    engagement: Engagement
    sponsorship: Sponsorship
    images: list[dict[str, Any]]  # CDN renditions
    analysis: dict[str, Any]  # task -> {model_id, model_revision, result}: sentiment, language, categories, visual


class AnalyzeOut(BaseModel):
    kind: Literal["job", "result"]
    job: JobOut | None = None
    result: PostResultOut | None = None


class CampaignQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    campaign: str | None = Field(None, pattern=CAMPAIGN)
    limit: int = Field(100, ge=1, le=500)


class CampaignPost(BaseModel):
    shortcode: str
    url: str
    kind: Literal["post", "reel"]
    campaign: str | None
    status: Literal["pending", "ready", "failed"]
    reason: str | None
    owner: str | None
    likes: int | None
    comments: int | None
    views: int | None
    er: float | None


class CampaignTotals(BaseModel):
    posts: int
    ready: int
    likes: int
    comments: int
    views: int
    engagement: int  # likes + comments
    median_er: float | None


class CampaignPage(BaseModel):
    campaign: str | None
    items: list[CampaignPost]
    totals: CampaignTotals
