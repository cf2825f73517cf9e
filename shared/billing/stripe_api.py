"""The one Stripe module: the official SDK's StripeClient (v1 namespace), network retries, an
idempotency key derived from our own ids on every create call, webhook signature verification, and
reading Stripe's payloads (whose shapes move between API versions). Nothing else in the code base
imports the SDK, and nothing here ever sends a password or a token: only opaque ids, emails and prices.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from shared import errors
from shared.config import get_settings, per_instance

if TYPE_CHECKING:
    import stripe


class BillingNotConfigured(errors.Unavailable):
    title = "Billing not configured"
    code = "billing_not_configured"


class BadSignature(errors.Unauthorized):
    title = "Invalid Stripe signature"
    code = "invalid_signature"


@per_instance()
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
        http_client=stripe.new_default_http_client(timeout=settings.timeout_s),
    )


def idempotency_key(*parts: object) -> str:
    """A stable key from our own ids: a retried create returns Stripe's first answer, never a duplicate."""
    raw = ":".join(str(p) for p in parts)
    return f"fa-{hashlib.sha256(raw.encode()).hexdigest()[:40]}"


def create_options(*parts: object) -> dict[str, Any]:
    return {"idempotency_key": idempotency_key(*parts)}


def _send(what: str, method: Callable[..., Any], *args: Any) -> dict[str, Any]:
    """One SDK call's answer as a plain dict (the rest of the code reads Stripe data one way, webhook or API).
    Stripe out of reach, rate limiting or failing on its side, after the SDK's network retries, is Unavailable
    (503, retry), never an unmapped 500; any other Stripe error is ours and raises as it is."""
    import stripe

    try:
        return dict(method(*args).to_dict())
    except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as exc:
        raise errors.Unavailable(f"Stripe could not {what} ({type(exc).__name__})", retry_after_s=10) from exc


def create_customer(*, email: str | None, team_id: str) -> dict[str, Any]:
    params: dict[str, Any] = {"metadata": {"team_id": team_id}}
    if email:
        params["email"] = email
    options = create_options("customer", team_id)
    return _send("create the customer", client().v1.customers.create, params, options)


def create_checkout_session(params: dict[str, Any], *key_parts: object) -> dict[str, Any]:
    options = create_options("checkout", *key_parts)
    return _send("open a checkout", client().v1.checkout.sessions.create, params, options)


def create_portal_session(*, customer: str, return_url: str, team_id: str, nonce: str) -> dict[str, Any]:
    params = {"customer": customer, "return_url": return_url}
    options = create_options("portal", team_id, nonce)
    return _send("open the portal", client().v1.billing_portal.sessions.create, params, options)


def retrieve_subscription(subscription_id: str) -> dict[str, Any] | None:
    """The subscription as Stripe holds it now (None once Stripe no longer knows it)."""
    import stripe

    try:
        return _send("read the subscription", client().v1.subscriptions.retrieve, subscription_id)
    except stripe.InvalidRequestError as exc:
        if exc.http_status == 404:
            return None
        raise


def change_subscription_price(*, subscription: dict[str, Any], price_id: str, request_id: str) -> dict[str, Any]:
    """Swap the subscription's item to `price_id`; Stripe prorates by default (create_prorations)."""
    item = subscription["items"]["data"][0]
    params = {"items": [{"id": item["id"], "plan": price_id}]}
    options = create_options("change", subscription["id"], price_id, request_id)
    return _send("change the plan", client().v1.subscriptions.update, subscription["id"], params, options)


def cancel_at_period_end(*, subscription_id: str, cancel: bool) -> dict[str, Any]:
    options = create_options("cancel", subscription_id, cancel)
    params = {"cancel_at_period_end": cancel}
    return _send("update the subscription", client().v1.subscriptions.update, subscription_id, params, options)


def verify_event(payload: bytes, signature: str | None) -> dict[str, Any]:
    """The event, if and only if `signature` signs exactly these bytes within the tolerance."""
    import stripe

    settings = get_settings().stripe
    if settings.webhook_secret is None:
        raise BillingNotConfigured("no webhook secret configured")
    if not signature:
        raise BadSignature("missing Stripe-Signature header")
    try:
        body = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadSignature("body is not UTF-8") from exc
    try:
        # Accepts several v1 entries (Stripe signs with old and new secret while one is rolled).
        stripe.WebhookSignature.verify_header(
            body, signature, settings.webhook_secret.get_secret_value(), tolerance=settings.webhook_tolerance_s
        )
    except stripe.SignatureVerificationError as exc:
        raise BadSignature(f"signature check failed: {exc.user_message or 'no valid v1 signature'}") from exc
    try:
        event = json.loads(body)
    except ValueError as exc:
        raise errors.InvalidInput("signed body is not JSON") from exc
    if not isinstance(event, dict) or not {"id", "type", "data"} <= event.keys():
        raise errors.InvalidInput("signed body is not a Stripe event")
    return event


def timestamp(value: Any) -> datetime | None:
    """A Stripe unix timestamp as an aware datetime (None for a missing one)."""
    return datetime.fromtimestamp(int(value), UTC) if value else None


def invoice_subscription(invoice: Any) -> str | None:
    """The subscription an invoice bills (the field moved under `parent` in newer API versions)."""
    direct = invoice.get("subscription")
    if direct:
        return str(direct)
    details = ((invoice.get("parent") or {}).get("subscription_details") or {}).get("subscription")
    return str(details) if details else None


def invoice_price(invoice: Any) -> str | None:
    """The first price (or legacy plan) id on an invoice's lines."""
    lines = ((invoice.get("lines") or {}).get("data")) or []
    for line in lines:
        price = line.get("price") or line.get("plan") or {}
        if price.get("id"):
            return str(price["id"])
    return None


def price_of_subscription(subscription: Any) -> str | None:
    """The price (or legacy plan) id a subscription sells, whatever API shape the object has."""
    items = (subscription.get("items") or {}).get("data") or []
    if not items:
        return None
    item = items[0]
    price = item.get("price") or item.get("plan") or {}
    return str(price.get("id")) if price.get("id") else None
