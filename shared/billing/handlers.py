"""What each Stripe event does. Safe in any delivery order: subscription state is always re-fetched
from Stripe (the event's copy may be stale), and every credit grant has one idempotency key:

- subscriptions: credits come only from `invoice.paid` (key `invoice:<id>`);
- top-ups: credits come only from the paid Checkout Session (key `topup:<session id>`), whichever of
  `checkout.session.completed` / `async_payment_succeeded` says it is paid first.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.billing import catalog, signup, stripe_api
from shared.billing.models import PendingSignup, Subscription
from shared.credits import service as credits_service
from shared.credits.models import CreditTopUpOrder, CreditWallet
from shared.events import outbox
from shared.events.schemas import NotificationRequested
from shared.teams.models import Team

LIVE_STATUSES = ("active", "trialing", "past_due")


def _ts(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if value else None


def _team_of(db_session: Session, stripe_sub: Any) -> uuid.UUID | None:
    metadata = stripe_sub.get("metadata") or {}
    if metadata.get("team_id"):
        return uuid.UUID(metadata["team_id"])
    if metadata.get("pending_signup_id"):  # a payment-first signup: its account may not exist yet
        return signup.complete(db_session=db_session, pending_id=uuid.UUID(metadata["pending_signup_id"]))
    return None


def sync_subscription(db_session: Session, subscription_id: str) -> str:
    """Make our row (and the team's plan) match what Stripe holds now, whatever event brought us here."""
    current = stripe_api.retrieve_subscription(subscription_id)
    row = _row(db_session, subscription_id, lock=True)
    if current is None:  # Stripe no longer knows it
        if row is not None:
            row.status = "canceled"
            _set_plan(db_session, row.team_id, "free")
        return "subscription gone from Stripe: canceled"
    team_id = row.team_id if row else _team_of(db_session, current)
    if team_id is None:
        return "subscription without a team of ours: ignored"
    offer = catalog.offer_for_price(db_session=db_session, price_id=stripe_api.price_of_subscription(current))
    if row is None:
        row = Subscription(team_id=team_id, stripe_subscription_id=subscription_id)
        db_session.add(row)
    row.stripe_customer_id = str(current.get("customer") or "") or None
    row.status = str(current["status"])
    row.plan = offer.plan if offer else (row.plan or "free")
    row.billing_interval = offer.interval if offer else row.billing_interval
    row.current_period_start = _ts(current.get("current_period_start"))
    row.current_period_end = _ts(current.get("current_period_end"))
    row.cancel_at_period_end = bool(current.get("cancel_at_period_end"))
    row.stripe_state_at = datetime.now(UTC)
    live = row.status in LIVE_STATUSES
    _set_plan(db_session, team_id, row.plan if live else "free")
    return f"subscription {row.status} on {row.plan}" + ("" if live else ": team back on free")


def _row(db_session: Session, subscription_id: str | None, lock: bool = False) -> Subscription | None:
    query = select(Subscription).where(Subscription.stripe_subscription_id == subscription_id)
    return db_session.scalar(query.with_for_update() if lock else query)


def _set_plan(db_session: Session, team_id: uuid.UUID, plan: str) -> None:
    team = db_session.get(Team, team_id, with_for_update=True)
    if team is not None:
        team.plan = plan


def _wallet(db_session: Session, team_id: uuid.UUID) -> CreditWallet:
    wallet = db_session.scalar(select(CreditWallet).where(CreditWallet.team_id == team_id))
    if wallet is None:
        raise LookupError(f"team {team_id} has no wallet")
    return wallet


def notify(db_session: Session, kind: str, team_id: uuid.UUID | None, dedupe: str, **data: Any) -> None:
    outbox.add_event(
        db_session,
        NotificationRequested(kind=kind, team_id=team_id, dedupe_key=dedupe, data=data),  # type: ignore[arg-type]
    )


def checkout_completed(db_session: Session, session: Any) -> str:
    if session.get("mode") == "payment":
        return _topup_paid(db_session, session)
    metadata = session.get("metadata") or {}
    if metadata.get("pending_signup_id"):
        signup.complete(db_session=db_session, pending_id=uuid.UUID(metadata["pending_signup_id"]))
    if session.get("subscription"):
        return sync_subscription(db_session, str(session["subscription"]))
    return "checkout without subscription: nothing to do"


def async_payment_succeeded(db_session: Session, session: Any) -> str:
    return _topup_paid(db_session, session) if session.get("mode") == "payment" else "subscription: see invoice.paid"


def _topup_paid(db_session: Session, session: Any) -> str:
    if session.get("payment_status") != "paid":
        return "top-up not paid yet: waiting for async_payment_succeeded"
    order = _order(db_session, session["id"])
    if order is None:
        return "top-up session we did not create: ignored"
    credits_service.add(
        db_session=db_session,
        wallet_id=order.wallet_id,
        amount=order.credits,
        kind="grant",
        idempotency_key=f"topup:{session['id']}",
        description=f"top-up {order.credits} credits",
    )
    order.status, order.completed_at = "paid", datetime.now(UTC)
    order.stripe_payment_intent_id = session.get("payment_intent")
    return f"top-up of {order.credits} credits granted"


def _order(db_session: Session, session_id: str) -> CreditTopUpOrder | None:
    return db_session.scalar(
        select(CreditTopUpOrder).where(CreditTopUpOrder.stripe_checkout_session_id == session_id).with_for_update()
    )


def checkout_expired(db_session: Session, session: Any) -> str:
    pending_id = (session.get("metadata") or {}).get("pending_signup_id")
    if pending_id:
        pending = db_session.get(PendingSignup, uuid.UUID(pending_id), with_for_update=True)
        if pending is not None and pending.status == "pending":
            pending.status = "expired"
            return "pending signup expired"
    order = _order(db_session, session["id"])
    if order is not None and order.status == "pending":
        order.status = "expired"
        return "top-up order expired"
    return "expired checkout: nothing pending"


def invoice_paid(db_session: Session, invoice: Any) -> str:
    subscription_id = _invoice_subscription(invoice)
    if not subscription_id:
        return "invoice without subscription: no credits (top-ups grant on checkout)"
    state = sync_subscription(db_session, subscription_id)
    row = _row(db_session, subscription_id)
    if row is None:
        return f"invoice paid for an unknown subscription ({state})"
    offer = catalog.offer_for_price(db_session=db_session, price_id=_invoice_price(invoice))
    if offer is None:  # the invoice names no price we sell: the subscription's plan and interval decide
        offer = next(
            (
                o
                for o in catalog.offers(db_session=db_session)
                if o.kind == "subscription" and o.plan == row.plan and o.interval == row.billing_interval
            ),
            None,
        )
    if offer is None or offer.credits <= 0:
        return f"invoice paid; no credits for plan {row.plan}"
    wallet = _wallet(db_session, row.team_id)
    credits_service.start_new_period(db_session=db_session, wallet_id=wallet.id)
    credits_service.add(
        db_session=db_session,
        wallet_id=wallet.id,
        amount=offer.credits,
        kind="grant",
        idempotency_key=f"invoice:{invoice['id']}",
        description=f"{offer.code}: credits for the period",
    )
    return f"invoice paid: {offer.credits} credits granted ({state})"


def invoice_payment_failed(db_session: Session, invoice: Any) -> str:
    subscription_id = _invoice_subscription(invoice)
    state = sync_subscription(db_session, subscription_id) if subscription_id else "no subscription"
    row = _row(db_session, subscription_id)
    notify(
        db_session,
        "payment_failed",
        row.team_id if row else None,
        f"invoice:{invoice['id']}:{invoice.get('attempt_count') or 1}",
        amount_due=invoice.get("amount_due"),
        currency=invoice.get("currency"),
        next_attempt=invoice.get("next_payment_attempt"),
    )
    return f"payment failed: owners notified ({state})"


def subscription_changed(db_session: Session, subscription: Any) -> str:
    state = sync_subscription(db_session, str(subscription["id"]))
    row = _row(db_session, subscription["id"])
    if row is not None and row.cancel_at_period_end and row.status in LIVE_STATUSES:
        ends = row.current_period_end.isoformat() if row.current_period_end else None
        notify(
            db_session, "subscription_ending", row.team_id, f"cancel:{row.stripe_subscription_id}:{ends}", ends_at=ends
        )
        return f"{state}; ends at period end: owners notified"
    return state


def trial_will_end(db_session: Session, subscription: Any) -> str:
    state = sync_subscription(db_session, str(subscription["id"]))
    row = _row(db_session, subscription["id"])
    notify(
        db_session,
        "subscription_ending",
        row.team_id if row else None,
        f"trial:{subscription['id']}:{subscription.get('trial_end')}",
        ends_at=subscription.get("trial_end"),
    )
    return f"trial ending: owners notified ({state})"


def _invoice_subscription(invoice: Any) -> str | None:
    """The subscription an invoice bills (the field moved under `parent` in newer API versions)."""
    direct = invoice.get("subscription")
    if direct:
        return str(direct)
    details = ((invoice.get("parent") or {}).get("subscription_details") or {}).get("subscription")
    return str(details) if details else None


def _invoice_price(invoice: Any) -> str | None:
    lines = ((invoice.get("lines") or {}).get("data")) or []
    for line in lines:
        price = line.get("price") or line.get("plan") or {}
        if price.get("id"):
            return str(price["id"])
    return None


HANDLERS: dict[str, Callable[[Session, Any], str]] = {
    "checkout.session.completed": checkout_completed,
    "checkout.session.async_payment_succeeded": async_payment_succeeded,
    "checkout.session.expired": checkout_expired,
    "invoice.paid": invoice_paid,
    "invoice.payment_failed": invoice_payment_failed,
    "customer.subscription.created": subscription_changed,
    "customer.subscription.updated": subscription_changed,
    "customer.subscription.deleted": subscription_changed,
    "customer.subscription.trial_will_end": trial_will_end,
}
