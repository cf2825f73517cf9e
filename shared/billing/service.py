"""Billing for a team: checkout (subscription or top-up), the customer portal, the current subscription
and its state, plan change with proration, cancel at period end (managers only; team-scoped), and the
sync of our subscription row and the team's plan with what Stripe holds (the webhook handlers use it)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared import errors
from shared.billing import catalog, signup, stripe_api
from shared.billing.models import Subscription
from shared.billing.schemas import SubscriptionOut, SubscriptionState
from shared.config import get_settings
from shared.credits import service as credits_service
from shared.credits.models import CreditTopUpOrder
from shared.teams import service as teams_service
from shared.teams.models import Team
from shared.teams.scope import TeamScope

LIVE_STATUSES = ("active", "trialing", "past_due")


def current(*, db_session: Session, scope: TeamScope) -> Subscription | None:
    return db_session.scalar(
        select(Subscription)
        .where(Subscription.team_id == scope.team_id, Subscription.status != "canceled")
        .order_by(Subscription.created_at.desc())
    )


def state(*, db_session: Session, scope: TeamScope, outcome: str | None = None) -> SubscriptionState:
    """The team's plan and subscription as last synced from Stripe."""
    row = current(db_session=db_session, scope=scope)
    return SubscriptionState(
        team_plan=teams_service.get_plan(db_session=db_session, team_id=scope.team_id),
        subscription=SubscriptionOut.model_validate(row) if row else None,
        billing_configured=get_settings().stripe.configured,
        outcome=outcome,
    )


def get_by_stripe_id(*, db_session: Session, subscription_id: str | None, lock: bool = False) -> Subscription | None:
    query = select(Subscription).where(Subscription.stripe_subscription_id == subscription_id)
    return db_session.scalar(query.with_for_update() if lock else query)


def sync_subscription(*, db_session: Session, subscription_id: str) -> str:
    """Make our row (and the team's plan) match what Stripe holds now, whatever event brought us here."""
    live = stripe_api.retrieve_subscription(subscription_id)
    row = get_by_stripe_id(db_session=db_session, subscription_id=subscription_id, lock=True)
    if live is None:  # Stripe no longer knows it
        if row is not None:
            row.status = "canceled"
            _set_plan(db_session, row.team_id, "free")
        return "subscription gone from Stripe: canceled"
    team_id = row.team_id if row else _team_of(db_session, live)
    if team_id is None:
        return "subscription without a team of ours: ignored"
    offer = catalog.offer_for_price(db_session=db_session, price_id=stripe_api.price_of_subscription(live))
    if row is None:
        row = Subscription(team_id=team_id, stripe_subscription_id=subscription_id)
        db_session.add(row)
    row.stripe_customer_id = str(live.get("customer") or "") or None
    row.status = str(live["status"])
    row.plan = offer.plan if offer else (row.plan or "free")
    row.billing_interval = offer.interval if offer else row.billing_interval
    row.current_period_start = stripe_api.timestamp(live.get("current_period_start"))
    row.current_period_end = stripe_api.timestamp(live.get("current_period_end"))
    row.cancel_at_period_end = bool(live.get("cancel_at_period_end"))
    row.stripe_state_at = datetime.now(UTC)
    is_live = row.status in LIVE_STATUSES
    _set_plan(db_session, team_id, row.plan if is_live else "free")
    return f"subscription {row.status} on {row.plan}" + ("" if is_live else ": team back on free")


def offer_of(*, db_session: Session, row: Subscription, price_id: str | None) -> catalog.Offer | None:
    """What a subscription's invoice sells: its price if we sell it, else the row's plan and interval."""
    offer = catalog.offer_for_price(db_session=db_session, price_id=price_id)
    return offer or catalog.offer_for_plan(db_session=db_session, plan=row.plan, interval=row.billing_interval)


def _team_of(db_session: Session, stripe_sub: Any) -> uuid.UUID | None:
    metadata = stripe_sub.get("metadata") or {}
    if metadata.get("team_id"):
        return uuid.UUID(metadata["team_id"])
    if metadata.get("pending_signup_id"):  # a payment-first signup: its account may not exist yet
        return signup.complete(db_session=db_session, pending_id=uuid.UUID(metadata["pending_signup_id"]))
    return None


def _set_plan(db_session: Session, team_id: uuid.UUID, plan: str) -> None:
    team = db_session.get(Team, team_id, with_for_update=True)
    if team is not None:
        team.plan = plan


