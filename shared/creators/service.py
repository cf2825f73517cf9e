"""Creator lookups."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.creators.models import Creator
from shared.errors import NotFound


def get_by_username(*, db_session: Session, username: str) -> Creator:
    creator = db_session.scalar(select(Creator).where(Creator.username == username))
    if creator is None:
        raise NotFound(f"no creator @{username} yet: search for it first")
    return creator
