"""Job endings that touch money: a failed job refunds every team charged for it; a finished one unlocks."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.credits import unlocks
from shared.credits.models import CreditTransaction
from shared.jobs import service as jobs_service
from shared.jobs.models import Job


def _charges(db_session: Session, job_id: uuid.UUID) -> list[CreditTransaction]:
    return list(
        db_session.scalars(
            select(CreditTransaction).where(
                CreditTransaction.reference_type == "job",
                CreditTransaction.reference_id == str(job_id),
                CreditTransaction.kind == "debit",
            )
        )
    )


def fail(*, db_session: Session, job_id: uuid.UUID, reason: str) -> Job:
    """Terminal failure with a reason a user can read, and a compensating refund of each charge."""
    job = jobs_service.finish(db_session=db_session, job_id=job_id, status="failed", reason=reason)
    refund_charges(db_session=db_session, job_id=job_id, reason=reason)
    return job


def refund_charges(*, db_session: Session, job_id: uuid.UUID, reason: str) -> None:
    for charge in _charges(db_session, job_id):
        unlocks.refund_charge(db_session=db_session, charge=charge, reason=f"search failed: {reason}")


def grant_access(*, db_session: Session, job_id: uuid.UUID, creator_id: int) -> None:
    """Each team charged for this search gets its 30-day unlock of the creator (no second charge)."""
    for charge in _charges(db_session, job_id):
        unlocks.grant_paid_unlock(db_session=db_session, charge=charge, creator_id=creator_id)
