"""The credit ledger: wallets, conditional debits, compensating refunds, grants, periods, reconciliation.

Every balance change is one conditional UPDATE plus one ledger row, in the caller's transaction, under
a transaction-scoped advisory lock on the idempotency key: a replayed key returns the first result.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.config import get_settings
from shared.credits.models import CreditPricingRule, CreditTransaction, CreditUsageTracking, CreditWallet
from shared.credits.schemas import TransactionOut, TransactionPage, UsageOut, UsagePage
from shared.db import advisory_lock
from shared.errors import InsufficientCredits, InvalidInput, NotFound
from shared.events import outbox
from shared.events.schemas import NotificationRequested
from shared.teams import service as teams_service
from shared.teams.scope import TeamScope

audit = logging.getLogger("audit")


def month_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """[first instant of the month, first instant of the next month) in UTC."""
    start = moment.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return start, end


def create_wallet(*, db_session: Session, team_id: uuid.UUID) -> CreditWallet:
    start, end = month_bounds(datetime.now(UTC))
    wallet = CreditWallet(team_id=team_id, balance=0, current_period_start=start, current_period_end=end)
    db_session.add(wallet)
    db_session.flush()
    return wallet


def get_wallet_by_team_id(*, db_session: Session, team_id: uuid.UUID) -> CreditWallet:
    """Any team's wallet: for the scoped read below, billing and webhooks, and admin routes (which
    check the admin role first)."""
    wallet = db_session.scalar(select(CreditWallet).where(CreditWallet.team_id == team_id))
    if wallet is None:
        raise NotFound(f"team {team_id} has no wallet")
    return wallet


def get_wallet(*, db_session: Session, scope: TeamScope) -> CreditWallet:
    return get_wallet_by_team_id(db_session=db_session, team_id=scope.team_id)


def get_by_key(*, db_session: Session, idempotency_key: str) -> CreditTransaction | None:
    return db_session.scalar(select(CreditTransaction).where(CreditTransaction.idempotency_key == idempotency_key))


def _ledger(
    db_session: Session, wallet_id: int, kind: str, amount: int, balance_after: int, key: str, **details: object
) -> CreditTransaction:
    entry = CreditTransaction(
        wallet_id=wallet_id,
        kind=kind,
        amount=amount,
        balance_before=balance_after - amount,
        balance_after=balance_after,
        idempotency_key=key,
        **details,
    )
    db_session.add(entry)
    db_session.flush()
    return entry


def debit(
    *, db_session: Session, wallet_id: int, amount: int, idempotency_key: str, **details: object
) -> CreditTransaction:
    """Take `amount` credits if the balance covers it: one conditional UPDATE, one ledger row."""
    if amount < 0:
        raise InvalidInput("a debit takes a non-negative amount")
    advisory_lock(db_session, idempotency_key)
    if (existing := get_by_key(db_session=db_session, idempotency_key=idempotency_key)) is not None:
        return existing
    balance = db_session.execute(
        update(CreditWallet)
        .where(CreditWallet.id == wallet_id, CreditWallet.balance >= amount, CreditWallet.is_frozen.is_(False))
        .values(balance=CreditWallet.balance - amount, lifetime_spent=CreditWallet.lifetime_spent + amount)
        .returning(CreditWallet.balance)
    ).scalar()
    if balance is None:
        current = db_session.scalar(select(CreditWallet.balance).where(CreditWallet.id == wallet_id))
        raise InsufficientCredits(f"this needs {amount} credits; the wallet has {current}", required=amount)
    _warn_when_low(db_session, wallet_id, before=balance + amount, after=balance)
    return _ledger(db_session, wallet_id, "debit", -amount, balance, idempotency_key, **details)


def _warn_when_low(db_session: Session, wallet_id: int, *, before: int, after: int) -> None:
    """The debit that crosses the low-credits threshold asks for one mail to the team's owners."""
    threshold = get_settings().notify.low_credits_threshold
    if not (after < threshold <= before):
        return
    wallet = db_session.get(CreditWallet, wallet_id)
    assert wallet is not None
    outbox.add_event(
        db_session,
        NotificationRequested(
            kind="credits_low",
            team_id=wallet.team_id,
            dedupe_key=f"wallet:{wallet_id}:crossed:{wallet.lifetime_spent}",
            data={"balance": after},
        ),
    )


