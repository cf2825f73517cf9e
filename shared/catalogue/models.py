"""The catalogue's tables: one search row per creator (the report's filterable figures in indexed columns) and,
apart, each creator's content vector.

Both are written from the report document by every stage that rewrites it (shared.catalogue.index), so a
search never scans JSON at query time and never disagrees with the report it previews. The vector (1.5 kB) lives
in its own table so that search rows stay narrow: a filter or facet that must read many rows reads ~400 bytes a
creator, not 2 kB."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Computed, DateTime, Float, ForeignKey, Index, Text, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from shared.columns import Vector, updated_at
from shared.orm import Base

EMBEDDING_DIM = 384  # MiniLM (lite and full profiles embed with the same model)
# Sorts read `value DESC NULLS LAST, creator_id DESC`: one index each, in that exact order, serves a page
# straight off the index (no sort of the matching rows).
SORTED = {"followers": "followers", "median_er": "median_er", "quality": "quality_score", "growth": "growth_30d"}


def _sort_index(name: str, column: str) -> Index:
    return Index(f"ix_creator_search_{name}", text(f"{column} DESC NULLS LAST"), text("creator_id DESC"))


class CreatorSearch(Base):
    __tablename__ = "creator_search"
    __table_args__ = (
        *(_sort_index(name, column) for name, column in SORTED.items()),
        Index("uq_creator_search_username", "username", unique=True),
        # Selective filters get their own index, so that a query's matches are found (and counted) from a
        # bitmap of them rather than a pass over the table; the planner ANDs them.
        Index("ix_creator_search_country", "country"),
        Index("ix_creator_search_quality_state", "quality_state"),
        Index("ix_creator_search_scraped_at", "scraped_at"),
        Index("ix_creator_search_verified", "creator_id", postgresql_where=text("verified")),
        Index("ix_creator_search_categories", "categories", postgresql_using="gin"),
        Index("ix_creator_search_languages", "languages", postgresql_using="gin"),
        Index(
            "ix_creator_search_name_trgm",
            "name_text",
            postgresql_using="gin",
            postgresql_ops={"name_text": "gin_trgm_ops"},
        ),
        Index("ix_creator_search_bio_tsv", "bio_tsv", postgresql_using="gin"),
    )

    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id", ondelete="CASCADE"), primary_key=True)
    username: Mapped[str] = mapped_column(Text)
    name_text: Mapped[str] = mapped_column(Text)  # username and full name, lower-cased: trigram matching
    bio: Mapped[str] = mapped_column(Text, default="")
    # Words of the bio, as written ('simple': no language's stemming, so every language matches alike).
    bio_tsv: Mapped[Any] = mapped_column(TSVECTOR, Computed("to_tsvector('simple', bio)", persisted=True))
    profile: Mapped[dict[str, Any]] = mapped_column(JSONB)  # the preview's profile, as the document has it
    posts_count: Mapped[int | None] = mapped_column(BigInteger)
    followers: Mapped[int | None] = mapped_column(BigInteger)
    median_er: Mapped[float | None] = mapped_column(Float)  # in %
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
    updated_at: Mapped[updated_at]


# Lookalikes filtered to these caption languages walk a graph of that language's creators alone (one partial HNSW
# index each). With one graph for all, a seed whose neighbourhood is in another language made the scan walk that
# whole neighbourhood before the first creator passed the filter (filtered lookalikes p50 40 ms at 100k, worst
# 130 ms; 11-17 ms this way). A language outside the list falls back to the one graph: the same answers, slower.
INDEXED_LANGUAGES = ("en", "es", "pt", "fr", "de", "it")


def _hnsw_index(name: str, where: str | None = None) -> Index:
    return Index(
        name,
        "embedding",
        postgresql_using="hnsw",
        postgresql_ops={"embedding": "vector_cosine_ops"},
        postgresql_where=text(where) if where else None,
    )


def language_array(language: str) -> str:
    """The constant in a language's partial index WHERE (`languages @> <this>`): a query must compare with this
    very constant, not a bound parameter, for the planner to use that index."""
    assert language in INDEXED_LANGUAGES, language  # a constant of ours, never the caller's text
    return f"ARRAY['{language}']::text[]"


class CreatorVector(Base):
    """The creator's content vector (lookalikes): the normalised mean of its posts' embeddings, and its caption
    languages (copied from the search row, for the per-language indexes)."""

    __tablename__ = "creator_vectors"
    __table_args__ = (
        _hnsw_index("ix_creator_vectors_embedding_hnsw"),
        *(
            _hnsw_index(f"ix_creator_vectors_embedding_{lang}", f"languages @> {language_array(lang)}")
            for lang in INDEXED_LANGUAGES
        ),
    )

    creator_id: Mapped[int] = mapped_column(
        ForeignKey("creator_search.creator_id", ondelete="CASCADE"), primary_key=True
    )
    embedding: Mapped[list[float]] = mapped_column(Vector(EMBEDDING_DIM))
    posts: Mapped[int] = mapped_column(BigInteger)  # how many post embeddings the mean is over
    languages: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    updated_at: Mapped[updated_at]
