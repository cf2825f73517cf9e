"""A team's analysed posts: which post (by shortcode), under which campaign, through which job."""

from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shared.columns import created_at, updated_at
from shared.orm import Base


class TeamPost(Base):
    __tablename__ = "team_posts"
    __table_args__ = (
        UniqueConstraint("team_id", "shortcode", name="uq_team_posts_team_shortcode"),
        CheckConstraint("kind IN ('post', 'reel')", name="kind_known"),
        Index("ix_team_posts_team_campaign_created", "team_id", "campaign", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    shortcode: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)  # canonical: https://www.instagram.com/{p|reel}/{shortcode}/
    kind: Mapped[str] = mapped_column(Text)
    campaign: Mapped[str | None] = mapped_column(Text)
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    requested_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]
