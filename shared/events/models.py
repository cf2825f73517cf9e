"""Processed messages (every consumer idempotent) and the outbox (nothing sent before its commit)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Identity, Index, Integer, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.orm import Base


class ProcessedMessage(Base):
    __tablename__ = "processed_messages"

    consumer: Mapped[str] = mapped_column(Text, primary_key=True)
    message_key: Mapped[str] = mapped_column(Text, primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)


class OutboxMessage(Base):
    """A message or task written in the transaction of its cause, sent only after that commits.

    `kind` is "pubsub" (body: topic, data, attributes) or "task" (body: queue, url, payload,
    dedupe_key). Rows left unsent (the sender crashed, the broker was down) are sent by the
    `relay_outbox` maintenance task.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint("kind IN ('pubsub', 'task')", name="kind"),
        Index("ix_outbox_messages_unsent", "created_at", postgresql_where=text("sent_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    kind: Mapped[str] = mapped_column(Text)
    body: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