def _customer(db_session: Session, scope: TeamScope, email: str | None) -> str:
    known = db_session.scalar(
        select(Subscription.stripe_customer_id).where(
            Subscription.team_id == scope.team_id, Subscription.stripe_customer_id.is_not(None)
        )
    )
    return known or str(stripe_api.create_customer(email=email, team_id=str(scope.team_id))["id"])


def checkout(
    *, db_session: Session, scope: TeamScope, email: str | None, package: str, ui_mode: str, request_id: str
) -> dict[str, Any]:
    scope.require_manager()
    offer = catalog.offer(db_session=db_session, code=package)
    if offer.price_cents == 0:
        raise errors.InvalidInput("the free plan needs no checkout")
    if offer.kind == "subscription" and current(db_session=db_session, scope=scope) is not None:
        raise errors.Conflict("this team already has a subscription: change its plan instead")
    team = str(scope.team_id)
    app = get_settings().stripe.app_url
    params: dict[str, Any] = {
        "mode": "subscription" if offer.kind == "subscription" else "payment",
        "line_items": [{"price": offer.price_id, "quantity": 1}],
        "customer": _customer(db_session, scope, email),
        "client_reference_id": team,
        "metadata": {"team_id": team, "package": offer.code},
        "ui_mode": ui_mode,
    }
    if offer.kind == "subscription":
        params["subscription_data"] = {"metadata": {"team_id": team}}
    if ui_mode == "embedded":
        params["return_url"] = f"{app}/billing/done?session_id={{CHECKOUT_SESSION_ID}}"
    else:
        params["success_url"] = f"{app}/billing/done?session_id={{CHECKOUT_SESSION_ID}}"
        params["cancel_url"] = f"{app}/billing"
    session = stripe_api.create_checkout_session(params, team, offer.code, request_id)
    if offer.kind == "topup":
        wallet = credits_service.get_wallet(db_session=db_session, scope=scope).id
        db_session.add(
            CreditTopUpOrder(
                team_id=scope.team_id, wallet_id=wallet, package_id=offer.package_id, credits=offer.credits,
                amount_cents=offer.price_cents, stripe_checkout_session_id=session["id"],
            )
        )  # fmt: skip
    return {"checkout_session": session["id"], "url": session.get("url"), "client_secret": session.get("client_secret")}


def portal(*, db_session: Session, scope: TeamScope) -> dict[str, Any]:
    scope.require_manager()
    customer = db_session.scalar(
        select(Subscription.stripe_customer_id).where(
            Subscription.team_id == scope.team_id, Subscription.stripe_customer_id.is_not(None)
        )
    )
    if customer is None:
        raise errors.NotFound("this team has no Stripe customer yet: buy a plan or a top-up first")
    app = get_settings().stripe.app_url
    session = stripe_api.create_portal_session(
        customer=customer, return_url=f"{app}/billing", team_id=str(scope.team_id), nonce=uuid.uuid4().hex
    )
    return {"url": session["url"]}


def change_plan(*, db_session: Session, scope: TeamScope, package: str, request_id: str) -> str:
    scope.require_manager()
    row = current(db_session=db_session, scope=scope)
    if row is None or row.stripe_subscription_id is None:
        raise errors.NotFound("this team has no subscription to change")
    offer = catalog.offer(db_session=db_session, code=package)
    if offer.kind != "subscription" or offer.price_id is None:
        raise errors.InvalidInput(f"{package!r} is not a paid plan")
    live = stripe_api.retrieve_subscription(row.stripe_subscription_id)
    if live is None:
        raise errors.Conflict("Stripe no longer knows this subscription")
    stripe_api.change_subscription_price(subscription=live, price_id=offer.price_id, request_id=request_id)
    return sync_subscription(db_session=db_session, subscription_id=row.stripe_subscription_id)


def cancel(*, db_session: Session, scope: TeamScope, at_period_end: bool) -> str:
    scope.require_manager()
    row = current(db_session=db_session, scope=scope)
    if row is None or row.stripe_subscription_id is None:
        raise errors.NotFound("this team has no subscription to cancel")
    stripe_api.cancel_at_period_end(subscription_id=row.stripe_subscription_id, cancel=at_period_end)
    return sync_subscription(db_session=db_session, subscription_id=row.stripe_subscription_id)
