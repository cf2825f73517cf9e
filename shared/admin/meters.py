"""Daily usage meters: counts the console's figures need but no table holds (Apify runs and results, GPU busy
seconds, searches served from stored reports). One upsert per event, in the transaction of its effect, so a
redelivered message that is skipped never counts twice."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Literal

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.admin.models import UsageMeter

Meter = Literal["apify_runs", "apify_results", "inference_busy_s", "searches_cached", "searches_scraped"]


def add(db_session: Session, meter: Meter, quantity: float = 1.0, day: date | None = None) -> None:
    statement = insert(UsageMeter).values(day=day or datetime.now(UTC).date(), meter=meter, quantity=quantity)
    db_session.execute(
        statement.on_conflict_do_update(
            index_elements=["day", "meter"], set_={"quantity": UsageMeter.quantity + statement.excluded.quantity}
        )
    )
