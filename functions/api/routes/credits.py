"""Wallet, ledger, usage, pricing, creator unlocks, and the audited admin grant."""

from __future__ import annotations

from pydantic import BaseModel

from functions.api import deps
from shared.auth import service as auth_service
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
    UnlocksPage,
    UnlocksQuery,
    UsagePage,
    WalletOut,
)
from shared.db import session_scope
from shared.http.router import RequestContext, Router


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
            return credits_service.get_transaction_page(
                db_session=db, scope=scope, limit=query.limit, before_id=query.before_id
            )

    @router.get("/v1/credits/usage", response=UsagePage, tags=("credits",))
    def usage(ctx: RequestContext) -> UsagePage:
        """Free and paid uses per action in the current allowance period."""
        with session_scope() as db:
            _, scope = deps.scope(ctx, db)
            return credits_service.get_usage(db_session=db, scope=scope)

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
            return unlocks.unlock_by_username(db_session=db, scope=scope, username=name)

    @router.get("/v1/unlocks", query=UnlocksQuery, response=UnlocksPage, tags=("credits",))
    def team_unlocks(ctx: RequestContext, query: UnlocksQuery) -> UnlocksPage:
        """The creators the team has unlocked, with when each unlock expires."""
        with session_scope() as db:
            _, scope = deps.scope(ctx, db)
            return unlocks.list_unlocks(db_session=db, scope=scope, query=query)

    @router.post("/v1/admin/credits/grants", body=GrantIn, response=TransactionOut, status=201, tags=("admin",))
    def grant(ctx: RequestContext, body: GrantIn) -> TransactionOut:
        """Grant credits to any team (administrators; recorded in the ledger and the audit log)."""
        with session_scope() as db:
            who = deps.caller(ctx, db)
            auth_service.require_admin(who)
            entry = credits_service.admin_grant(
                db_session=db, actor_user_id=who.user_id, team_id=body.team_id, amount=body.amount,
                key=body.idempotency_key, reason=body.reason,
            )  # fmt: skip
            return TransactionOut.model_validate(entry)
