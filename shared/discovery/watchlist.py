"""A team's watchlist: creators re-scraped daily for their follower history. Free to add, limited per plan."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.config import get_settings
from shared.creators import service as creators_service
from shared.creators.models import Creator
from shared.db import advisory_lock
from shared.discovery.models import WatchlistEntry
from shared.discovery.schemas import WatchlistPage, WatchOut
from shared.errors import Conflict, NotFound
from shared.teams import service as teams_service
from shared.teams.scope import TeamScope


def limit_for(*, db_session: Session, scope: TeamScope) -> int:
    limits = get_settings().discovery.watchlist_limits
    plan = teams_service.get_plan(db_session=db_session, team_id=scope.team_id)
    return limits.get(plan, limits.get("free", 0))


def add(*, db_session: Session, scope: TeamScope, username: str) -> WatchOut:
    """Watch a creator we hold (adding one already watched changes nothing); Conflict past the plan's limit."""
    creator = creators_service.get_by_username(db_session=db_session, username=username)
    advisory_lock(db_session, f"watchlist:{scope.team_id}")
    watched = db_session.scalar(select(func.count()).where(WatchlistEntry.team_id == scope.team_id)) or 0
    already = db_session.get(WatchlistEntry, (scope.team_id, creator.id))
    limit = limit_for(db_session=db_session, scope=scope)
    if already is None and watched >= limit:
        raise Conflict(f"the watchlist holds {watched} creators, the plan's limit: remove one or upgrade")
    db_session.execute(
        insert(WatchlistEntry)
        .values(team_id=scope.team_id, creator_id=creator.id, added_by_user_id=scope.user_id)
        .on_conflict_do_nothing()
    )
    entry = db_session.get(WatchlistEntry, (scope.team_id, creator.id))
    assert entry is not None
    return _out(entry, creator)


def remove(*, db_session: Session, scope: TeamScope, username: str) -> None:
    creator = creators_service.get_by_username(db_session=db_session, username=username)
    removed = db_session.execute(
        delete(WatchlistEntry).where(WatchlistEntry.team_id == scope.team_id, WatchlistEntry.creator_id == creator.id)
    )
    if not removed.rowcount:  # type: ignore[attr-defined]
        raise NotFound(f"@{username} is not on this team's watchlist")


def get_page(*, db_session: Session, scope: TeamScope) -> WatchlistPage:
    rows = db_session.execute(
        select(WatchlistEntry, Creator)
        .join(Creator, Creator.id == WatchlistEntry.creator_id)
        .where(WatchlistEntry.team_id == scope.team_id)
        .order_by(WatchlistEntry.created_at, Creator.username)
    )
    return WatchlistPage(items=[_out(e, c) for e, c in rows], limit=limit_for(db_session=db_session, scope=scope))


def _out(entry: WatchlistEntry, creator: Creator) -> WatchOut:
    return WatchOut(
        username=creator.username,
        added_at=entry.created_at,
        last_scraped_at=creator.scraped_at,
        refresh_every_days=get_settings().discovery.refresh_watchlist_every_days,
    )