def add(
    *, db_session: Session, wallet_id: int, amount: int, kind: str, idempotency_key: str, **details: object
) -> CreditTransaction:
    """Put credits in (grant, refund): the mirror of `debit`."""
    if amount < 0 or kind not in ("grant", "refund"):
        raise InvalidInput("grants and refunds add a non-negative amount")
    advisory_lock(db_session, idempotency_key)
    if (existing := get_by_key(db_session=db_session, idempotency_key=idempotency_key)) is not None:
        return existing
    earned = amount if kind == "grant" else 0
    spent_back = amount if kind == "refund" else 0
    balance = db_session.execute(
        update(CreditWallet)
        .where(CreditWallet.id == wallet_id)
        .values(
            balance=CreditWallet.balance + amount,
            lifetime_earned=CreditWallet.lifetime_earned + earned,
            lifetime_spent=CreditWallet.lifetime_spent - spent_back,
        )
        .returning(CreditWallet.balance)
    ).scalar_one()
    return _ledger(db_session, wallet_id, kind, amount, balance, idempotency_key, **details)


def pricing_rule(*, db_session: Session, action: str, plan: str) -> CreditPricingRule:
    """The plan's own rule for an action, else the rule for every plan."""
    rules = db_session.scalars(
        select(CreditPricingRule).where(
            CreditPricingRule.action == action,
            CreditPricingRule.plan.in_([plan, "any"]),
            CreditPricingRule.is_active.is_(True),
        )
    ).all()
    for rule in sorted(rules, key=lambda r: r.plan == "any"):
        return rule
    raise InvalidInput(f"unknown action {action!r}")


def _usage(db_session: Session, wallet: CreditWallet, action: str) -> CreditUsageTracking:
    period = (wallet.current_period_start or datetime.now(UTC)).date()
    db_session.execute(
        insert(CreditUsageTracking)
        .values(wallet_id=wallet.id, action=action, period_start=period)
        .on_conflict_do_nothing(constraint="uq_credit_usage_wallet_action_period")
    )
    return db_session.scalars(
        select(CreditUsageTracking)
        .where(
            CreditUsageTracking.wallet_id == wallet.id,
            CreditUsageTracking.action == action,
            CreditUsageTracking.period_start == period,
        )
        .with_for_update()
    ).one()


def charge(
    *,
    db_session: Session,
    scope: TeamScope,
    action: str,
    idempotency_key: str,
    reference_type: str | None = None,
    reference_id: str | None = None,
) -> CreditTransaction:
    """Charge an action to the team: free while the plan's monthly allowance lasts, then its price."""
    advisory_lock(db_session, idempotency_key)
    if (existing := get_by_key(db_session=db_session, idempotency_key=idempotency_key)) is not None:
        return existing
    wallet = get_wallet(db_session=db_session, scope=scope)
    plan = teams_service.get_plan(db_session=db_session, team_id=scope.team_id)
    rule = pricing_rule(db_session=db_session, action=action, plan=plan)
    usage = _usage(db_session, wallet, action)
    free = usage.free_used < rule.free_allowance_per_month
    cost = 0 if free else rule.credits_cost
    entry = debit(
        db_session=db_session,
        wallet_id=wallet.id,
        amount=cost,
        idempotency_key=idempotency_key,
        action=action,
        reference_type=reference_type,
        reference_id=reference_id,
        actor_user_id=scope.user_id,
        description="free allowance" if free else None,
    )
    if free:
        usage.free_used += 1
    else:
        usage.paid_used += 1
        usage.credits_spent += cost
    return entry


def refund(*, db_session: Session, idempotency_key: str, reason: str) -> CreditTransaction:
    """Compensate a charge with a refund entry (never an edit); once per charge."""
    original = get_by_key(db_session=db_session, idempotency_key=idempotency_key)
    if original is None or original.kind != "debit":
        raise NotFound(f"no charge with key {idempotency_key!r}")
    refund_key = f"refund:{idempotency_key}"
    # Lock before looking: the job settle and the reaper can refund one charge at once, and only the
    # first may give back the usage counted for it.
    advisory_lock(db_session, refund_key)
    if (existing := get_by_key(db_session=db_session, idempotency_key=refund_key)) is not None:
        return existing
    entry = add(
        db_session=db_session,
        wallet_id=original.wallet_id,
        amount=-original.amount,
        kind="refund",
        idempotency_key=refund_key,
        action=original.action,
        reference_type="credit_transaction",
        reference_id=str(original.id),
        description=reason,
    )
    if original.action:
        usage = db_session.scalars(
            select(CreditUsageTracking)
            .where(CreditUsageTracking.wallet_id == original.wallet_id, CreditUsageTracking.action == original.action)
            .order_by(CreditUsageTracking.period_start.desc())
            .with_for_update()
        ).first()
        if usage is not None and original.amount == 0 and usage.free_used > 0:
            usage.free_used -= 1
        elif usage is not None and original.amount < 0 and usage.paid_used > 0:
            usage.paid_used -= 1
            usage.credits_spent = max(0, usage.credits_spent + original.amount)
    return entry


