"""An audit row per maintenance run (Cloud Scheduler -> Pub/Sub -> maintenance worker)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.orm import Base


class MaintenanceRun(Base):
    __tablename__ = "maintenance_runs"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    task: Mapped[str] = mapped_column(Text)
    message_key: Mapped[str] = mapped_column(Text)
    result: Mapped[dict] = mapped_column(JSONB)
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
