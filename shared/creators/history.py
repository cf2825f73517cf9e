"""A creator's follower history from its snapshots (one per scrape: searches, refreshes, discovery): the
series, and growth over 7, 30 and 90 days measured from the last snapshot."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.creators.models import CreatorSnapshot

WINDOWS_DAYS = (7, 30, 90)


class SnapshotPoint(BaseModel):
    captured_at: datetime
    followers: int | None
    following: int | None
    posts: int | None


class Growth(BaseModel):
    days: int
    since: datetime  # the snapshot compared against: the latest one at least `days` before the last
    followers_change: int
    rate: float  # followers_change / followers then


class HistoryOut(BaseModel):
    series: list[SnapshotPoint]
    growth: dict[str, Growth | None]  # "7d", "30d", "90d": None until history reaches back that far


def history(*, db_session: Session, creator_id: int) -> HistoryOut:
    rows = db_session.execute(
        select(
            CreatorSnapshot.captured_at,
            CreatorSnapshot.followers_count,
            CreatorSnapshot.follows_count,
            CreatorSnapshot.posts_count,
        )
        .where(CreatorSnapshot.creator_id == creator_id)
        .order_by(CreatorSnapshot.captured_at)
    ).all()
    series = [SnapshotPoint(captured_at=t, followers=f, following=g, posts=p) for t, f, g, p in rows]
    return HistoryOut(series=series, growth={f"{days}d": _growth(series, days) for days in WINDOWS_DAYS})


def _growth(series: list[SnapshotPoint], days: int) -> Growth | None:
    last = series[-1] if series else None
    if last is None or last.followers is None:
        return None
    cutoff = last.captured_at - timedelta(days=days)
    earlier = [(p.captured_at, p.followers) for p in series if p.captured_at <= cutoff and p.followers]
    if not earlier:
        return None
    since, followers_then = earlier[-1]
    assert followers_then  # filtered above: a zero or unknown count gives no rate
    change = last.followers - followers_then
    return Growth(days=days, since=since, followers_change=change, rate=round(change / followers_then, 4))