def start_new_period(*, db_session: Session, wallet_id: int, now: datetime | None = None) -> bool:
    """Open the next monthly allowance period when the current one has ended (idempotent per period)."""
    wallet = db_session.get(CreditWallet, wallet_id, with_for_update=True)
    if wallet is None:
        raise NotFound(f"wallet {wallet_id} not found")
    now = now or datetime.now(UTC)
    if wallet.current_period_end is not None and wallet.current_period_end > now:
        return False
    start, end = month_bounds(now)
    wallet.current_period_start, wallet.current_period_end = start, end
    _ledger(
        db_session,
        wallet.id,
        "reset",
        0,
        wallet.balance,
        f"reset:{wallet.id}:{start.date()}",
        description=f"allowance period {start.date()} to {end.date()}",
    )
    return True


def reconcile(*, db_session: Session) -> list[dict[str, int]]:
    """Wallets whose balance differs from the sum of their ledger (empty when all is well)."""
    ledger_sum = func.coalesce(func.sum(CreditTransaction.amount), 0)
    rows = db_session.execute(
        select(CreditWallet.id, CreditWallet.balance, ledger_sum)
        .outerjoin(CreditTransaction, CreditTransaction.wallet_id == CreditWallet.id)
        .group_by(CreditWallet.id)
        .having(CreditWallet.balance != ledger_sum)
    )
    return [{"wallet_id": w, "balance": b, "ledger_sum": int(s)} for w, b, s in rows]


def get_transaction_page(
    *, db_session: Session, scope: TeamScope, limit: int, before_id: int | None
) -> TransactionPage:
    """The ledger newest first, keyset-paginated by id: pass next_before_id as before_id for the next page."""
    wallet = get_wallet(db_session=db_session, scope=scope)
    query = select(CreditTransaction).where(CreditTransaction.wallet_id == wallet.id)
    if before_id is not None:
        query = query.where(CreditTransaction.id < before_id)
    rows = list(db_session.scalars(query.order_by(CreditTransaction.id.desc()).limit(limit + 1)))
    page = [TransactionOut.model_validate(r) for r in rows[:limit]]
    return TransactionPage(items=page, next_before_id=page[-1].id if len(rows) > limit else None)


def get_usage(*, db_session: Session, scope: TeamScope) -> UsagePage:
    """Free and paid uses per action in the wallet's current allowance period."""
    wallet = get_wallet(db_session=db_session, scope=scope)
    period = wallet.current_period_start.date() if wallet.current_period_start else None
    rows = db_session.scalars(
        select(CreditUsageTracking).where(
            CreditUsageTracking.wallet_id == wallet.id, CreditUsageTracking.period_start == period
        )
    )
    items = [
        UsageOut(action=r.action, free_used=r.free_used, paid_used=r.paid_used, credits_spent=r.credits_spent)
        for r in rows
    ]
    return UsagePage(period_start=period, items=items)


def admin_grant(
    *, db_session: Session, actor_user_id: uuid.UUID, team_id: uuid.UUID, amount: int, key: str, reason: str
) -> CreditTransaction:
    """Credits to any team from an operator (the caller checked the admin role): once per key, audited."""
    wallet = get_wallet_by_team_id(db_session=db_session, team_id=team_id)
    entry = add(
        db_session=db_session,
        wallet_id=wallet.id,
        amount=amount,
        kind="grant",
        idempotency_key=f"admin-grant:{key}",
        action="admin_grant",
        reference_type="team",
        reference_id=str(team_id),
        description=reason,
        actor_user_id=actor_user_id,
    )
    audit.info(
        "admin credit grant",
        extra={"actor": str(actor_user_id), "team_id": str(team_id), "amount": amount, "reason": reason},
    )
    return entry


def get_pricing(*, db_session: Session) -> list[CreditPricingRule]:
    return list(
        db_session.scalars(
            select(CreditPricingRule)
            .where(CreditPricingRule.is_active.is_(True))
            .order_by(CreditPricingRule.action, CreditPricingRule.plan)
        )
    )


def wallets_due_for_new_period(*, db_session: Session, now: datetime | None = None) -> list[int]:
    return list(
        db_session.scalars(select(CreditWallet.id).where(CreditWallet.current_period_end <= (now or datetime.now(UTC))))
    )
