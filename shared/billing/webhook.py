"""The Stripe webhook: verify the raw body's signature, dedupe on event.id in the effect's transaction,
dispatch by type. Unknown types are acknowledged (and recorded) so Stripe stops retrying them.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert

from shared.billing import handlers, stripe_api
from shared.billing.models import StripeEvent
from shared.db import session_scope

log = logging.getLogger("stripe_webhook")


def receive(payload: bytes, signature: str | None) -> dict[str, Any]:
    """Verify the raw body's signature, then apply the event at most once."""
    return process(stripe_api.verify_event(payload, signature))


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
