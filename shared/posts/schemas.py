"""Post analytics: the request, one post's result, and a campaign's posts with totals."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from shared.jobs.schemas import JobOut
from shared.posts.urls import URL_PATTERN

# A team's own label, in any script and with emoji: what it may not hold is named instead, since classes such as
# `\w` or `\s` mean other things to the document's ECMA dialect, Python's re and pydantic's Rust engine (the server
# accepted `Été` while a client validating against the document refused it), and `\p{L}` is not Python's. Refused:
# control characters, ASCII punctuation but the separators `_ .:#&/+-` (as before), spaces other than " ", and the
# format characters that show nothing (soft hyphen, zero-width space, bidi controls, BOM). ZWNJ and ZWJ stay: Persian
# and Indic words and emoji sequences are written with them. Every label the server took under the old `[\w .:#&/+-]`
# still passes.
_NOT_IN_A_LABEL = (
    r"\x00-\x1f\x7f-\x9f"  # control characters (C0, DEL, C1)
    r'!"$%'  # ASCII punctuation but the separators
    r"'()*,;<=>?@\[\\\]^`{|}~"
    # other spaces, soft hyphen, Arabic letter mark, zero-width space, LRM/RLM, line and paragraph separators,
    # bidi embeddings and isolates, invisible operators
    r"\u00a0\u00ad\u061c\u1680\u180e\u2000-\u200b\u200e\u200f\u2028-\u202f\u205f-\u2064\u2066-\u206f\u3000"
    r"\ufeff\ufff9-\uffff"  # BOM, interlinear annotation, object and replacement characters, non-characters
    r"\u037e\u1fef"  # the Greek question mark and varia: their NFC forms are `;` and a backtick (below)
)
# 1 to 80 characters, the first and the last not a space.
CAMPAIGN = rf"^[^{_NOT_IN_A_LABEL} ](?:[^{_NOT_IN_A_LABEL}]{{0,78}}[^{_NOT_IN_A_LABEL} ])?$"
CAMPAIGN_LABEL = (
    "up to 80 characters: letters, digits, symbols and emoji of any script, spaces but at either end; "
    "of ASCII punctuation only `_.:#&/+-`; stored and matched in Unicode NFC"
)


def _one_spelling(value: str) -> str:
    """A label as it is stored and matched: NFC, so an `é` typed as `e` and a combining accent (as macOS and some
    keyboards send it) is the same label as a precomposed `é`; before, each spelling was a campaign of its own.
    Checked against the pattern as sent (the document's rule), then normalized. Migration 0017 did the same to the
    labels stored before. NFC writes a few letters as two code points (Devanagari क़, Hebrew presentation forms),
    so a label near 80 characters made of them can come back longer than a filter accepts."""
    return unicodedata.normalize("NFC", value)


Campaign = Annotated[str, Field(pattern=CAMPAIGN), AfterValidator(_one_spelling)]


class AnalyzeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(
        min_length=10,
        max_length=300,
        description="instagram.com/p/<code>/ or /reel/<code>/",
        json_schema_extra={"pattern": URL_PATTERN},  # shared.posts.urls enforces it, with a precise reason
    )
    campaign: Campaign | None = Field(None, description=f"group posts to report on them together; {CAMPAIGN_LABEL}")


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
    campaign: Campaign | None = Field(None, description=f"one campaign's posts; {CAMPAIGN_LABEL}")
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
