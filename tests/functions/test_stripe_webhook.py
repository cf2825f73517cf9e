"""The one Stripe webhook: signature matrix, concurrent duplicates, any order of subscription events,
top-ups granted exactly once. Real Postgres, the real SDK against localstripe + the Checkout stand-in."""

from __future__ import annotations

import itertools
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select

from shared.billing.models import StripeEvent, Subscription
from shared.credits.models import CreditTopUpOrder, CreditTransaction, CreditWallet
from shared.db import session_scope
from shared.teams.models import Team
from tests.fixtures.instances import instances
from tests.fixtures.stripe_events import deliver, event, pay, signature, stripe_get, webhook_client

pytestmark = [pytest.mark.emulator, pytest.mark.usefixtures("db", "stripe_standin")]


def grants(team_id: str, prefix: str) -> list[CreditTransaction]:
    with session_scope() as db:
        wallet = db.scalar(select(CreditWallet.id).where(CreditWallet.team_id == uuid.UUID(team_id)))
        return list(
            db.scalars(
                select(CreditTransaction).where(
                    CreditTransaction.wallet_id == wallet, CreditTransaction.idempotency_key.like(f"{prefix}%")
                )
            )
        )


def team_of(api: Any, headers: dict[str, str]) -> str:
    return str(api.get("/v1/me", headers=headers).json["personal_team_id"])


def test_signature_matrix_accepts_exactly_the_valid_deliveries() -> None:
    body = event("customer.created", {"id": "cus_matrix", "object": "customer"})
    now = int(time.time())
    wrong = signature(body, secret="whsec_someone_else")
    cases = {
        "valid": (body, signature(body), True),
        "wrong secret": (body, wrong, False),
        "one byte changed": (body.replace(b"cus_matrix", b"cus_matrik"), signature(body), False),
        "missing header": (body, False, False),
        "re-serialized JSON": (json.dumps(json.loads(body), indent=2).encode(), signature(body), False),
        "timestamp older than 300 s": (body, signature(body, at=now - 301), False),
        "two v1 entries (rotation)": (body, signature(body, extra=(wrong.split(",")[1],)), True),
        "garbage header": (body, "t=abc,v1=zzz", False),
    }
    client = webhook_client()
    accepted_invalid, rejected_valid = [], []
    for name, (payload, header, valid) in cases.items():
        response = deliver(payload, header, client)  # type: ignore[arg-type]
        ok = response.status_code == 200
        if ok and not valid:
            accepted_invalid.append(name)
        if valid and not ok:
            rejected_valid.append((name, response.get_data(as_text=True)))
        if not valid:
            assert response.status_code == 401 and response.mimetype == "application/problem+json", name
    assert accepted_invalid == [] and rejected_valid == []


def test_unknown_events_are_acknowledged_and_recorded() -> None:
    response = deliver(event("radar.early_fraud_warning.created", {"id": "issfr_1"}))
    assert response.status_code == 200 and response.json["outcome"].startswith("ignored")


def _topup(api: Any, standin: Any, headers: dict[str, str]) -> dict[str, Any]:
    made = api.post("/v1/billing/checkout", json={"package": "topup_starter"}, headers=headers)
    assert made.status_code == 200, made.get_data(as_text=True)
    return pay(standin, made.json["checkout_session"])


def test_50_concurrent_deliveries_of_one_event_make_one_effect(api, bearer, stripe_standin) -> None:  # type: ignore[no-untyped-def]
    headers = bearer()
    team = team_of(api, headers)
    session = _topup(api, stripe_standin, headers)
    body = event("checkout.session.completed", session)

    def one(client: Any) -> int:
        return int(deliver(body, client=client).status_code)

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(one, instances("stripe_webhook", 50)))
    assert statuses == [200] * 50
    [grant] = grants(team, "topup:")
    assert grant.amount == 500
    with session_scope() as db:
        assert db.scalar(select(func.count()).select_from(StripeEvent)) == 1
        order = db.scalar(select(CreditTopUpOrder))
        assert order is not None and order.status == "paid"


def test_a_topup_with_its_invoice_events_grants_exactly_once(api, bearer, stripe_standin) -> None:  # type: ignore[no-untyped-def]
    headers = bearer()
    team = team_of(api, headers)
    session = _topup(api, stripe_standin, headers)
    invoice = {"id": "in_topup_1", "object": "invoice", "status": "paid", "subscription": None,
               "customer": session["customer"], "lines": {"data": []}}  # fmt: skip
    for kind, obj in [
        ("invoice.paid", invoice),
        ("checkout.session.completed", session),
        ("invoice.payment_succeeded", invoice),
        ("checkout.session.async_payment_succeeded", session),
        ("invoice.paid", {**invoice, "id": "in_topup_1"}),
    ]:
        assert deliver(event(kind, obj)).status_code == 200
    assert [g.amount for g in grants(team, "")] == [500]


def test_an_unpaid_async_checkout_waits_for_async_payment_succeeded(api, bearer, stripe_standin) -> None:  # type: ignore[no-untyped-def]
    headers = bearer()
    team = team_of(api, headers)
    session = _topup(api, stripe_standin, headers)
    pending = {**session, "payment_status": "unpaid"}
    assert "waiting" in deliver(event("checkout.session.completed", pending)).json["outcome"]
    assert grants(team, "topup:") == []
    assert deliver(event("checkout.session.async_payment_succeeded", session)).status_code == 200
    assert [g.amount for g in grants(team, "topup:")] == [500]


def _subscribed_then_canceled(api: Any, standin: Any, headers: dict[str, str]) -> tuple[str, dict[str, Any]]:
    made = api.post("/v1/billing/checkout", json={"package": "standard_monthly"}, headers=headers)
    assert made.status_code == 200, made.get_data(as_text=True)
    session = pay(standin, made.json["checkout_session"])
    subscription = stripe_get(standin, f"/v1/subscriptions/{session['subscription']}")
    invoice = stripe_get(standin, f"/v1/invoices/{subscription['latest_invoice']}")
    from shared.billing import stripe_api

    stripe_api.client().v1.subscriptions.cancel(subscription["id"])  # Stripe's final state: canceled
    return session["subscription"], {
        "customer.subscription.created": subscription,
        "customer.subscription.updated": {**subscription, "cancel_at_period_end": True},
        "invoice.paid": invoice,
        "customer.subscription.deleted": {**subscription, "status": "canceled"},
    }


def test_all_24_orders_of_subscription_events_reach_the_same_final_state(api, bearer, stripe_standin) -> None:  # type: ignore[no-untyped-def]
    outcomes = set()
    for order in itertools.permutations(
        [
            "customer.subscription.created",
            "customer.subscription.updated",
            "invoice.paid",
            "customer.subscription.deleted",
        ]
    ):
        headers = bearer()
        team = team_of(api, headers)
        subscription_id, events = _subscribed_then_canceled(api, stripe_standin, headers)
        for kind in order:
            assert deliver(event(kind, events[kind])).status_code == 200, (order, kind)
        with session_scope() as db:
            row = db.scalar(select(Subscription).where(Subscription.stripe_subscription_id == subscription_id))
            plan = db.scalar(select(Team.plan).where(Team.id == uuid.UUID(team)))
        credited = [g.amount for g in grants(team, "invoice:")]
        outcomes.add((row.status if row else None, plan, tuple(credited)))
    assert outcomes == {("canceled", "free", (2000,))}  # every order: canceled, back on free, paid once
