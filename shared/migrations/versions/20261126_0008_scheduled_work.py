"""Scheduled work: job origins (search, discovery, refresh), discovery run records, the per-team watchlist,
and the negative cache of searches that ended not_found or private.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("related_profiles", sa.Column("is_private", sa.Boolean(), server_default="false", nullable=False))
    op.add_column("jobs", sa.Column("origin", sa.Text(), server_default="search", nullable=False))
    op.create_check_constraint(op.f("ck_jobs_origin_known"), "jobs", "origin IN ('search', 'discovery', 'refresh')")
    # The daily budget and the in-flight limit count system jobs by origin and creation time.
    op.create_index("ix_jobs_origin_created_at", "jobs", ["origin", "created_at"])
    op.create_index("ix_jobs_requested_by_team_created_at", "jobs", ["requested_by_team_id", "created_at"])
    op.create_table(
        "discovery_runs",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("mode", sa.Text(), nullable=False),
        sa.Column("message_key", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("candidates_seen", sa.Integer(), server_default="0", nullable=False),
        sa.Column("queued", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("skipped", postgresql.JSONB(), server_default="{}", nullable=False),
        sa.Column("budget_per_day", sa.Integer(), nullable=False),
        sa.Column("budget_left", sa.Integer(), nullable=False),
        sa.Column("in_flight", sa.Integer(), nullable=False),
        sa.CheckConstraint("mode IN ('discover', 'refresh')", name=op.f("ck_discovery_runs_mode_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discovery_runs")),
    )
    op.create_index("ix_discovery_runs_started_at", "discovery_runs", ["started_at"])
    op.create_table(
        "watchlist",
        sa.Column("team_id", sa.UUID(), nullable=False),
        sa.Column("creator_id", sa.BigInteger(), nullable=False),
        sa.Column("added_by_user_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_watchlist_team_id_teams"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["creator_id"], ["creators.id"], name=op.f("fk_watchlist_creator_id_creators"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["added_by_user_id"], ["users.id"], name=op.f("fk_watchlist_added_by_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("team_id", "creator_id", name=op.f("pk_watchlist")),
    )
    op.create_index("ix_watchlist_creator_id", "watchlist", ["creator_id"])
    op.create_table(
        "search_misses",
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("reason IN ('not_found', 'private')", name=op.f("ck_search_misses_reason_known")),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_search_misses")),
    )


def downgrade() -> None:
    op.drop_table("search_misses")
    op.drop_index("ix_watchlist_creator_id", table_name="watchlist")
    op.drop_table("watchlist")
    op.drop_index("ix_discovery_runs_started_at", table_name="discovery_runs")
    op.drop_table("discovery_runs")
    op.drop_index("ix_jobs_requested_by_team_created_at", table_name="jobs")
    op.drop_index("ix_jobs_origin_created_at", table_name="jobs")
    op.drop_constraint(op.f("ck_jobs_origin_known"), "jobs", type_="check")
    op.drop_column("jobs", "origin")
    op.drop_column("related_profiles", "is_private")
