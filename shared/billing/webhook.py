"""The Stripe webhook: verify the raw body's signature, dedupe on event.id in the effect's transaction,
dispatch by type. Unknown types are acknowledged (and recorded) so Stripe stops retrying them.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert

from shared import errors
from shared.billing import handlers
from shared.billing.models import StripeEvent
from shared.billing.stripe_api import BillingNotConfigured
from shared.config import get_settings
from shared.db import session_scope

log = logging.getLogger("stripe_webhook")


class BadSignature(errors.Unauthorized):
    title = "Invalid Stripe signature"
    code = "invalid_signature"


def verify(payload: bytes, signature: str | None) -> dict[str, Any]:
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


def process(event: dict[str, Any]) -> dict[str, Any]:
    """Apply one verified event at most once; a concurrent duplicate waits on the row, then skips."""
    with session_scope() as db_session:
        claimed = db_session.execute(
            insert(StripeEvent)
            .values(
                id=event["id"],
                event_type=event["type"],
                stripe_created_at=datetime.fromtimestamp(int(event.get("created") or 0), UTC),
                livemode=bool(event.get("livemode")),
                payload={"type": event["type"], "object_id": (event["data"].get("object") or {}).get("id")},
            )
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(StripeEvent.id)
        ).first()
        if claimed is None:
            return {"event": event["id"], "duplicate": True}
        handler = handlers.HANDLERS.get(event["type"])
        outcome = handler(db_session, event["data"]["object"]) if handler else "ignored: not an event we act on"
        db_session.execute(update(StripeEvent).where(StripeEvent.id == event["id"]).values(outcome=outcome))
    log.info("stripe event applied", extra={"event": event["id"], "type": event["type"], "outcome": outcome})
    return {"event": event["id"], "duplicate": False, "outcome": outcome}
