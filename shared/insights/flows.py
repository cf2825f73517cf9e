"""The insights step of a search job: creator.analyzed -> every analysis -> a new insights version.

Versions only grow: a recompute adds version n+1 and the report shows the newest; when every
analysis fails, no version is written, so the last good one stays what brands see.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.analysis.models import CreatorInsights
from shared.creators import documents
from shared.events.schemas import CreatorAnalyzed
from shared.insights import inputs
from shared.insights.compute import compute_all
from shared.jobs import service as jobs_service
from shared.jobs.models import TERMINAL_STATUSES


def apply(*, db_session: Session, event: CreatorAnalyzed) -> dict[str, Any]:
    data = inputs.load(db_session=db_session, creator_id=event.creator_id)
    result = compute_all(data)
    version = None
    if result.ran:
        latest = db_session.scalar(
            select(func.max(CreatorInsights.version)).where(CreatorInsights.creator_id == event.creator_id)
        )
        version = (latest or 0) + 1
        db_session.add(
            CreatorInsights(
                creator_id=event.creator_id,
                job_id=event.job_id,
                version=version,
                status=result.status,
                analyses_ran=result.ran,
                analyses_failed=result.failed,
                data=result.data,
            )
        )
        documents.write(db_session=db_session, creator_id=event.creator_id)
    job = jobs_service.get(db_session=db_session, job_id=event.job_id, for_update=True)
    if job.status not in TERMINAL_STATUSES:
        fields: dict[str, Any] = {"done": len(result.ran), "total": len(result.ran) + len(result.failed)}
        if result.failed:  # the job ends partial, naming what could not be computed and why
            reasons = "; ".join(f"{name}: {why}" for name, why in result.failed.items())
            fields.update(
                status="failed", error=f"{len(result.failed)} of {fields['total']} insights failed ({reasons})"
            )
        else:
            fields.update(status="done")
        jobs_service.update_stage(db_session=db_session, job_id=event.job_id, stage="insights", **fields)
        jobs_service.settle(db_session=db_session, job_id=event.job_id)
    return {"version": version, "ran": result.ran, "failed": result.failed}
