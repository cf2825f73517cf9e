"""Billing for a signed-in team: checkout (subscription or top-up), the customer portal, the current
subscription, plan change with proration, cancel at period end. Managers only; team-scoped."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared import errors
from shared.billing import catalog, handlers, stripe_api
from shared.billing.models import Subscription
from shared.config import get_settings
from shared.credits.models import CreditTopUpOrder, CreditWallet
from shared.teams.service import TeamScope


def current(*, db_session: Session, scope: TeamScope) -> Subscription | None:
    return db_session.scalar(
        select(Subscription)
        .where(Subscription.team_id == scope.team_id, Subscription.status != "canceled")
        .order_by(Subscription.created_at.desc())
    )


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
        wallet = db_session.scalar(select(CreditWallet.id).where(CreditWallet.team_id == scope.team_id))
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
    return handlers.sync_subscription(db_session, row.stripe_subscription_id)


def cancel(*, db_session: Session, scope: TeamScope, at_period_end: bool) -> str:
    scope.require_manager()
    row = current(db_session=db_session, scope=scope)
    if row is None or row.stripe_subscription_id is None:
        raise errors.NotFound("this team has no subscription to cancel")
    stripe_api.cancel_at_period_end(subscription_id=row.stripe_subscription_id, cancel=at_period_end)
    return handlers.sync_subscription(db_session, row.stripe_subscription_id)
