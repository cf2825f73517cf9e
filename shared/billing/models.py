"""Stripe subscriptions, received Stripe events (dedupe by event id) and payment-first signups."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.columns import created_at, updated_at, uuid_pk
from shared.orm import Base


class Subscription(Base):
    __tablename__ = "subscriptions"

    id: Mapped[uuid_pk]
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    stripe_customer_id: Mapped[str | None] = mapped_column(Text, index=True)
    stripe_subscription_id: Mapped[str | None] = mapped_column(Text, unique=True)
    plan: Mapped[str] = mapped_column(Text, default="free")
    billing_interval: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, default="active")
    current_period_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    current_period_end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_at_period_end: Mapped[bool] = mapped_column(default=False)
    # Stripe's `created` of the newest event applied, so an older event never overwrites a newer state.
    stripe_state_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]


class StripeEvent(Base):
    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(Text, primary_key=True)  # Stripe's evt_… id
    event_type: Mapped[str] = mapped_column(Text)
    stripe_created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    livemode: Mapped[bool] = mapped_column(default=False)
    received_at: Mapped[created_at]
    outcome: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict] = mapped_column(JSONB)


class PendingSignup(Base):
    """A payment-first signup: only this opaque id travels to Stripe; never a password."""

    __tablename__ = "pending_signups"
    __table_args__ = (CheckConstraint("status IN ('pending', 'completed', 'expired')", name="status_known"),)

    id: Mapped[uuid_pk]
    email: Mapped[str] = mapped_column(Text, index=True)
    plan: Mapped[str] = mapped_column(Text)
    billing_interval: Mapped[str] = mapped_column(Text, default="month")
    status: Mapped[str] = mapped_column(Text, default="pending")
    stripe_checkout_session_id: Mapped[str | None] = mapped_column(Text, unique=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
