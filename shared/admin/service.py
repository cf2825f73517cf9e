"""Operators' actions on jobs and accounts, each recorded in `admin_actions` in the same transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from shared.admin.models import AdminAction
from shared.admin.schemas import (
    AccountOut,
    AccountsQuery,
    AdminJobOut,
    JobsPage,
    JobsQuery,
    LedgerLine,
    MemberLine,
    RetryOut,
)
from shared.credits.models import CreditTransaction, CreditWallet
from shared.errors import Conflict, InvalidInput, NotFound
from shared.events import outbox
from shared.events.schemas import CreatorScrapeRequested, PostScrapeRequested
from shared.jobs import service as jobs_service
from shared.jobs.models import Job, JobWatcher
from shared.jobs.schemas import JobOut
from shared.posts import urls
from shared.posts.models import TeamPost
from shared.teams.models import Team, TeamMember, User


def record(
    db_session: Session, *, actor: uuid.UUID, action: str, target: tuple[str, str], reason: str, **details: Any
) -> AdminAction:
    row = AdminAction(
        actor_user_id=actor, action=action, target_type=target[0], target_id=target[1], reason=reason, details=details
    )
    db_session.add(row)
    db_session.flush()
    return row


def list_jobs(*, db_session: Session, query: JobsQuery) -> JobsPage:
    statement = select(Job).order_by(Job.created_at.desc()).limit(query.limit)
    if query.status:
        statement = statement.where(Job.status == query.status)
    if query.stage:
        statement = statement.where(Job.stages[query.stage]["status"].astext == "failed")
    if query.username:
        statement = statement.where(Job.username == query.username)
    if query.team_id:
        statement = statement.where(Job.requested_by_team_id == query.team_id)
    if query.max_age_hours:
        statement = statement.where(Job.created_at >= datetime.now(UTC) - timedelta(hours=query.max_age_hours))
    return JobsPage(items=[AdminJobOut.model_validate(job) for job in db_session.scalars(statement)])


def get_job(*, db_session: Session, job_id: uuid.UUID) -> AdminJobOut:
    """One job with its timeline: each stage's start, end, counts and error."""
    return AdminJobOut.model_validate(jobs_service.get(db_session=db_session, job_id=job_id))


def retry(*, db_session: Session, actor: uuid.UUID, job_id: uuid.UUID, reason: str) -> RetryOut:
    """A failed or partial job runs again as a new job (a job's own messages are processed once): no team is
    charged again, the teams that followed it follow the new one, and retrying twice returns the first retry."""
    old = jobs_service.get(db_session=db_session, job_id=job_id, for_update=True)
    done = db_session.scalar(
        select(AdminAction).where(
            AdminAction.target_type == "job", AdminAction.target_id == str(job_id), AdminAction.action == "job_retry"
        )
    )
    if done is not None:
        job = jobs_service.get(db_session=db_session, job_id=uuid.UUID(done.details["new_job_id"]))
        return RetryOut(retried=job_id, job=JobOut.model_validate(job), already_retried=True)
    if old.status not in ("failed", "partial"):
        raise Conflict(f"job {job_id} is {old.status}: only failed or partial jobs are retried")
    if old.kind == "post":
        assert old.post_shortcode
        new, created = jobs_service.create_or_join_post(
            db_session=db_session, shortcode=old.post_shortcode, user_id=None, team_id=None
        )
        db_session.execute(update(TeamPost).where(TeamPost.job_id == old.id).values(job_id=new.id))
        event: Any = PostScrapeRequested(
            job_id=new.id, url=urls.PostUrl(old.post_shortcode, "post").canonical, shortcode=old.post_shortcode
        )
    else:
        assert old.username
        new, created = jobs_service.create_or_join(
            db_session=db_session, username=old.username, refresh=True, user_id=None, team_id=None, origin="refresh"
        )
        event = CreatorScrapeRequested(job_id=new.id, username=old.username, refresh=True)
    for (team_id,) in db_session.execute(select(JobWatcher.team_id).where(JobWatcher.job_id == old.id)):
        jobs_service.watch(db_session=db_session, job_id=new.id, team_id=team_id)
    if created:
        outbox.add_event(db_session, event)
    record(db_session, actor=actor, action="job_retry", target=("job", str(job_id)), reason=reason,
           new_job_id=str(new.id))  # fmt: skip
    return RetryOut(retried=job_id, job=JobOut.model_validate(new), already_retried=False)


def accounts(*, db_session: Session, query: AccountsQuery) -> list[AccountOut]:
    """Teams found by a member's email or by id: plan, members, wallet and the latest ledger entries."""
    if query.team_id is None and query.email is None:
        raise InvalidInput("give email or team_id")
    ids: list[uuid.UUID] = []
    if query.team_id is not None:
        ids.append(query.team_id)
    if query.email is not None:
        ids += db_session.scalars(
            select(TeamMember.team_id)
            .join(User, User.id == TeamMember.user_id)
            .where(User.email == query.email.lower())
        ).all()
    return [_account(db_session, team_id) for team_id in dict.fromkeys(ids)]


def _account(db_session: Session, team_id: uuid.UUID) -> AccountOut:
    team = db_session.get(Team, team_id)
    wallet = db_session.scalar(select(CreditWallet).where(CreditWallet.team_id == team_id))
    if team is None or wallet is None:
        raise NotFound(f"team {team_id} not found")
    members = db_session.execute(
        select(TeamMember.user_id, User.email, TeamMember.role)
        .join(User, User.id == TeamMember.user_id)
        .where(TeamMember.team_id == team_id)
        .order_by(TeamMember.role, User.email)
    ).all()
    ledger = db_session.scalars(
        select(CreditTransaction)
        .where(CreditTransaction.wallet_id == wallet.id)
        .order_by(CreditTransaction.id.desc())
        .limit(20)
    ).all()
    return AccountOut(
        team_id=team.id,
        name=team.name,
        plan=team.plan,
        personal=team.is_personal,
        members=[MemberLine(user_id=u, email=e, role=r) for u, e, r in members],
        balance=wallet.balance,
        frozen=wallet.is_frozen,
        ledger=[LedgerLine.model_validate(entry) for entry in ledger],
    )


def freeze(*, db_session: Session, actor: uuid.UUID, team_id: uuid.UUID, frozen: bool, reason: str) -> AccountOut:
    """Freeze (no debit succeeds) or unfreeze a team's wallet; audited even when it was already so."""
    changed = db_session.execute(
        text("UPDATE credit_wallets SET is_frozen = :frozen WHERE team_id = :team RETURNING id"),
        {"frozen": frozen, "team": team_id},
    ).first()
    if changed is None:
        raise NotFound(f"team {team_id} not found")
    action = "wallet_freeze" if frozen else "wallet_unfreeze"
    record(db_session, actor=actor, action=action, target=("team", str(team_id)), reason=reason)
    return _account(db_session, team_id)
