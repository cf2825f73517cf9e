"""Search jobs: create-or-join (one in flight per username, enforced by Postgres), stage progress,
terminal states with reasons, and the stale-job reaper."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.errors import NotFound
from shared.jobs.models import ACTIVE_STATUSES, TERMINAL_STATUSES, Job, JobWatcher
from shared.teams.scope import TeamScope

log = logging.getLogger("jobs")
STAGES = ("scrape", "cdn", "analysis", "insights")
STAGE_TERMINAL = ("done", "failed", "skipped")


# The partial unique indexes' predicates (shared.jobs.models), as ON CONFLICT must name them: one job in flight per
# creator username, one per post.
IN_FLIGHT = {
    "creator": ("username", text("status IN ('queued', 'running') AND kind = 'creator'")),
    "post": ("post_shortcode", text("status IN ('queued', 'running') AND kind = 'post'")),
}


def new_stages() -> dict[str, dict[str, Any]]:
    return {name: {"status": "pending", "done": 0, "total": 0, "error": None} for name in STAGES}


def create_or_join(
    *,
    db_session: Session,
    username: str,
    refresh: bool,
    user_id: uuid.UUID | None,
    team_id: uuid.UUID | None,
    origin: str = "search",
) -> tuple[Job, bool]:
    """The in-flight job for `username`, creating it if there is none; (job, created)."""
    return _create_or_join(
        db_session, "creator", username, stages=new_stages(), refresh=refresh, origin=origin,
        requested_by_user_id=user_id, requested_by_team_id=team_id,
    )  # fmt: skip


def create_or_join_post(
    *, db_session: Session, shortcode: str, user_id: uuid.UUID | None, team_id: uuid.UUID | None
) -> tuple[Job, bool]:
    """The in-flight analysis job for one post, creating it if there is none; (job, created). A post job has
    no insights stage (skipped from the start)."""
    stages = new_stages()
    stages["insights"]["status"] = "skipped"
    return _create_or_join(
        db_session, "post", shortcode, stages=stages, requested_by_user_id=user_id, requested_by_team_id=team_id
    )


def _create_or_join(db_session: Session, kind: str, target: str, **values: Any) -> tuple[Job, bool]:
    """Insert the job unless one is in flight for `target` (Postgres' partial unique index decides), else join it."""
    column, in_flight = IN_FLIGHT[kind]
    for _ in range(3):
        created = db_session.execute(
            insert(Job)
            .values(kind=kind, status="queued", **{column: target}, **values)
            .on_conflict_do_nothing(index_elements=[column], index_where=in_flight)
            .returning(Job.id)
        ).scalar()
        if created is not None:
            return get(db_session=db_session, job_id=created), True
        existing = db_session.scalar(
            select(Job).where(Job.kind == kind, getattr(Job, column) == target, Job.status.in_(ACTIVE_STATUSES))
        )
        if existing is not None:
            return existing, False
        # The in-flight job finished between our INSERT and SELECT: try again.
    raise RuntimeError(f"could not create or join a {kind} job for {target}")


def get_in_flight(*, db_session: Session, username: str) -> Job | None:
    return db_session.scalar(
        select(Job).where(Job.kind == "creator", Job.username == username, Job.status.in_(ACTIVE_STATUSES))
    )


def count_created_by_team(*, db_session: Session, team_id: uuid.UUID, since: datetime) -> tuple[int, datetime | None]:
    """Search jobs a team started since `since`, and when the oldest of them started."""
    count, oldest = db_session.execute(
        select(func.count(), func.min(Job.created_at)).where(
            Job.requested_by_team_id == team_id, Job.origin == "search", Job.created_at >= since
        )
    ).one()
    return int(count), oldest


def get(*, db_session: Session, job_id: uuid.UUID, for_update: bool = False) -> Job:
    job = db_session.get(Job, job_id, with_for_update=for_update, populate_existing=for_update)
    if job is None:
        raise NotFound("job not found")
    return job


def watch(*, db_session: Session, job_id: uuid.UUID, team_id: uuid.UUID) -> None:
    """Record that a team searched into this job (idempotent)."""
    db_session.execute(insert(JobWatcher).values(job_id=job_id, team_id=team_id).on_conflict_do_nothing())


def get_for_team(*, db_session: Session, scope: TeamScope, job_id: uuid.UUID) -> Job:
    """A job the caller's team searched into; NotFound for anyone else's (no hint that it exists)."""
    watching = db_session.get(JobWatcher, (job_id, scope.team_id))
    if watching is None:
        raise NotFound("job not found")
    return get(db_session=db_session, job_id=job_id)


def update_stage(*, db_session: Session, job_id: uuid.UUID, stage: str, **fields: Any) -> Job:
    """Set fields of one stage (row-locked, so concurrent workers never lose each other's updates)."""
    job = get(db_session=db_session, job_id=job_id, for_update=True)
    if job.status in TERMINAL_STATUSES:
        return job
    stages = {k: dict(v) for k, v in job.stages.items()}
    stages[stage].update(fields)
    now = datetime.now(UTC).isoformat()
    status = stages[stage]["status"]
    if status != "pending":  # the stage's timeline, for the operators' per-stage durations
        stages[stage].setdefault("started_at", now)
    if status in STAGE_TERMINAL:
        stages[stage].setdefault("ended_at", now)
    job.stages = stages
    job.status = "running"
    job.updated_at = datetime.now(UTC)
    return job


def count_stage_item(*, db_session: Session, job_id: uuid.UUID, stage: str, failed: str | None = None) -> Job:
    """One more item of a counted stage (e.g. one image) is done; the stage ends when all are."""
    job = get(db_session=db_session, job_id=job_id, for_update=True)
    current = job.stages[stage]
    done = current["done"] + 1
    errors = current.get("errors", 0) + (1 if failed else 0)
    fields: dict[str, Any] = {"done": done, "errors": errors}
    if failed:
        fields["error"] = failed
    if done >= current["total"]:
        fields["status"] = "failed" if errors == current["total"] and errors else "done"
    return update_stage(db_session=db_session, job_id=job_id, stage=stage, **fields)


def stage_closed(job: Job, stage: str) -> bool:
    """Whether `stage` takes no more items: it ended, or its job did (an item counted after that changes nothing)."""
    return job.status in TERMINAL_STATUSES or job.stages[stage]["status"] in STAGE_TERMINAL


def finish(*, db_session: Session, job_id: uuid.UUID, status: str, reason: str | None = None) -> Job:
    """Move a job to a terminal state once; later calls leave it as it is."""
    job = get(db_session=db_session, job_id=job_id, for_update=True)
    if job.status in TERMINAL_STATUSES:
        return job
    job.status, job.reason = status, reason
    job.finished_at = job.updated_at = datetime.now(UTC)
    # The "jobs_failed" log-based metric (Terraform's monitoring module) counts these lines.
    log.log(
        logging.WARNING if status != "complete" else logging.INFO,
        "job ended",
        extra={"job_id": str(job.id), "status": status, "reason": reason, "origin": job.origin},
    )
    return job


def settle(*, db_session: Session, job_id: uuid.UUID) -> Job:
    """When every stage has ended: complete, or partial naming the stages that failed."""
    job = get(db_session=db_session, job_id=job_id, for_update=True)
    if job.status in TERMINAL_STATUSES or any(s["status"] not in STAGE_TERMINAL for s in job.stages.values()):
        return job
    failed = {name: s.get("error") or "failed" for name, s in job.stages.items() if s["status"] == "failed"}
    if not failed:
        return finish(db_session=db_session, job_id=job_id, status="complete")
    reason = "; ".join(f"{name}: {error}" for name, error in failed.items())
    return finish(db_session=db_session, job_id=job_id, status="partial", reason=reason)


def reap_stale(*, db_session: Session, older_than: timedelta) -> list[Job]:
    """Jobs stuck in flight: failed when the scrape never finished, else partial naming the stuck stages."""
    cutoff = datetime.now(UTC) - older_than
    stuck = db_session.scalars(
        select(Job).where(Job.status.in_(ACTIVE_STATUSES), Job.updated_at < cutoff).with_for_update(skip_locked=True)
    ).all()
    for job in stuck:
        waiting = [name for name, s in job.stages.items() if s["status"] not in STAGE_TERMINAL]
        if job.stages["scrape"]["status"] != "done":
            finish(
                db_session=db_session,
                job_id=job.id,
                status="failed",
                reason="the profile could not be fetched in time; please search again",
            )
        else:
            finish(
                db_session=db_session,
                job_id=job.id,
                status="partial",
                reason="timed out waiting for: " + ", ".join(waiting),
            )
    return list(stuck)
