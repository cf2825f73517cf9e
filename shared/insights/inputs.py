"""What the insights read: plain values, so every analysis is a pure function that tests can feed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.analysis.models import COMMENT_TASKS, PostAnalysis
from shared.creators.models import Creator, CreatorSnapshot, Post
from shared.errors import NotFound


@dataclass(frozen=True)
class Comment:
    """One of a post's latest comments, as scraped (Apify's latestComments: text, ownerUsername)."""

    text: str
    author: str | None = None
    sentiment: str | None = None  # positive | neutral | negative; None when not analysed or unavailable
    language: str | None = None


COMMENTS_ANALYSED = 20  # per post, the first of its scraped latest comments (the analysis cost grows with them)


def scraped_comments(raw: Any) -> list[dict[str, Any]]:
    """A post's latest comments as scraped (Apify's latestComments), malformed entries left out: the order the
    analysis and the insights both count in."""
    return [c for c in raw or [] if isinstance(c, dict)]


@dataclass(frozen=True)
class PostData:
    post_type: str  # Image | Video | Sidecar
    posted_at: datetime | None
    likes: int | None  # None when hidden
    comments: int
    caption: str = ""
    hashtags: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    is_sponsored: bool = False
    location: str | None = None
    latest_comments: tuple[Comment, ...] = ()
    views: int | None = None
    analysis: dict[str, Any] = field(default_factory=dict)  # task -> result

    @property
    def comment_texts(self) -> tuple[str, ...]:
        return tuple(c.text for c in self.latest_comments)


@dataclass(frozen=True)
class Snapshot:
    captured_at: datetime
    followers: int
    follows: int


@dataclass(frozen=True)
class CreatorData:
    followers: int
    follows: int
    posts_count: int
    biography: str = ""
    posts: tuple[PostData, ...] = ()
    snapshots: tuple[Snapshot, ...] = ()
    business_category: str | None = None


def confident_sentiment(answer: dict[str, Any]) -> str | None:
    """A sentiment label to count: not an unavailable answer, not one routed to a model outside its languages."""
    if answer.get("status") == "unavailable" or answer.get("low_confidence"):
        return None
    label = answer.get("label")
    return str(label) if label else None


def _comments(raw: Any, analysis: dict[str, Any]) -> tuple[Comment, ...]:
    sentiments = analysis.get(COMMENT_TASKS["sentiment"]) or []
    languages = analysis.get(COMMENT_TASKS["language"]) or []
    out = []
    for n, c in enumerate(scraped_comments(raw)):
        sentiment = sentiments[n] if n < len(sentiments) and isinstance(sentiments[n], dict) else {}
        language = languages[n] if n < len(languages) and isinstance(languages[n], dict) else {}
        out.append(
            Comment(
                str(c.get("text") or ""),
                str(c["ownerUsername"]) if c.get("ownerUsername") else None,
                confident_sentiment(sentiment),
                language.get("label"),
            )
        )
    return tuple(out)


def _merged(first: Any, second: Any) -> Any:
    """A post's comment answers from two sentiment models of one job (gpu_inference/routing.py): each list holds
    its model's answers and None for the other's comments."""
    if isinstance(first, list) and isinstance(second, list) and len(first) == len(second):
        return [b if b is not None else a for a, b in zip(first, second, strict=True)]
    return second


def load(*, db_session: Session, creator_id: int) -> CreatorData:
    creator = db_session.get(Creator, creator_id)
    if creator is None:
        raise NotFound(f"creator {creator_id} not found")
    posts = db_session.scalars(select(Post).where(Post.creator_id == creator_id)).all()
    analysis: dict[int, dict[str, Any]] = {}
    rows = db_session.scalars(
        select(PostAnalysis).where(PostAnalysis.post_id.in_([p.id for p in posts])).order_by(PostAnalysis.id)
    )
    jobs: dict[tuple[int, str], Any] = {}
    for row in rows:  # the newest row of a task wins; one job's comment answers may span two models' rows
        held = analysis.setdefault(row.post_id, {})
        same_job = jobs.get((row.post_id, row.task)) == row.job_id and row.job_id is not None
        held[row.task] = _merged(held[row.task], row.result) if same_job else row.result
        jobs[(row.post_id, row.task)] = row.job_id
    snapshots = db_session.scalars(
        select(CreatorSnapshot).where(CreatorSnapshot.creator_id == creator_id).order_by(CreatorSnapshot.captured_at)
    ).all()
    return CreatorData(
        followers=creator.followers_count or 0,
        follows=creator.follows_count or 0,
        posts_count=creator.posts_count or 0,
        biography=creator.biography or "",
        business_category=creator.business_category,
        posts=tuple(
            PostData(
                post_type=p.post_type,
                posted_at=p.posted_at,
                likes=None if p.likes_hidden else p.likes_count,
                comments=p.comments_count or 0,
                caption=p.caption or "",
                hashtags=tuple(p.hashtags or ()),
                mentions=tuple(p.mentions or ()),
                is_sponsored=p.is_sponsored,
                location=p.location_name,
                latest_comments=_comments(p.latest_comments, analysis.get(p.id, {})),
                views=p.video_play_count or p.video_view_count,  # reels report plays; older videos views
                analysis=analysis.get(p.id, {}),
            )
            for p in posts
        ),
        snapshots=tuple(
            Snapshot(s.captured_at, s.followers_count or 0, s.follows_count or 0)
            for s in snapshots
            if s.followers_count is not None
        ),
    )
