"""Per-post model outputs (with model id and revision) and versioned creator insights."""

from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.columns import created_at
from shared.orm import Base

# Per-post task names for the post's latest comments (one result per comment, in scraped order): the insights
# aggregate them (audience sentiment), so they stay out of the report's per-post analysis, as embeddings do.
COMMENT_TASKS = {"sentiment": "comment_sentiment", "language": "comment_language"}
NOT_IN_REPORTS = ("embeddings", *COMMENT_TASKS.values())


class PostAnalysis(Base):
    __tablename__ = "post_analysis"
    __table_args__ = (
        UniqueConstraint("post_id", "task", "model_id", "model_revision", name="uq_post_analysis_post_task_model"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    task: Mapped[str] = mapped_column(Text)
    model_id: Mapped[str] = mapped_column(Text)
    model_revision: Mapped[str] = mapped_column(Text)
    result: Mapped[dict] = mapped_column(JSONB)
    created_at: Mapped[created_at]


class CreatorInsights(Base):
    """One row per computed version; a recompute adds a version and never overwrites the last good one."""

    __tablename__ = "creator_insights"
    __table_args__ = (
        UniqueConstraint("creator_id", "version", name="uq_creator_insights_creator_version"),
        CheckConstraint("status IN ('complete', 'partial')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id", ondelete="CASCADE"))
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(Text)
    analyses_ran: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    analyses_failed: Mapped[dict] = mapped_column(JSONB, default=dict)
    data: Mapped[dict] = mapped_column(JSONB)
    created_at: Mapped[created_at]
