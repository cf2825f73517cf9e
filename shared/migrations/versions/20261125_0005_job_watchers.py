"""Job watchers: the teams that may see a (shared) search job.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_watchers",
        sa.Column("job_id", sa.UUID(), nullable=False),
        sa.Column("team_id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_job_watchers_job_id_jobs"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_job_watchers_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("job_id", "team_id", name=op.f("pk_job_watchers")),
    )


def downgrade() -> None:
    op.drop_table("job_watchers")
