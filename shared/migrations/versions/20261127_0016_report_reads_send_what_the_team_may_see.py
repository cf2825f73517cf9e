"""The report functions of 0015, changed so that each row carries only what the caller's team may be shown: the
document for a team that has the creator unlocked, the profile (the preview's source) for one that has not, and
neither when the caller's ETag names the stored version. Before, every read without a known version sent the
whole document (tens of KB) to a locked team's request, which served only the profile out of it; now the report's
fields never leave the database for a team that may not see them.

Whether the team has the creator unlocked is computed once per row (a LATERAL subquery), as both columns depend
on it. The columns and their types stay as they were, so CREATE OR REPLACE is enough.

Both functions are written out in full here, though most of their text is 0013's: a migration is a snapshot of
what it ran, so it does not build its SQL from an older migration's templates (0013's FROM clauses also have no
place for the LATERAL). Only the downgrade reaches back, to run 0015 again.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-27
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = """
    version bigint, profile jsonb, scraped_at timestamptz, document_text text, unlocked boolean, unlock_credits integer
"""
REPORT = """
    report.version,
    CASE WHEN report.version = p_known_version OR access.unlocked THEN NULL ELSE report.document -> 'profile' END,
    creator.scraped_at,
    CASE WHEN report.version = p_known_version OR NOT access.unlocked THEN NULL ELSE CAST(report.document AS text) END,
    access.unlocked,
    (
        SELECT rule.credits_cost FROM credit_pricing_rules rule JOIN teams plan ON plan.id = member.team_id
        WHERE rule.action = p_action AND rule.is_active AND rule.plan IN (plan.plan, 'any')
        ORDER BY rule.plan = 'any' LIMIT 1
    )
"""
ACCESS = """
    CROSS JOIN LATERAL (
        SELECT EXISTS (
            SELECT 1 FROM unlocked_influencers unlock
            WHERE unlock.team_id = member.team_id AND unlock.creator_id = creator.id AND unlock.expires_at > now()
        ) AS unlocked
    ) access
"""
FOR_CALLER = """
CREATE OR REPLACE FUNCTION report_for_caller(
    p_user_id uuid, p_team_id uuid, p_username text, p_action text, p_known_version bigint
) RETURNS TABLE (
    user_id uuid, last_seen_at timestamptz, team_id uuid, role text, creator_id bigint, __COLUMNS__
) LANGUAGE plpgsql STABLE AS $body$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT u.id, u.last_seen_at, member.team_id, member.role, creator.id, __REPORT__
    FROM users u
    LEFT JOIN teams personal ON personal.created_by_user_id = u.id AND personal.is_personal
    LEFT JOIN team_members member
           ON member.user_id = u.id AND member.team_id = COALESCE(p_team_id, personal.id)
    LEFT JOIN creators creator ON creator.username = p_username AND creator.scraped_at IS NOT NULL
    LEFT JOIN creator_reports report ON report.creator_id = creator.id
    __ACCESS__
    WHERE u.id = p_user_id;
END
$body$
"""
FOR_TEAM = """
CREATE OR REPLACE FUNCTION report_for_team(
    p_team_id uuid, p_creator_id bigint, p_action text, p_known_version bigint
) RETURNS TABLE (__COLUMNS__) LANGUAGE plpgsql STABLE AS $body$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT __REPORT__
    FROM (SELECT p_team_id AS team_id) member
    JOIN creators creator ON creator.id = p_creator_id
    LEFT JOIN creator_reports report ON report.creator_id = creator.id
    __ACCESS__;
END
$body$
"""


def _filled(sql: str) -> str:
    return sql.replace("__COLUMNS__", COLUMNS).replace("__REPORT__", REPORT).replace("__ACCESS__", ACCESS)


def upgrade() -> None:
    op.execute(_filled(FOR_CALLER))
    op.execute(_filled(FOR_TEAM))


def downgrade() -> None:
    """0015's functions again: its upgrade drops these and creates its own."""
    path = next(Path(__file__).parent.glob("*_0015_*.py"))
    spec = importlib.util.spec_from_file_location("migration_0015", path)
    assert spec is not None and spec.loader is not None
    previous = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(previous)
    previous.upgrade()
