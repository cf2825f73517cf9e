"""Maintenance tasks run by the `maintenance` worker (Cloud Scheduler -> Pub/Sub -> push).

Cloud Scheduler publishes one message per task on its own schedule.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from shared.billing import signup
from shared.config import get_settings
from shared.creators import documents
from shared.credits import service as credits_service
from shared.events import consumer, outbox
from shared.events.schemas import MaintenanceRequested
from shared.jobs import flows as jobs_flows
from shared.jobs import service as jobs_service
from shared.maintenance.models import MaintenanceRun
from shared.maintenance.schemas import PruneResult

log = logging.getLogger("maintenance")


def prune_processed_messages(*, db_session: Session) -> dict[str, Any]:
    """Drop dedupe records older than the retention window (longer than Pub/Sub's 7-day redelivery)."""
    days = get_settings().maintenance.processed_messages_retention_days
    deleted = consumer.prune_processed(db_session=db_session, older_than=timedelta(days=days))
    return PruneResult(deleted=deleted, retention_days=days).model_dump()


def reconcile_wallets(*, db_session: Session) -> dict[str, Any]:
    """Check balance == sum(ledger) for every wallet; a mismatch is logged as an error for alerting."""
    mismatches = credits_service.reconcile(db_session=db_session)
    if mismatches:
        log.error("wallet balances differ from their ledgers", extra={"mismatches": mismatches})
    return {"mismatches": mismatches}


def start_due_periods(*, db_session: Session) -> dict[str, Any]:
    """Open the next monthly allowance period of every wallet whose period has ended."""
    due = credits_service.wallets_due_for_new_period(db_session=db_session)
    started = sum(credits_service.start_new_period(db_session=db_session, wallet_id=w) for w in due)
    return {"periods_started": started}


def reap_stale_jobs(*, db_session: Session) -> dict[str, Any]:
    """Make jobs stuck in flight terminal (a failed one refunds its charges). A job reaped before its CDN stage
    landed gets its report rewritten here: the images that did land are otherwise in no document (the stage's
    last image rewrites it, shared.media.flows)."""
    minutes = get_settings().maintenance.stale_job_minutes
    reaped = jobs_service.reap_stale(db_session=db_session, older_than=timedelta(minutes=minutes))
    for job in reaped:
        if job.status == "failed":
            jobs_flows.refund_charges(db_session=db_session, job_id=job.id, reason=job.reason or "timed out")
        cdn = job.stages.get("cdn", {}).get("status")
        if job.creator_id is not None and cdn is not None and cdn not in jobs_service.STAGE_TERMINAL:
            documents.write(db_session=db_session, creator_id=job.creator_id)
    return {"reaped": [{"job_id": str(j.id), "status": j.status, "reason": j.reason} for j in reaped]}


def relay_outbox(*, db_session: Session) -> dict[str, Any]:
    """Send outbox rows a crash or a broker outage left unsent; forget sent ones past retention."""
    settings = get_settings().maintenance
    result = outbox.relay(db_session=db_session, older_than=timedelta(seconds=settings.outbox_relay_after_s))
    pruned = outbox.prune(db_session=db_session, older_than=timedelta(days=settings.outbox_retention_days))
    return {**result, "pruned": pruned}


def expire_pending_signups(*, db_session: Session) -> dict[str, Any]:
    """Close payment-first signups whose checkout expired without Stripe telling us."""
    return {"expired": signup.expire_stale(db_session=db_session)}


TASKS: dict[str, Callable[..., dict[str, Any]]] = {
    "prune_processed_messages": prune_processed_messages,
    "reconcile_wallets": reconcile_wallets,
    "start_due_periods": start_due_periods,
    "reap_stale_jobs": reap_stale_jobs,
    "relay_outbox": relay_outbox,
    "expire_pending_signups": expire_pending_signups,
}


def run(*, db_session: Session, event: MaintenanceRequested, message_key: str) -> dict[str, Any]:
    """Run one maintenance task and record the run, in the caller's transaction."""
    result = TASKS[event.task](db_session=db_session)
    db_session.add(MaintenanceRun(task=event.task, message_key=message_key, result=result))
    return result
