"""One search row per creator: the report's filterable figures in indexed columns, and the content vector.

Written from the report document by every stage that rewrites it (shared.catalogue.index), so a search never
scans JSON at query time and never disagrees with the report it previews."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Float, ForeignKey, Index, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.columns import Vector, updated_at
from shared.orm import Base

EMBEDDING_DIM = 384  # MiniLM (lite and full profiles embed with the same model)


class CreatorSearch(Base):
    __tablename__ = "creator_search"
    __table_args__ = (
        Index("ix_creator_search_followers", "followers", "creator_id"),
        Index("ix_creator_search_median_er", "median_er", "creator_id"),
        Index("ix_creator_search_quality", "quality_score", "creator_id"),
        Index("ix_creator_search_growth", "growth_30d", "creator_id"),
        Index("ix_creator_search_categories", "categories", postgresql_using="gin"),
        Index("ix_creator_search_languages", "languages", postgresql_using="gin"),
        Index(
            "ix_creator_search_text_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
        Index(
            "ix_creator_search_embedding_hnsw",
            "embedding",
            postgresql_using="hnsw",
            postgresql_ops={"embedding": "vector_cosine_ops"},
        ),
    )

    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id", ondelete="CASCADE"), primary_key=True)
    username: Mapped[str] = mapped_column(Text)
    search_text: Mapped[str] = mapped_column(Text)  # username, full name and bio, lower-cased
    profile: Mapped[dict[str, Any]] = mapped_column(JSONB)  # the preview's profile, as the document has it
    posts_count: Mapped[int | None] = mapped_column(BigInteger)
    followers: Mapped[int | None] = mapped_column(BigInteger)
    median_er: Mapped[float | None] = mapped_column(Float)
    categories: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)  # top categories, best first
    languages: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)  # caption languages (share >= 20%)
    country: Mapped[str | None] = mapped_column(Text)  # the inferred audience country (ISO 3166-1 alpha-2)
    verified: Mapped[bool] = mapped_column(default=False)
    business: Mapped[bool] = mapped_column(default=False)
    sponsored_share: Mapped[float | None] = mapped_column(Float)
    quality_score: Mapped[float | None] = mapped_column(Float)
    quality_state: Mapped[str | None] = mapped_column(Text)
    growth_30d: Mapped[float | None] = mapped_column(Float)  # followers change over 30 days / followers then
    scraped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    embedding: Mapped[list[float] | None] = mapped_column(Vector(EMBEDDING_DIM))
    embedded_posts: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[updated_at]
