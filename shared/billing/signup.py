"""Signup without passwords. Paid: a pending signup whose opaque id is all Stripe sees; after payment
the webhook invites the person through Supabase and creates user, team, wallet and subscription in
one transaction. Free: the invite straight away. No password is accepted, stored, logged or sent.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from shared import errors
from shared.auth import invites
from shared.billing import catalog, stripe_api
from shared.billing.models import PendingSignup
from shared.config import get_settings
from shared.events import outbox
from shared.events.schemas import NotificationRequested
from shared.teams import flows as teams_flows

CHECKOUT_LIFETIME = timedelta(hours=24)


def start_paid(*, db_session: Session, email: str, package: str, ui_mode: str) -> dict[str, Any]:
    offer = catalog.offer(db_session=db_session, code=package)
    if offer.kind != "subscription" or offer.price_cents == 0:
        raise errors.InvalidInput(f"{package!r} is not a paid plan; use /v1/signup/free for the free plan")
    pending = PendingSignup(
        email=email, plan=offer.code, billing_interval=offer.interval or "month",
        expires_at=datetime.now(UTC) + CHECKOUT_LIFETIME,
    )  # fmt: skip
    db_session.add(pending)
    db_session.flush()
    marker = {"pending_signup_id": str(pending.id)}
    app = get_settings().stripe.app_url
    params: dict[str, Any] = {
        "mode": "subscription",
        "line_items": [{"price": offer.price_id, "quantity": 1}],
        "customer_email": email,
        "client_reference_id": str(pending.id),
        "metadata": marker,
        "subscription_data": {"metadata": marker},
        "ui_mode": ui_mode,
    }
    if ui_mode == "embedded":
        params["return_url"] = f"{app}/signup/done?session_id={{CHECKOUT_SESSION_ID}}"
    else:
        params["success_url"] = f"{app}/signup/done?session_id={{CHECKOUT_SESSION_ID}}"
        params["cancel_url"] = f"{app}/signup"
    session = stripe_api.create_checkout_session(params, "signup", pending.id)
    pending.stripe_checkout_session_id = session["id"]
    return {"signup_id": str(pending.id), "checkout_session": session["id"], "url": session.get("url"),
            "client_secret": session.get("client_secret")}  # fmt: skip


def complete(*, db_session: Session, pending_id: uuid.UUID) -> uuid.UUID:
    """Provision the account of a paid signup once (any event may come first); returns its team id."""
    pending = db_session.get(PendingSignup, pending_id, with_for_update=True)
    if pending is None:
        raise errors.NotFound(f"pending signup {pending_id} not found")
    if pending.user_id is not None:
        return teams_flows.ensure_account(db_session=db_session, user_id=pending.user_id, email=pending.email)
    user_id = invites.invite_or_find(db_session, pending.email)
    # The user row first: the pending row points at it.
    team = teams_flows.ensure_account(db_session=db_session, user_id=user_id, email=pending.email)
    pending.user_id, pending.status = user_id, "completed"
    _welcome(db_session, pending.email, user_id, pending.plan)
    return team


def register_free(*, db_session: Session, email: str) -> uuid.UUID:
    user_id = invites.invite_or_find(db_session, email)
    team = teams_flows.ensure_account(db_session=db_session, user_id=user_id, email=email)
    _welcome(db_session, email, user_id, "free")
    return team


def _welcome(db_session: Session, email: str, user_id: uuid.UUID, plan: str) -> None:
    outbox.add_event(
        db_session,
        NotificationRequested(kind="signup_invite", email=email, dedupe_key=f"user:{user_id}", data={"plan": plan}),
    )


def expire_stale(*, db_session: Session) -> int:
    """Pending signups whose checkout can no longer complete (the expired event may never come)."""
    result = db_session.execute(
        update(PendingSignup)
        .where(PendingSignup.status == "pending", PendingSignup.expires_at < datetime.now(UTC))
        .values(status="expired")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
