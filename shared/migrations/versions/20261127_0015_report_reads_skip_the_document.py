"""The report functions of 0013, changed so that a 304 never reads the document: `scraped_at` now comes from the
creator row (a timestamptz; the document's copy was written in the same transaction, so it is the same instant),
and the profile (the preview's source) only when the body is sent. Reading either out of the document detoasted
all of it: on a 37 KB document that was about 0.15 ms of the 0.4 ms a revalidation spent in Postgres.

A column's type changes, so each function is dropped and created again (CREATE OR REPLACE cannot change it).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-27
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# When the caller's ETag names the stored version (p_known_version), neither the document nor its profile travels.
REPORT = """
    report.version,
    CASE WHEN report.version = p_known_version THEN NULL ELSE report.document -> 'profile' END,
    creator.scraped_at,
    CASE WHEN report.version = p_known_version THEN NULL ELSE CAST(report.document AS text) END,
    EXISTS (
        SELECT 1 FROM unlocked_influencers unlock
        WHERE unlock.team_id = member.team_id AND unlock.creator_id = creator.id AND unlock.expires_at > now()
    ),
    (
        SELECT rule.credits_cost FROM credit_pricing_rules rule JOIN teams plan ON plan.id = member.team_id
        WHERE rule.action = p_action AND rule.is_active AND rule.plan IN (plan.plan, 'any')
        ORDER BY rule.plan = 'any' LIMIT 1
    )
"""
REPORT_COLUMNS = """
    version bigint, profile jsonb, scraped_at timestamptz, document_text text, unlocked boolean, unlock_credits integer
"""
DROP = (
    "DROP FUNCTION report_for_team(uuid, bigint, text, bigint)",
    "DROP FUNCTION report_for_caller(uuid, uuid, text, text, bigint)",
)


def _previous() -> ModuleType:
    """Migration 0013, whose statements (FOR_CALLER, FOR_TEAM) this one keeps and whose functions it restores."""
    path = next(Path(__file__).parent.glob("*_0013_*.py"))
    spec = importlib.util.spec_from_file_location("migration_0013", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade() -> None:
    previous = _previous()
    for statement in DROP:
        op.execute(statement)
    for function in (previous.FOR_CALLER, previous.FOR_TEAM):
        op.execute(function.replace("__REPORT_COLUMNS__", REPORT_COLUMNS).replace("__REPORT__", REPORT))


def downgrade() -> None:
    for statement in DROP:
        op.execute(statement)
    _previous().upgrade()
