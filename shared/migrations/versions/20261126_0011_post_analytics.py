"""Post analytics by URL: jobs of kind 'post' (one in flight per post, the owner learnt from the scrape) and
the team's analysed posts (campaign, job, post).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("kind", sa.Text(), server_default="creator", nullable=False))
    op.add_column("jobs", sa.Column("post_shortcode", sa.Text(), nullable=True))
    op.alter_column("jobs", "username", nullable=True)
    op.create_check_constraint(op.f("ck_jobs_kind_known"), "jobs", "kind IN ('creator', 'post')")
    op.create_check_constraint(
        op.f("ck_jobs_creator_job_names_its_creator"), "jobs", "kind = 'post' OR username IS NOT NULL"
    )
    op.create_check_constraint(
        op.f("ck_jobs_post_job_names_its_post"), "jobs", "kind = 'creator' OR post_shortcode IS NOT NULL"
    )
    # A post job names its owner once scraped: the one-per-username rule is for creator jobs only.
    op.drop_index("uq_jobs_username_in_flight", table_name="jobs")
    op.create_index(
        "uq_jobs_username_in_flight",
        "jobs",
        ["username"],
        unique=True,
        postgresql_where=sa.text("status IN ('queued', 'running') AND kind = 'creator'"),
    )
    op.create_index(
        "uq_jobs_post_in_flight",
        "jobs",
        ["post_shortcode"],
        unique=True,
        postgresql_where=sa.text("status IN ('queued', 'running') AND kind = 'post'"),
    )
    op.create_table(
        "team_posts",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("shortcode", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("campaign", sa.Text(), nullable=True),
        sa.Column("job_id", sa.Uuid(), nullable=True),
        sa.Column("post_id", sa.BigInteger(), nullable=True),
        sa.Column("requested_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("kind IN ('post', 'reel')", name=op.f("ck_team_posts_kind_known")),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_team_posts_team_id_teams"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_team_posts_job_id_jobs"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_team_posts_post_id_posts"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_user_id"],
            ["users.id"],
            name=op.f("fk_team_posts_requested_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_posts")),
        sa.UniqueConstraint("team_id", "shortcode", name="uq_team_posts_team_shortcode"),
    )
    op.create_index("ix_team_posts_team_campaign_created", "team_posts", ["team_id", "campaign", "created_at"])


def downgrade() -> None:
    op.drop_table("team_posts")
    op.drop_index("uq_jobs_post_in_flight", table_name="jobs")
    op.execute("DELETE FROM jobs WHERE kind = 'post'")
    op.drop_index("uq_jobs_username_in_flight", table_name="jobs")
    op.create_index(
        "uq_jobs_username_in_flight",
        "jobs",
        ["username"],
        unique=True,
        postgresql_where=sa.text("status IN ('queued', 'running')"),
    )
    for name in ("post_job_names_its_post", "creator_job_names_its_creator", "kind_known"):
        op.drop_constraint(op.f(f"ck_jobs_{name}"), "jobs", type_="check")
    op.alter_column("jobs", "username", nullable=False)
    op.drop_column("jobs", "post_shortcode")
    op.drop_column("jobs", "kind")
