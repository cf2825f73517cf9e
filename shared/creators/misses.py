"""The negative cache: a username whose scrape ended not_found or private is remembered for a while, and a
search for it answers at once with the same problem (no Apify run, no charge, no job)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared import errors
from shared.config import get_settings
from shared.creators.models import SearchMiss


class CreatorUnavailable(errors.NotFound):
    title = "Creator unavailable"
    code = "creator_unavailable"


def remember(*, db_session: Session, username: str, reason: str, detail: str) -> None:
    """Record (or extend) a miss; reason is not_found or private."""
    until = datetime.now(UTC) + timedelta(hours=get_settings().discovery.miss_ttl_hours)
    statement = insert(SearchMiss).values(username=username, reason=reason, detail=detail, until=until)
    db_session.execute(
        statement.on_conflict_do_update(
            index_elements=["username"], set_={"reason": reason, "detail": detail, "until": until}
        )
    )


def refuse_if_missing(*, db_session: Session, username: str) -> None:
    """CreatorUnavailable while a miss for `username` is remembered."""
    miss = db_session.scalar(
        select(SearchMiss).where(SearchMiss.username == username, SearchMiss.until > datetime.now(UTC))
    )
    if miss is not None:
        raise CreatorUnavailable(miss.detail, reason=miss.reason)


def forget(*, db_session: Session, username: str) -> None:
    """A scrape found the account after all (created, or made public): searches go through again."""
    db_session.execute(delete(SearchMiss).where(SearchMiss.username == username))
