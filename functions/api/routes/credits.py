"""Wallet, ledger, usage, pricing, creator unlocks, and the audited admin grant."""

from __future__ import annotations

import logging

from pydantic import BaseModel

from functions.api import deps
from shared.auth import service as auth_service
from shared.creators import service as creators_service
from shared.creators.schemas import normalize_username
from shared.credits import service as credits_service
from shared.credits import unlocks
from shared.credits.schemas import (
    GrantIn,
    PricingRuleOut,
    TransactionOut,
    TransactionPage,
    TransactionQuery,
    UnlockOut,
    UsageOut,
    UsagePage,
    WalletOut,
)
from shared.db import session_scope
from shared.http.router import RequestContext, Router
from shared.teams import service as teams_service

audit = logging.getLogger("audit")


class PricingList(BaseModel):
    items: list[PricingRuleOut]


def register(router: Router) -> None:
    @router.get("/v1/credits/wallet", response=WalletOut, tags=("credits",))
    def wallet(ctx: RequestContext) -> WalletOut:
        """The wallet of the team named by X-Team-Id (default: the caller's personal team)."""
        with session_scope() as db:
            _, scope = deps.scope(ctx, db)
            return WalletOut.model_validate(credits_service.get_wallet(db_session=db, scope=scope))

    @router.get("/v1/credits/transactions", query=TransactionQuery, response=TransactionPage, tags=("credits",))
    def transactions(ctx: RequestContext, query: TransactionQuery) -> TransactionPage:
        """The ledger, newest first; pass next_before_id as before_id for the next page."""
        with session_scope() as db:
            _, scope = deps.scope(ctx, db)
            rows = credits_service.get_transactions(
                db_session=db, scope=scope, limit=query.limit + 1, before_id=query.before_id
            )
            page = [TransactionOut.model_validate(r) for r in rows[: query.limit]]
        return TransactionPage(items=page, next_before_id=page[-1].id if len(rows) > query.limit else None)

    @router.get("/v1/credits/usage", response=UsagePage, tags=("credits",))
    def usage(ctx: RequestContext) -> UsagePage:
        """Free and paid uses per action in the current allowance period."""
        with session_scope() as db:
            _, scope = deps.scope(ctx, db)
            period, rows = credits_service.get_usage(db_session=db, scope=scope)
            items = [
                UsageOut(action=r.action, free_used=r.free_used, paid_used=r.paid_used, credits_spent=r.credits_spent)
                for r in rows
            ]
        return UsagePage(period_start=period, items=items)

    @router.get("/v1/credits/pricing", response=PricingList, tags=("credits",))
    def pricing(_ctx: RequestContext) -> PricingList:
        """Credits per action and free monthly allowances per plan ('any' applies to every plan)."""
        with session_scope() as db:
            return PricingList(
                items=[PricingRuleOut.model_validate(r) for r in credits_service.get_pricing(db_session=db)]
            )

    @router.post("/v1/creators/{username}/unlock", response=UnlockOut, tags=("credits",))
    def unlock(ctx: RequestContext, username: str) -> UnlockOut:
        """Unlock a creator's full report for 30 days; charged once per team per window."""
        name = normalize_username(username)
        with session_scope() as db:
            who, scope = deps.scope(ctx, db)
            auth_service.require_registered(who)
            creator = creators_service.get_by_username(db_session=db, username=name)
            access, entry = unlocks.unlock(db_session=db, scope=scope, creator_id=creator.id)
            return UnlockOut(
                creator_username=name,
                unlocked_at=access.unlocked_at,
                expires_at=access.expires_at,
                charged_credits=-entry.amount if entry else 0,
                already_unlocked=entry is None,
            )

    @router.post("/v1/admin/credits/grants", body=GrantIn, response=TransactionOut, status=201, tags=("admin",))
    def grant(ctx: RequestContext, body: GrantIn) -> TransactionOut:
        """Grant credits to any team (administrators; recorded in the ledger and the audit log)."""
        with session_scope() as db:
            who = deps.caller(ctx, db)
            auth_service.require_admin(who)
            wallet_id = teams_service.wallet_id_for_admin(db_session=db, team_id=body.team_id)
            entry = credits_service.add(
                db_session=db,
                wallet_id=wallet_id,
                amount=body.amount,
                kind="grant",
                idempotency_key=f"admin-grant:{body.idempotency_key}",
                action="admin_grant",
                reference_type="team",
                reference_id=str(body.team_id),
                description=body.reason,
                actor_user_id=who.user_id,
            )
            audit.info(
                "admin credit grant",
                extra={
                    "actor": str(who.user_id),
                    "team_id": str(body.team_id),
                    "amount": body.amount,
                    "reason": body.reason,
                },
            )
            return TransactionOut.model_validate(entry)
