"""Seed plans, top-ups and pricing rules (credits per action, free monthly allowances per plan).

Prices follow the product card (Standard $199, Premium $499 monthly; annual = 10 months). Credit amounts
and per-action costs are our defaults; operators change them with a later migration, never by hand.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PACKAGES = [
    # code, name, kind, credits, price_cents, interval
    ("free", "Free", "subscription", 0, 0, "month"),
    ("standard_monthly", "Standard", "subscription", 2_000, 19_900, "month"),
    ("standard_annual", "Standard (annual)", "subscription", 2_000, 199_000, "year"),
    ("premium_monthly", "Premium", "subscription", 5_000, 49_900, "month"),
    ("premium_annual", "Premium (annual)", "subscription", 5_000, 499_000, "year"),
    ("topup_starter", "Starter top-up", "topup", 500, 4_900, None),
    ("topup_professional", "Professional top-up", "topup", 2_000, 14_900, None),
    ("topup_enterprise", "Enterprise top-up", "topup", 10_000, 49_900, None),
]

RULES = [
    # action, plan, credits_cost, free_allowance_per_month
    ("profile_unlock", "any", 25, 0),
    ("profile_unlock", "free", 25, 3),
    ("profile_unlock", "standard", 25, 20),
    ("profile_unlock", "premium", 25, 60),
    ("profile_refresh", "any", 10, 0),
    ("profile_refresh", "premium", 10, 20),
    ("post_analysis", "any", 5, 0),
    ("discovery_export", "any", 1, 0),
]


def upgrade() -> None:
    packages = sa.table(
        "credit_packages",
        sa.column("code", sa.Text),
        sa.column("name", sa.Text),
        sa.column("kind", sa.Text),
        sa.column("credits", sa.Integer),
        sa.column("price_cents", sa.Integer),
        sa.column("currency", sa.Text),
        sa.column("billing_interval", sa.Text),
        sa.column("is_active", sa.Boolean),
    )
    op.bulk_insert(
        packages,
        [
            {
                "code": c,
                "name": n,
                "kind": k,
                "credits": cr,
                "price_cents": p,
                "currency": "usd",
                "billing_interval": i,
                "is_active": True,
            }
            for c, n, k, cr, p, i in PACKAGES
        ],
    )
    rules = sa.table(
        "credit_pricing_rules",
        sa.column("action", sa.Text),
        sa.column("plan", sa.Text),
        sa.column("credits_cost", sa.Integer),
        sa.column("free_allowance_per_month", sa.Integer),
        sa.column("is_active", sa.Boolean),
    )
    op.bulk_insert(
        rules,
        [
            {"action": a, "plan": p, "credits_cost": c, "free_allowance_per_month": f, "is_active": True}
            for a, p, c, f in RULES
        ],
    )


def downgrade() -> None:
    op.execute(
        sa.text("DELETE FROM credit_pricing_rules WHERE action IN :actions").bindparams(
            sa.bindparam("actions", value=tuple({r[0] for r in RULES}), expanding=True)
        )
    )
    op.execute(
        sa.text("DELETE FROM credit_packages WHERE code IN :codes").bindparams(
            sa.bindparam("codes", value=tuple(p[0] for p in PACKAGES), expanding=True)
        )
    )
