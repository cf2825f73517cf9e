"""Maintenance tasks run by the `maintenance` worker (Cloud Scheduler -> Pub/Sub -> push).

Later issues register their tasks here (stale-job reaper, wallet reconciliation, allowance reset).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from shared.config import get_settings
from shared.events import consumer
from shared.events.schemas import MaintenanceRequested
from shared.maintenance.models import MaintenanceRun
from shared.maintenance.schemas import PruneResult


def prune_processed_messages(*, db_session: Session) -> dict[str, Any]:
    """Drop dedupe records older than the retention window (longer than Pub/Sub's 7-day redelivery)."""
    days = get_settings().maintenance.processed_messages_retention_days
    deleted = consumer.prune_processed(db_session=db_session, older_than=timedelta(days=days))
    return PruneResult(deleted=deleted, retention_days=days).model_dump()


TASKS: dict[str, Callable[..., dict[str, Any]]] = {
    "prune_processed_messages": prune_processed_messages,
}


def run(*, db_session: Session, event: MaintenanceRequested, message_key: str) -> dict[str, Any]:
    """Run one maintenance task and record the run, in the caller's transaction."""
    result = TASKS[event.task](db_session=db_session)
    db_session.add(MaintenanceRun(task=event.task, message_key=message_key, result=result))
    return result
