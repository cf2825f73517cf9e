"""Lookalikes filtered by caption language: the creator's languages beside its vector, and one partial HNSW index
per common language, so that such a query walks a graph of that language's creators alone.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LANGUAGES = ("en", "es", "pt", "fr", "de", "it")  # shared.catalogue.models.INDEXED_LANGUAGES when written


def upgrade() -> None:
    op.add_column(
        "creator_vectors",
        sa.Column("languages", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
    )
    op.execute(
        "UPDATE creator_vectors vector SET languages = search.languages FROM creator_search search"
        " WHERE search.creator_id = vector.creator_id AND search.languages <> '{}'"
    )
    for language in LANGUAGES:
        op.create_index(
            f"ix_creator_vectors_embedding_{language}",
            "creator_vectors",
            ["embedding"],
            postgresql_using="hnsw",
            postgresql_ops={"embedding": "vector_cosine_ops"},
            postgresql_where=sa.text(f"languages @> ARRAY['{language}']::text[]"),
        )


def downgrade() -> None:
    for language in LANGUAGES:
        op.drop_index(f"ix_creator_vectors_embedding_{language}", table_name="creator_vectors")
    op.drop_column("creator_vectors", "languages")
