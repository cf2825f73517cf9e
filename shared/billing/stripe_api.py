"""The one Stripe module: the official SDK's StripeClient (v1 namespace), network retries, and an
idempotency key derived from our own ids on every create call. Nothing else in the code base talks
to Stripe, and nothing here ever sends a password or a token: only opaque ids, emails and prices.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from shared import errors
from shared.config import get_settings

if TYPE_CHECKING:
    import stripe


class BillingNotConfigured(errors.Unavailable):
    title = "Billing not configured"
    code = "billing_not_configured"


@lru_cache(maxsize=1)
def client() -> stripe.StripeClient:
    import stripe

    settings = get_settings().stripe
    if settings.secret_key is None:
        raise BillingNotConfigured("billing is not configured on this deployment (no Stripe key)")
    base = {"api": settings.api_base} if settings.api_base else None
    return stripe.StripeClient(
        settings.secret_key.get_secret_value(),
        base_addresses=base,  # type: ignore[arg-type]
        max_network_retries=settings.network_retries,
    )


def idempotency_key(*parts: object) -> str:
    """A stable key from our own ids: a retried create returns Stripe's first answer, never a duplicate."""
    raw = ":".join(str(p) for p in parts)
    return f"fa-{hashlib.sha256(raw.encode()).hexdigest()[:40]}"


def create_options(*parts: object) -> dict[str, Any]:
    return {"idempotency_key": idempotency_key(*parts)}


def _plain(obj: Any) -> dict[str, Any]:
    """SDK objects as plain dicts: the rest of the code reads Stripe data one way, webhook or API."""
    return dict(obj.to_dict())


def create_customer(*, email: str | None, team_id: str) -> dict[str, Any]:
    params: dict[str, Any] = {"metadata": {"team_id": team_id}}
    if email:
        params["email"] = email
    return _plain(client().v1.customers.create(params, create_options("customer", team_id)))  # type: ignore[arg-type]


def create_checkout_session(params: dict[str, Any], *key_parts: object) -> dict[str, Any]:
    options = create_options("checkout", *key_parts)
    return _plain(client().v1.checkout.sessions.create(params, options))  # type: ignore[arg-type]


def create_portal_session(*, customer: str, return_url: str, team_id: str, nonce: str) -> dict[str, Any]:
    params = {"customer": customer, "return_url": return_url}
    options = create_options("portal", team_id, nonce)
    return _plain(client().v1.billing_portal.sessions.create(params, options))  # type: ignore[arg-type]


def retrieve_subscription(subscription_id: str) -> dict[str, Any] | None:
    """The subscription as Stripe holds it now (None once Stripe no longer knows it)."""
    import stripe

    try:
        return _plain(client().v1.subscriptions.retrieve(subscription_id))
    except stripe.InvalidRequestError as exc:
        if exc.http_status == 404:
            return None
        raise


def change_subscription_price(*, subscription: dict[str, Any], price_id: str, request_id: str) -> dict[str, Any]:
    """Swap the subscription's item to `price_id`; Stripe prorates by default (create_prorations)."""
    item = subscription["items"]["data"][0]
    params = {"items": [{"id": item["id"], "plan": price_id}]}
    options = create_options("change", subscription["id"], price_id, request_id)
    return _plain(client().v1.subscriptions.update(subscription["id"], params, options))  # type: ignore[arg-type]


def cancel_at_period_end(*, subscription_id: str, cancel: bool) -> dict[str, Any]:
    options = create_options("cancel", subscription_id, cancel)
    params = {"cancel_at_period_end": cancel}
    return _plain(client().v1.subscriptions.update(subscription_id, params, options))  # type: ignore[arg-type]


def price_of_subscription(subscription: Any) -> str | None:
    """The price (or legacy plan) id a subscription sells, whatever API shape the object has."""
    items = (subscription.get("items") or {}).get("data") or []
    if not items:
        return None
    item = items[0]
    price = item.get("price") or item.get("plan") or {}
    return str(price.get("id")) if price.get("id") else None
