"""Creators, their posts, media to re-host, related profiles and follower snapshots."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.columns import created_at, updated_at
from shared.orm import Base


class Creator(Base):
    __tablename__ = "creators"
    __table_args__ = (CheckConstraint("username = lower(username)", name="username_lowercase"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    ig_id: Mapped[str | None] = mapped_column(Text, unique=True)
    username: Mapped[str] = mapped_column(Text, unique=True)
    full_name: Mapped[str | None] = mapped_column(Text)
    biography: Mapped[str | None] = mapped_column(Text)
    external_url: Mapped[str | None] = mapped_column(Text)
    followers_count: Mapped[int | None] = mapped_column(BigInteger)
    follows_count: Mapped[int | None] = mapped_column(BigInteger)
    posts_count: Mapped[int | None] = mapped_column(BigInteger)
    is_verified: Mapped[bool] = mapped_column(default=False)
    is_private: Mapped[bool] = mapped_column(default=False)
    is_business: Mapped[bool] = mapped_column(default=False)
    business_category: Mapped[str | None] = mapped_column(Text)
    profile_pic_url: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text, default="apify")
    scraped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = (
        CheckConstraint("post_type IN ('Image', 'Video', 'Sidecar')", name="post_type_known"),
        CheckConstraint("likes_count IS NULL OR likes_count >= 0", name="likes_not_negative"),
        Index("ix_posts_creator_posted", "creator_id", "posted_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id", ondelete="CASCADE"))
    ig_id: Mapped[str] = mapped_column(Text, unique=True)
    short_code: Mapped[str] = mapped_column(Text, unique=True)
    post_type: Mapped[str] = mapped_column(Text)
    caption: Mapped[str | None] = mapped_column(Text)
    hashtags: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    mentions: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    url: Mapped[str | None] = mapped_column(Text)
    comments_count: Mapped[int | None] = mapped_column(BigInteger)
    # Apify reports hidden likes as -1; we store NULL plus the flag, never -1.
    likes_count: Mapped[int | None] = mapped_column(BigInteger)
    likes_hidden: Mapped[bool] = mapped_column(default=False)
    video_view_count: Mapped[int | None] = mapped_column(BigInteger)
    video_play_count: Mapped[int | None] = mapped_column(BigInteger)
    posted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    display_url: Mapped[str | None] = mapped_column(Text)
    is_sponsored: Mapped[bool] = mapped_column(default=False)
    is_pinned: Mapped[bool] = mapped_column(default=False)
    location_name: Mapped[str | None] = mapped_column(Text)
    latest_comments: Mapped[list[dict]] = mapped_column(JSONB, default=list)
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]


class MediaAsset(Base):
    """One image to re-host (avatar or post image); the CDN worker fills the CDN fields."""

    __tablename__ = "media_assets"
    __table_args__ = (
        CheckConstraint("kind IN ('avatar', 'post_image')", name="kind_known"),
        CheckConstraint("status IN ('pending', 'uploaded', 'failed')", name="status_known"),
        UniqueConstraint(
            "creator_id",
            "post_id",
            "position",
            name="uq_media_assets_owner_position",
            postgresql_nulls_not_distinct=True,
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id", ondelete="CASCADE"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)
    source_url: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, default="pending")
    content_sha256: Mapped[str | None] = mapped_column(Text)
    cdn_urls: Mapped[dict] = mapped_column(JSONB, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]


class RelatedProfile(Base):
    __tablename__ = "related_profiles"
    __table_args__ = (UniqueConstraint("creator_id", "username", name="uq_related_profiles_creator_username"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id", ondelete="CASCADE"))
    ig_id: Mapped[str | None] = mapped_column(Text)
    username: Mapped[str] = mapped_column(Text)
    full_name: Mapped[str | None] = mapped_column(Text)
    is_verified: Mapped[bool] = mapped_column(default=False)
    is_private: Mapped[bool] = mapped_column(default=False, server_default="false")
    profile_pic_url: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)
    discovered_at: Mapped[created_at]


class CreatorSnapshot(Base):
    """Follower / following / posts counts at each scrape: the history trends are computed from."""

    __tablename__ = "creator_snapshots"
    __table_args__ = (Index("ix_creator_snapshots_creator_captured", "creator_id", "captured_at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id", ondelete="CASCADE"))
    captured_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    followers_count: Mapped[int | None] = mapped_column(BigInteger)
    follows_count: Mapped[int | None] = mapped_column(BigInteger)
    posts_count: Mapped[int | None] = mapped_column(BigInteger)


class SearchMiss(Base):
    """A username whose scrape ended not_found or private, remembered until `until`: searching it again
    answers at once with the same problem, with no Apify run and no charge."""

    __tablename__ = "search_misses"
    __table_args__ = (CheckConstraint("reason IN ('not_found', 'private')", name="reason_known"),)

    username: Mapped[str] = mapped_column(Text, primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text)
    until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[created_at]


class CreatorReport(Base):
    """The creator's report document, rewritten by every stage that changes it (shared.creators.documents)."""

    __tablename__ = "creator_reports"

    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
    document: Mapped[dict] = mapped_column(JSONB)
    updated_at: Mapped[updated_at]
