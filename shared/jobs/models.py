"""Jobs: a creator search (one in flight per username) or one post's analysis (one in flight per post); stage
progress, always a terminal state with a reason."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.columns import created_at, updated_at, uuid_pk
from shared.orm import Base

ACTIVE_STATUSES = ("queued", "running")
SYSTEM_ORIGINS = ("discovery", "refresh")  # scrapes no team asked for: no charge, a lower priority
TERMINAL_STATUSES = ("complete", "partial", "failed")


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'complete', 'partial', 'failed')", name="status_known"),
        CheckConstraint("status NOT IN ('partial', 'failed') OR reason IS NOT NULL", name="reason_when_not_ok"),
        CheckConstraint("origin IN ('search', 'discovery', 'refresh')", name="origin_known"),
        CheckConstraint("kind IN ('creator', 'post')", name="kind_known"),
        CheckConstraint("kind = 'post' OR username IS NOT NULL", name="creator_job_names_its_creator"),
        CheckConstraint("kind = 'creator' OR post_shortcode IS NOT NULL", name="post_job_names_its_post"),
        Index("ix_jobs_origin_created_at", "origin", "created_at"),
        Index("ix_jobs_created_at", "created_at"),
        Index("ix_jobs_requested_by_team_created_at", "requested_by_team_id", "created_at"),
        # Create-or-join: at most one in-flight job per username, enforced by Postgres.
        Index(
            "uq_jobs_username_in_flight",
            "username",
            unique=True,
            postgresql_where=text("status IN ('queued', 'running') AND kind = 'creator'"),
        ),
        # Post analytics: at most one in-flight job per post.
        Index(
            "uq_jobs_post_in_flight",
            "post_shortcode",
            unique=True,
            postgresql_where=text("status IN ('queued', 'running') AND kind = 'post'"),
        ),
    )

    id: Mapped[uuid_pk]
    kind: Mapped[str] = mapped_column(Text, default="creator", server_default="creator")  # creator | post
    username: Mapped[str | None] = mapped_column(Text)  # a post job learns its owner from the scrape
    post_shortcode: Mapped[str | None] = mapped_column(Text)
    creator_id: Mapped[int | None] = mapped_column(ForeignKey("creators.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(Text, default="queued")
    # {"scrape": {"status": "done", "done": 1, "total": 1, "error": null}, "cdn": {...}, ...}
    stages: Mapped[dict] = mapped_column(JSONB, default=dict)
    reason: Mapped[str | None] = mapped_column(Text)
    refresh: Mapped[bool] = mapped_column(default=False)
    origin: Mapped[str] = mapped_column(Text, default="search", server_default="search")
    requested_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    requested_by_team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class JobWatcher(Base):
    """A team that searched into a job (created or joined it): only these teams may see it."""

    __tablename__ = "job_watchers"

    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[created_at]
