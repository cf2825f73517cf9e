"""The audit trail of operators' actions: who did what to which thing, and why."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import BigInteger, Date, Float, ForeignKey, Index, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.columns import created_at
from shared.orm import Base


class AdminAction(Base):
    __tablename__ = "admin_actions"
    __table_args__ = (Index("ix_admin_actions_target", "target_type", "target_id", "action"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(Text)  # job_retry | wallet_freeze | wallet_unfreeze | ...
    target_type: Mapped[str] = mapped_column(Text)  # job | team | dead_letter
    target_id: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JSONB, default=dict)
    created_at: Mapped[created_at]


class UsageMeter(Base):
    """How much of something happened on a day (UTC): shared.admin.meters."""

    __tablename__ = "usage_meters"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    meter: Mapped[str] = mapped_column(Text, primary_key=True)
    quantity: Mapped[float] = mapped_column(Float)
