"""The operators' console (`/v1/admin/…`): platform administrators only (users.is_admin), every action audited."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from functions.api import deps
from shared.admin import dead_letters
from shared.admin import service as admin_service
from shared.admin import spend as admin_spend_flow
from shared.admin import stats as admin_stats
from shared.admin.schemas import (
    AccountOut,
    AccountsPage,
    AccountsQuery,
    AdminJobOut,
    DeadLetterAction,
    DeadLetterOutcome,
    DeadLettersPage,
    DeadLettersQuery,
    FreezeIn,
    JobsPage,
    JobsQuery,
    RetryIn,
    RetryOut,
    SpendOut,
    SpendQuery,
    StatsOut,
    StatsQuery,
)
from shared.auth import service as auth_service
from shared.auth.schemas import Caller
from shared.db import session_scope
from shared.errors import InvalidInput
from shared.http.router import RequestContext, Router

MESSAGE_ID = re.compile(r"^[0-9]{1,30}$")


def _admin(ctx: RequestContext, db: Session) -> Caller:
    who = deps.caller(ctx, db)
    auth_service.require_admin(who)
    return who


def register(router: Router) -> None:
    @router.get("/v1/admin/stats", query=StatsQuery, response=StatsOut, tags=("admin",))
    def admin_system_stats(ctx: RequestContext, query: StatsQuery) -> StatsOut:
        """Jobs by status, failing stage and reason, stage durations, active teams, credits, MRR, notifications."""
        with session_scope() as db:
            _admin(ctx, db)
            return admin_stats.stats(db_session=db, window=query.window)

    @router.get("/v1/admin/spend", query=SpendQuery, response=SpendOut, tags=("admin",))
    def admin_spend(ctx: RequestContext, query: SpendQuery) -> SpendOut:
        """Apify runs and results and GPU busy seconds per day, priced (settings `costs`), per creator analysed."""
        with session_scope() as db:
            _admin(ctx, db)
            return admin_spend_flow.spend(db_session=db, days=query.days)

    @router.get("/v1/admin/jobs", query=JobsQuery, response=JobsPage, tags=("admin",))
    def admin_jobs(ctx: RequestContext, query: JobsQuery) -> JobsPage:
        """Jobs, newest first, filtered by status, failed stage, username, team and age."""
        with session_scope() as db:
            _admin(ctx, db)
            return admin_service.list_jobs(db_session=db, query=query)

    @router.get("/v1/admin/jobs/{job_id}", response=AdminJobOut, tags=("admin",))
    def admin_job(ctx: RequestContext, job_id: str) -> AdminJobOut:
        """One job and its timeline (each stage's start, end, counts and error)."""
        with session_scope() as db:
            _admin(ctx, db)
            return admin_service.get_job(db_session=db, job_id=deps.parse_uuid(job_id, "job id"))

    @router.post("/v1/admin/jobs/{job_id}/retry", body=RetryIn, response=RetryOut, tags=("admin",))
    def admin_retry_job(ctx: RequestContext, job_id: str, body: RetryIn) -> RetryOut:
        """Run a failed or partial job again, at no charge to anyone; retrying twice returns the first retry."""
        with session_scope() as db:
            who = _admin(ctx, db)
            return admin_service.retry(
                db_session=db, actor=who.user_id, job_id=deps.parse_uuid(job_id, "job id"), reason=body.reason
            )

    @router.get("/v1/admin/dead-letters", query=DeadLettersQuery, response=DeadLettersPage, tags=("admin",))
    def admin_dead_letters(ctx: RequestContext, query: DeadLettersQuery) -> DeadLettersPage:
        """What waits in the dead-letter subscription: topic, attempts, payload (looking does not take them)."""
        with session_scope() as db:
            _admin(ctx, db)
        return dead_letters.peek(max_messages=query.limit)

    @router.post(
        "/v1/admin/dead-letters/{message_id}", body=DeadLetterAction, response=DeadLetterOutcome, tags=("admin",)
    )
    def admin_dead_letter_action(ctx: RequestContext, message_id: str, body: DeadLetterAction) -> DeadLetterOutcome:
        """Replay a dead letter to the topic it came from, or discard it, with the reason on record."""
        if not MESSAGE_ID.match(message_id):
            raise InvalidInput("message_id must be Pub/Sub's numeric message id")
        with session_scope() as db:
            who = _admin(ctx, db)
            return dead_letters.act(
                db_session=db, actor=who.user_id, message_id=message_id, action=body.action, reason=body.reason
            )

    @router.get("/v1/admin/accounts", query=AccountsQuery, response=AccountsPage, tags=("admin",))
    def admin_accounts(ctx: RequestContext, query: AccountsQuery) -> AccountsPage:
        """Teams by a member's email or by id: plan, members, wallet, the latest ledger entries."""
        with session_scope() as db:
            _admin(ctx, db)
            return AccountsPage(items=admin_service.accounts(db_session=db, query=query))

    @router.post("/v1/admin/teams/{team_id}/wallet/freeze", body=FreezeIn, response=AccountOut, tags=("admin",))
    def admin_freeze_wallet(ctx: RequestContext, team_id: str, body: FreezeIn) -> AccountOut:
        """Freeze (no charge succeeds) or unfreeze a team's wallet, with the reason on record."""
        with session_scope() as db:
            who = _admin(ctx, db)
            return admin_service.freeze(
                db_session=db,
                actor=who.user_id,
                team_id=deps.parse_uuid(team_id, "team id"),
                frozen=body.frozen,
                reason=body.reason,
            )
