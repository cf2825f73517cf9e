"""Credit tables: packages, wallets, pricing rules, the ledger, usage per period, top-up orders, unlocks."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.columns import created_at, updated_at, uuid_pk
from shared.orm import Base


class CreditPackage(Base):
    """A plan or top-up: what it costs, the credits it grants, and its monthly free allowances."""

    __tablename__ = "credit_packages"
    __table_args__ = (CheckConstraint("kind IN ('subscription', 'topup')", name="kind_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    credits: Mapped[int] = mapped_column(Integer)
    price_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(Text, default="usd")
    billing_interval: Mapped[str | None] = mapped_column(Text)
    stripe_price_id: Mapped[str | None] = mapped_column(Text, unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[created_at]


class CreditWallet(Base):
    __tablename__ = "credit_wallets"
    __table_args__ = (CheckConstraint("balance >= 0", name="balance_not_negative"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), unique=True)
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    lifetime_earned: Mapped[int] = mapped_column(BigInteger, default=0)
    lifetime_spent: Mapped[int] = mapped_column(BigInteger, default=0)
    package_id: Mapped[int | None] = mapped_column(ForeignKey("credit_packages.id", ondelete="SET NULL"))
    current_period_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    current_period_end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    is_frozen: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]


class CreditPricingRule(Base):
    """Cost of an action, and how many free uses a plan gets per month ('any' applies to all plans)."""

    __tablename__ = "credit_pricing_rules"
    __table_args__ = (
        UniqueConstraint("action", "plan", name="uq_credit_pricing_rules_action_plan"),
        CheckConstraint("credits_cost >= 0 AND free_allowance_per_month >= 0", name="not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action: Mapped[str] = mapped_column(Text)
    plan: Mapped[str] = mapped_column(Text, default="any")
    credits_cost: Mapped[int] = mapped_column(Integer)
    free_allowance_per_month: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[created_at]


class CreditTransaction(Base):
    """The ledger: append-only; refunds are compensating rows, never edits."""

    __tablename__ = "credit_transactions"
    __table_args__ = (
        CheckConstraint("kind IN ('debit', 'grant', 'refund', 'reset', 'adjustment')", name="kind_known"),
        CheckConstraint("balance_after = balance_before + amount", name="balance_arithmetic"),
        CheckConstraint("balance_after >= 0", name="balance_after_not_negative"),
        Index("ix_credit_transactions_wallet_created", "wallet_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    wallet_id: Mapped[int] = mapped_column(ForeignKey("credit_wallets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(Text)
    amount: Mapped[int] = mapped_column(BigInteger)
    balance_before: Mapped[int] = mapped_column(BigInteger)
    balance_after: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str | None] = mapped_column(Text)
    reference_type: Mapped[str | None] = mapped_column(Text)
    reference_id: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str] = mapped_column(Text, unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[created_at]


class CreditUsageTracking(Base):
    __tablename__ = "credit_usage_tracking"
    __table_args__ = (
        UniqueConstraint("wallet_id", "action", "period_start", name="uq_credit_usage_wallet_action_period"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    wallet_id: Mapped[int] = mapped_column(ForeignKey("credit_wallets.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(Text)
    period_start: Mapped[date] = mapped_column(Date)
    free_used: Mapped[int] = mapped_column(Integer, default=0)
    paid_used: Mapped[int] = mapped_column(Integer, default=0)
    credits_spent: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[updated_at]


class CreditTopUpOrder(Base):
    __tablename__ = "credit_top_up_orders"
    __table_args__ = (CheckConstraint("status IN ('pending', 'paid', 'failed', 'expired')", name="status_known"),)

    id: Mapped[uuid_pk]
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    wallet_id: Mapped[int] = mapped_column(ForeignKey("credit_wallets.id", ondelete="CASCADE"))
    package_id: Mapped[int] = mapped_column(ForeignKey("credit_packages.id"))
    credits: Mapped[int] = mapped_column(Integer)
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(Text, default="usd")
    status: Mapped[str] = mapped_column(Text, default="pending")
    stripe_checkout_session_id: Mapped[str | None] = mapped_column(Text, unique=True)
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[created_at]
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class UnlockedInfluencer(Base):
    """A team's 30-day access to a creator's full report."""

    __tablename__ = "unlocked_influencers"
    __table_args__ = (Index("ix_unlocked_influencers_team_creator_expires", "team_id", "creator_id", "expires_at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id", ondelete="CASCADE"))
    unlocked_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    transaction_id: Mapped[int | None] = mapped_column(ForeignKey("credit_transactions.id", ondelete="SET NULL"))
    unlocked_at: Mapped[created_at]
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    extra: Mapped[dict] = mapped_column(JSONB, default=dict)
