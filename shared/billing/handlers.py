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

from shared.billing import service as billing_service
from shared.billing import signup, stripe_api
from shared.billing.models import PendingSignup, Subscription
from shared.billing.service import LIVE_STATUSES
from shared.credits import service as credits_service
from shared.credits.models import CreditTopUpOrder
from shared.events import outbox
from shared.events.schemas import NotificationRequested


def _sync(db_session: Session, subscription_id: str) -> str:
    return billing_service.sync_subscription(db_session=db_session, subscription_id=subscription_id)


def _row(db_session: Session, subscription_id: str | None) -> Subscription | None:
    return billing_service.get_by_stripe_id(db_session=db_session, subscription_id=subscription_id)


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
        return _sync(db_session, str(session["subscription"]))
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
    subscription_id = stripe_api.invoice_subscription(invoice)
    if not subscription_id:
        return "invoice without subscription: no credits (top-ups grant on checkout)"
    state = _sync(db_session, subscription_id)
    row = _row(db_session, subscription_id)
    if row is None:
        return f"invoice paid for an unknown subscription ({state})"
    offer = billing_service.offer_of(db_session=db_session, row=row, price_id=stripe_api.invoice_price(invoice))
    if offer is None or offer.credits <= 0:
        return f"invoice paid; no credits for plan {row.plan}"
    wallet = credits_service.get_wallet_by_team_id(db_session=db_session, team_id=row.team_id)
    credits_service.start_new_period(db_session=db_session, wallet_id=wallet.id)
    credits_service.add(
        db_session=db_session,
        wallet_id=wallet.id,
        amount=offer.credits,
        kind="grant",
        idempotency_key=f"invoice:{invoice['id']}",
        description=f"{offer.code}: credits for the period",
        action=offer.code,  # the package sold: the console's revenue reads its price
        reference_type="invoice",
        reference_id=str(invoice["id"]),
    )
    return f"invoice paid: {offer.credits} credits granted ({state})"


def invoice_payment_failed(db_session: Session, invoice: Any) -> str:
    subscription_id = stripe_api.invoice_subscription(invoice)
    state = _sync(db_session, subscription_id) if subscription_id else "no subscription"
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
    state = _sync(db_session, str(subscription["id"]))
    row = _row(db_session, subscription["id"])
    if row is not None and row.cancel_at_period_end and row.status in LIVE_STATUSES:
        ends = row.current_period_end.isoformat() if row.current_period_end else None
        notify(
            db_session, "subscription_ending", row.team_id, f"cancel:{row.stripe_subscription_id}:{ends}", ends_at=ends
        )
        return f"{state}; ends at period end: owners notified"
    return state


def trial_will_end(db_session: Session, subscription: Any) -> str:
    state = _sync(db_session, str(subscription["id"]))
    row = _row(db_session, subscription["id"])
    notify(
        db_session,
        "subscription_ending",
        row.team_id if row else None,
        f"trial:{subscription['id']}:{subscription.get('trial_end')}",
        ends_at=subscription.get("trial_end"),
    )
    return f"trial ending: owners notified ({state})"


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
