"""`stripe_webhook`: the only Stripe endpoint. Raw body -> signature check -> once per event id -> effect.

2xx means applied, a duplicate or an event we do not act on; 401 a bad signature (Stripe shows it in
the dashboard); 5xx means retry (Stripe retries for three days).
"""

from __future__ import annotations

import functions_framework
from flask import Request
from pydantic import BaseModel
from werkzeug.wrappers import Response

from shared.billing import webhook
from shared.http.router import RequestContext, Router

router = Router("Following Analytics Stripe webhook", description="Stripe events, verified and applied once.")


class WebhookOut(BaseModel):
    event: str
    duplicate: bool
    outcome: str | None = None


@router.post("/", response=WebhookOut, tags=("billing",))
def receive(ctx: RequestContext) -> WebhookOut:
    """Verify `Stripe-Signature` over the raw body, then apply the event at most once."""
    return WebhookOut.model_validate(webhook.receive(ctx.request.get_data(cache=True), ctx.header("Stripe-Signature")))


@functions_framework.http
def stripe_webhook(request: Request) -> Response:
    return router(request)
