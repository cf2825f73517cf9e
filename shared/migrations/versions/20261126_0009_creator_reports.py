"""Materialized reports: one document per creator, rewritten (version + 1) in the transaction of every stage that
changes it; backfilled here for the creators already held.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "creator_reports",
        sa.Column("creator_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("document", postgresql.JSONB(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"], ["creators.id"], name=op.f("fk_creator_reports_creator_id_creators"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("creator_id", name=op.f("pk_creator_reports")),
    )
    # The read path looks creators up by username with the document in the same statement.
    # (creators.username is already unique, hence indexed.)
    from shared.creators import documents  # the assembler of this deploy builds the backfill

    with Session(bind=op.get_bind()) as session:
        for creator_id in session.scalars(sa.text("SELECT id FROM creators ORDER BY id")):
            documents.write(db_session=session, creator_id=creator_id, index=False)
        session.flush()


def downgrade() -> None:
    op.drop_table("creator_reports")
