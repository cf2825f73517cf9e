"""Discovery run records and the per-team watchlist (creators re-scraped daily)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.columns import created_at, uuid_pk
from shared.orm import Base


class DiscoveryRun(Base):
    """What one scheduler tick did: candidates seen, who was queued, who was skipped and why, the budget left."""

    __tablename__ = "discovery_runs"
    __table_args__ = (
        CheckConstraint("mode IN ('discover', 'refresh')", name="mode_known"),
        Index("ix_discovery_runs_started_at", "started_at"),
    )

    id: Mapped[uuid_pk]
    mode: Mapped[str] = mapped_column(Text)
    message_key: Mapped[str] = mapped_column(Text)
    started_at: Mapped[created_at]
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    candidates_seen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    queued: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    skipped: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")
    budget_per_day: Mapped[int] = mapped_column(Integer)
    budget_left: Mapped[int] = mapped_column(Integer)
    in_flight: Mapped[int] = mapped_column(Integer)


class WatchlistEntry(Base):
    """A creator a team watches: re-scraped daily (within the system budget) for its follower history."""

    __tablename__ = "watchlist"
    __table_args__ = (Index("ix_watchlist_creator_id", "creator_id"),)

    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id", ondelete="CASCADE"), primary_key=True)
    added_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[created_at]
