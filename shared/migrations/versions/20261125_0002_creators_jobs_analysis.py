"""Creators, posts, media, related profiles, snapshots; jobs; post analysis and insights.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "creators",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("ig_id", sa.Text(), nullable=True),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("full_name", sa.Text(), nullable=True),
        sa.Column("biography", sa.Text(), nullable=True),
        sa.Column("external_url", sa.Text(), nullable=True),
        sa.Column("followers_count", sa.BigInteger(), nullable=True),
        sa.Column("follows_count", sa.BigInteger(), nullable=True),
        sa.Column("posts_count", sa.BigInteger(), nullable=True),
        sa.Column("is_verified", sa.Boolean(), nullable=False),
        sa.Column("is_private", sa.Boolean(), nullable=False),
        sa.Column("is_business", sa.Boolean(), nullable=False),
        sa.Column("business_category", sa.Text(), nullable=True),
        sa.Column("profile_pic_url", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("scraped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("username = lower(username)", name=op.f("ck_creators_username_lowercase")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_creators")),
        sa.UniqueConstraint("ig_id", name=op.f("uq_creators_ig_id")),
        sa.UniqueConstraint("username", name=op.f("uq_creators_username")),
    )
    op.create_table(
        "creator_snapshots",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("creator_id", sa.BigInteger(), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("followers_count", sa.BigInteger(), nullable=True),
        sa.Column("follows_count", sa.BigInteger(), nullable=True),
        sa.Column("posts_count", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creators.id"],
            name=op.f("fk_creator_snapshots_creator_id_creators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_creator_snapshots")),
    )
    op.create_index(
        "ix_creator_snapshots_creator_captured",
        "creator_snapshots",
        ["creator_id", "captured_at"],
        unique=False,
    )
    op.create_table(
        "posts",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("creator_id", sa.BigInteger(), nullable=False),
        sa.Column("ig_id", sa.Text(), nullable=False),
        sa.Column("short_code", sa.Text(), nullable=False),
        sa.Column("post_type", sa.Text(), nullable=False),
        sa.Column("caption", sa.Text(), nullable=True),
        sa.Column("hashtags", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("mentions", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("comments_count", sa.BigInteger(), nullable=True),
        sa.Column("likes_count", sa.BigInteger(), nullable=True),
        sa.Column("likes_hidden", sa.Boolean(), nullable=False),
        sa.Column("video_view_count", sa.BigInteger(), nullable=True),
        sa.Column("video_play_count", sa.BigInteger(), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("display_url", sa.Text(), nullable=True),
        sa.Column("is_sponsored", sa.Boolean(), nullable=False),
        sa.Column("is_pinned", sa.Boolean(), nullable=False),
        sa.Column("location_name", sa.Text(), nullable=True),
        sa.Column("latest_comments", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("post_type IN ('Image', 'Video', 'Sidecar')", name=op.f("ck_posts_post_type_known")),
        sa.CheckConstraint("likes_count IS NULL OR likes_count >= 0", name=op.f("ck_posts_likes_not_negative")),
        sa.ForeignKeyConstraint(
            ["creator_id"], ["creators.id"], name=op.f("fk_posts_creator_id_creators"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posts")),
        sa.UniqueConstraint("ig_id", name=op.f("uq_posts_ig_id")),
        sa.UniqueConstraint("short_code", name=op.f("uq_posts_short_code")),
    )
    op.create_index("ix_posts_creator_posted", "posts", ["creator_id", "posted_at"], unique=False)
    op.create_table(
        "related_profiles",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("creator_id", sa.BigInteger(), nullable=False),
        sa.Column("ig_id", sa.Text(), nullable=True),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("full_name", sa.Text(), nullable=True),
        sa.Column("is_verified", sa.Boolean(), nullable=False),
        sa.Column("profile_pic_url", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("discovered_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creators.id"],
            name=op.f("fk_related_profiles_creator_id_creators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_related_profiles")),
        sa.UniqueConstraint("creator_id", "username", name="uq_related_profiles_creator_username"),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("creator_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("stages", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("refresh", sa.Boolean(), nullable=False),
        sa.Column("requested_by_user_id", sa.UUID(), nullable=True),
        sa.Column("requested_by_team_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'complete', 'partial', 'failed')",
            name=op.f("ck_jobs_status_known"),
        ),
        sa.CheckConstraint(
            "status NOT IN ('partial', 'failed') OR reason IS NOT NULL",
            name=op.f("ck_jobs_reason_when_not_ok"),
        ),
        sa.ForeignKeyConstraint(
            ["creator_id"], ["creators.id"], name=op.f("fk_jobs_creator_id_creators"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_team_id"],
            ["teams.id"],
            name=op.f("fk_jobs_requested_by_team_id_teams"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_user_id"],
            ["users.id"],
            name=op.f("fk_jobs_requested_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index(
        "uq_jobs_username_in_flight",
        "jobs",
        ["username"],
        unique=True,
        postgresql_where=sa.text("status IN ('queued', 'running')"),
    )
    op.create_table(
        "media_assets",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("creator_id", sa.BigInteger(), nullable=False),
        sa.Column("post_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("content_sha256", sa.Text(), nullable=True),
        sa.Column("cdn_urls", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("kind IN ('avatar', 'post_image')", name=op.f("ck_media_assets_kind_known")),
        sa.CheckConstraint("status IN ('pending', 'uploaded', 'failed')", name=op.f("ck_media_assets_status_known")),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creators.id"],
            name=op.f("fk_media_assets_creator_id_creators"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_media_assets_post_id_posts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_assets")),
        sa.UniqueConstraint(
            "creator_id",
            "post_id",
            "position",
            name="uq_media_assets_owner_position",
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.create_table(
        "creator_insights",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("creator_id", sa.BigInteger(), nullable=False),
        sa.Column("job_id", sa.UUID(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("analyses_ran", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("analyses_failed", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("status IN ('complete', 'partial')", name=op.f("ck_creator_insights_status_known")),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creators.id"],
            name=op.f("fk_creator_insights_creator_id_creators"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_creator_insights_job_id_jobs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_creator_insights")),
        sa.UniqueConstraint("creator_id", "version", name="uq_creator_insights_creator_version"),
    )
    op.create_table(
        "post_analysis",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("job_id", sa.UUID(), nullable=True),
        sa.Column("task", sa.Text(), nullable=False),
        sa.Column("model_id", sa.Text(), nullable=False),
        sa.Column("model_revision", sa.Text(), nullable=False),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_post_analysis_job_id_jobs"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_post_analysis_post_id_posts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_analysis")),
        sa.UniqueConstraint("post_id", "task", "model_id", "model_revision", name="uq_post_analysis_post_task_model"),
    )
    op.create_index(op.f("ix_post_analysis_post_id"), "post_analysis", ["post_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_post_analysis_post_id"), table_name="post_analysis")
    op.drop_table("post_analysis")
    op.drop_table("creator_insights")
    op.drop_table("media_assets")
    op.drop_index(
        "uq_jobs_username_in_flight",
        table_name="jobs",
        postgresql_where=sa.text("status IN ('queued', 'running')"),
    )
    op.drop_table("jobs")
    op.drop_table("related_profiles")
    op.drop_index("ix_posts_creator_posted", table_name="posts")
    op.drop_table("posts")
    op.drop_index("ix_creator_snapshots_creator_captured", table_name="creator_snapshots")
    op.drop_table("creator_snapshots")
    op.drop_table("creators")
