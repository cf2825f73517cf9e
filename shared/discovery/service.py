"""Who system scrapes should fetch next, and how many they may start now.

Discovery candidates come only from what we hold: the related profiles of catalogue creators and the accounts
their posts mention. Each is ranked by

    score = 3 x (catalogue creators listing it as related)
          + 1 x (posts mentioning it)
          + 2 x (teams that searched or unlocked, in the last 30 days, a creator pointing at it: demand)
          + 1 if Instagram marks it verified

and only creators inside the configured follower band (and categories/languages, when set) may lead to
candidates. Never queued: accounts known private, accounts remembered as missing, creators scraped within
the freshness window, usernames already in flight. Refresh candidates are creators a team watches (due daily)
or unlocked in the last 30 days (due weekly), watched first, then the longest unscraped.

Discovery and refresh share one daily budget and one in-flight limit, counted from the jobs table under an
advisory lock, so overlapping runs and redelivered ticks queue no more than the limits allow.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from shared.analysis.models import CreatorInsights
from shared.config import DiscoverySettings, get_settings
from shared.creators.models import Creator, Post, RelatedProfile, SearchMiss
from shared.credits.models import UnlockedInfluencer
from shared.db import advisory_lock
from shared.discovery.models import WatchlistEntry
from shared.jobs.models import ACTIVE_STATUSES, SYSTEM_ORIGINS, Job, JobWatcher

WEIGHTS = {"related": 3, "mentioned": 1, "demand": 2, "verified": 1}
DEMAND_DAYS = 30
USERNAME = re.compile(r"^(?!.*\.\.)(?!\.)(?!.*\.$)[a-z0-9._]{1,30}$")
LIMITS_LOCK = "system-scrapes"


@dataclass
class Candidate:
    username: str
    score: int = 0
    related_by: set[int] = field(default_factory=set)
    mentions: int = 0
    demand: int = 0
    verified: bool = False
    private: bool = False


@dataclass(frozen=True)
class Limits:
    per_day: int
    used_today: int
    in_flight: int
    max_in_flight: int

    @property
    def budget_left(self) -> int:
        return max(0, self.per_day - self.used_today)

    def slots(self, per_run: int) -> tuple[int, str]:
        """How many scrapes this run may start, and which limit binds."""
        options = [
            (self.budget_left, "daily_budget"),
            (max(0, self.max_in_flight - self.in_flight), "in_flight_limit"),
            (per_run, "per_run_limit"),
        ]
        return min(options)


def system_limits(*, db_session: Session, now: datetime | None = None) -> Limits:
    """Take the system-scrape lock (held until the caller's transaction ends), then count what is used."""
    advisory_lock(db_session, LIMITS_LOCK)
    now = now or datetime.now(UTC)
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    system = Job.origin.in_(SYSTEM_ORIGINS)
    used = db_session.scalar(select(func.count()).where(system, Job.created_at >= midnight)) or 0
    flying = db_session.scalar(select(func.count()).where(system, Job.status.in_(ACTIVE_STATUSES))) or 0
    settings = get_settings().discovery
    return Limits(settings.max_profiles_per_day, int(used), int(flying), settings.max_in_flight)


def discovery_candidates(*, db_session: Session) -> tuple[list[Candidate], Counter[str]]:
    """Ranked candidates and the count of those set aside, by reason."""
    settings = get_settings().discovery
    leaders = _leading_creators(db_session, settings)
    found: dict[str, Candidate] = {}
    related = db_session.execute(
        select(
            RelatedProfile.username, RelatedProfile.creator_id, RelatedProfile.is_verified, RelatedProfile.is_private
        )
    )
    for username, creator_id, verified, private in related:
        if creator_id in leaders:
            candidate = found.setdefault(username.lower(), Candidate(username.lower()))
            candidate.related_by.add(creator_id)
            candidate.verified |= bool(verified)
            candidate.private |= bool(private)
    mentions = db_session.execute(
        select(func.lower(func.unnest(Post.mentions)).label("username"), Post.creator_id)
    ).all()
    pointing: defaultdict[str, set[int]] = defaultdict(set)
    for username, creator_id in mentions:
        if creator_id in leaders:
            found.setdefault(username, Candidate(username)).mentions += 1
            pointing[username].add(creator_id)
    demand = _demand(db_session)
    for candidate in found.values():
        teams = set().union(*(demand.get(c, set()) for c in candidate.related_by | pointing[candidate.username]))
        candidate.demand = len(teams)
        candidate.score = (
            WEIGHTS["related"] * len(candidate.related_by)
            + WEIGHTS["mentioned"] * candidate.mentions
            + WEIGHTS["demand"] * candidate.demand
            + WEIGHTS["verified"] * candidate.verified
        )
    kept, skipped = _screen(db_session, list(found.values()))
    kept.sort(key=lambda c: (-c.score, c.username))
    return kept, skipped


def refresh_candidates(*, db_session: Session, now: datetime | None = None) -> tuple[list[Candidate], Counter[str]]:
    """Creators due a re-scrape: watched ones daily, recently unlocked ones weekly; watched first."""
    settings = get_settings().discovery
    now = now or datetime.now(UTC)
    watched_due = now - timedelta(days=settings.refresh_watchlist_every_days)
    unlocked_due = now - timedelta(days=settings.refresh_every_days)
    unlocked_since = now - timedelta(days=settings.refresh_unlocked_within_days)
    watched = select(WatchlistEntry.creator_id)
    unlocked = select(UnlockedInfluencer.creator_id).where(UnlockedInfluencer.unlocked_at >= unlocked_since)
    rows = db_session.execute(
        select(Creator.username, Creator.is_private, Creator.id.in_(watched).label("watched"))
        .where(
            or_(
                Creator.id.in_(watched) & or_(Creator.scraped_at.is_(None), Creator.scraped_at < watched_due),
                Creator.id.in_(unlocked) & or_(Creator.scraped_at.is_(None), Creator.scraped_at < unlocked_due),
            )
        )
        .order_by(Creator.id.in_(watched).desc(), Creator.scraped_at.asc().nulls_first(), Creator.username)
    ).all()
    skipped: Counter[str] = Counter()
    due = []
    for username, private, is_watched in rows:
        if private:
            skipped["private"] += 1
            continue
        due.append(Candidate(username, score=2 if is_watched else 1))
    return due, skipped


def _leading_creators(db_session: Session, settings: DiscoverySettings) -> set[int]:
    """Catalogue creators inside the follower band (and the category/language filters, when set)."""
    query = select(Creator.id).where(Creator.is_private.is_(False), Creator.followers_count >= settings.min_followers)
    if settings.max_followers is not None:
        query = query.where(Creator.followers_count <= settings.max_followers)
    ids = set(db_session.scalars(query))
    if not (settings.categories or settings.languages) or not ids:
        return ids
    latest = (
        select(CreatorInsights.creator_id, CreatorInsights.data)
        .where(CreatorInsights.creator_id.in_(ids))
        .order_by(CreatorInsights.creator_id, CreatorInsights.version.desc())
        .distinct(CreatorInsights.creator_id)
    )
    return {creator_id for creator_id, data in db_session.execute(latest) if _matches(data, settings)}


def _matches(data: dict[str, Any], settings: DiscoverySettings) -> bool:
    categories = {c["label"] for c in (data.get("content") or {}).get("top_categories") or []}
    languages = {item["code"] for item in ((data.get("audience") or {}).get("languages") or {}).get("posts") or []}
    return (not settings.categories or bool(categories & set(settings.categories))) and (
        not settings.languages or bool(languages & set(settings.languages))
    )


def _demand(db_session: Session) -> dict[int, set[Any]]:
    """Per creator, the teams that searched or unlocked it in the last 30 days."""
    since = datetime.now(UTC) - timedelta(days=DEMAND_DAYS)
    teams: defaultdict[int, set[Any]] = defaultdict(set)
    unlocks = select(UnlockedInfluencer.creator_id, UnlockedInfluencer.team_id).where(
        UnlockedInfluencer.unlocked_at >= since
    )
    searches = (
        select(Job.creator_id, JobWatcher.team_id)
        .join(JobWatcher, JobWatcher.job_id == Job.id)
        .where(Job.creator_id.is_not(None), JobWatcher.created_at >= since)
    )
    for creator_id, team_id in [*db_session.execute(unlocks), *db_session.execute(searches)]:
        teams[creator_id].add(team_id)
    return teams


def _screen(db_session: Session, candidates: list[Candidate]) -> tuple[list[Candidate], Counter[str]]:
    """Set aside what must not be scraped now, counting each reason."""
    names = [c.username for c in candidates]
    fresh_after = datetime.now(UTC) - timedelta(days=get_settings().freshness_days)
    held = {
        username: (private, scraped_at)
        for username, private, scraped_at in db_session.execute(
            select(Creator.username, Creator.is_private, Creator.scraped_at).where(Creator.username.in_(names))
        )
    }
    missing = dict(
        db_session.execute(
            select(SearchMiss.username, SearchMiss.reason).where(
                SearchMiss.username.in_(names), SearchMiss.until > func.now()
            )
        ).all()
    )
    flying = set(
        db_session.scalars(select(Job.username).where(Job.username.in_(names), Job.status.in_(ACTIVE_STATUSES)))
    )
    kept: list[Candidate] = []
    skipped: Counter[str] = Counter()
    for candidate in candidates:
        private, scraped_at = held.get(candidate.username, (False, None))
        if not USERNAME.match(candidate.username):
            skipped["invalid_username"] += 1
        elif candidate.private or private or missing.get(candidate.username) == "private":
            skipped["private"] += 1
        elif candidate.username in missing:
            skipped["known_missing"] += 1
        elif scraped_at is not None and scraped_at >= fresh_after:
            skipped["fresh"] += 1
        elif candidate.username in flying:
            skipped["in_flight"] += 1
        else:
            kept.append(candidate)
    return kept, skipped
