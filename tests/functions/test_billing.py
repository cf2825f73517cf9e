"""Billing API and signup without passwords, against localstripe + the Checkout/Portal stand-in and
Supabase's invite seam; notifications through Pub/Sub's push envelope to a real SMTP server; and a
scan of everything sent to Stripe and logged for passwords, tokens and secrets."""

from __future__ import annotations

import logging
import re
import socket
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from shared.billing.models import PendingSignup, Subscription
from shared.config import reset_caches
from shared.credits.models import CreditWallet
from shared.db import session_scope
from shared.events.models import OutboxMessage
from shared.teams.models import Team, TeamMember, User
from tests.conftest import STRIPE_KEY, WEBHOOK_SECRET
from tests.fixtures.envelopes import pubsub_body
from tests.fixtures.stripe_events import deliver, event, pay, stripe_get
from tests.fixtures.tokens import HS256_SECRET, SUPABASE_SERVICE_KEY

pytestmark = [pytest.mark.emulator, pytest.mark.usefixtures("db", "stripe_standin")]


def team_of(api: Any, headers: dict[str, str]) -> uuid.UUID:
    return uuid.UUID(api.get("/v1/me", headers=headers).json["personal_team_id"])


def balance(team: uuid.UUID) -> int:
    with session_scope() as db:
        return int(db.scalar(select(CreditWallet.balance).where(CreditWallet.team_id == team)) or 0)


def notifications() -> list[dict[str, Any]]:
    import json

    with session_scope() as db:
        rows = db.scalars(select(OutboxMessage).where(OutboxMessage.body["topic"].astext == "notification.requested"))
        return [json.loads(r.body["data"]) for r in rows]


def subscribe(api: Any, standin: Any, headers: dict[str, str], package: str = "standard_monthly") -> dict[str, Any]:
    made = api.post("/v1/billing/checkout", json={"package": package}, headers=headers)
    assert made.status_code == 200, made.get_data(as_text=True)
    assert made.json["url"].startswith(standin.base)
    session = pay(standin, made.json["checkout_session"])
    assert deliver(event("checkout.session.completed", session)).status_code == 200
    invoice_id = stripe_get(standin, f"/v1/subscriptions/{session['subscription']}")["latest_invoice"]
    assert deliver(event("invoice.paid", stripe_get(standin, f"/v1/invoices/{invoice_id}"))).status_code == 200
    return session


def test_subscribe_change_plan_and_cancel_at_period_end(api, bearer, stripe_standin) -> None:  # type: ignore[no-untyped-def]
    headers = bearer()
    team = team_of(api, headers)
    session = subscribe(api, stripe_standin, headers)
    state = api.get("/v1/billing/subscription", headers=headers).json
    assert state["team_plan"] == "standard" and state["subscription"]["status"] == "active"
    assert balance(team) == 2000

    changed = api.post("/v1/billing/subscription/plan", json={"package": "premium_monthly"}, headers=headers)
    assert changed.status_code == 200, changed.get_data(as_text=True)
    assert changed.json["team_plan"] == "premium" and changed.json["subscription"]["plan"] == "premium"
    canceled = api.post("/v1/billing/subscription/cancel", json={"at_period_end": True}, headers=headers)
    assert canceled.json["subscription"]["cancel_at_period_end"] is True
    assert canceled.json["team_plan"] == "premium"  # paid until the period ends
    sub_id = stripe_get(stripe_standin, f"/v1/checkout/sessions/{session['id']}")["subscription"]
    live = stripe_get(stripe_standin, f"/v1/subscriptions/{sub_id}")
    assert deliver(event("customer.subscription.updated", live)).json["outcome"].endswith("owners notified")
    assert [n["kind"] for n in notifications() if n["dedupe_key"].startswith(f"cancel:{sub_id}")] == [
        "subscription_ending"
    ]

    portal = api.post("/v1/billing/portal", headers=headers)
    assert portal.status_code == 200 and portal.json["url"].startswith(stripe_standin.base + "/portal/")
    again = api.post("/v1/billing/checkout", json={"package": "premium_monthly"}, headers=headers)
    assert again.status_code == 409  # one subscription per team: change it instead


def test_stripe_out_of_reach_is_a_503_to_retry(api, bearer, stripe_standin, closed_url, settings_env) -> None:  # type: ignore[no-untyped-def]
    """The SDK's APIConnectionError, after its network retries, was unmapped: a 500 for a checkout or a signup."""
    settings_env(STRIPE__API_BASE=closed_url)
    checkout = api.post("/v1/billing/checkout", json={"package": "standard_monthly"}, headers=bearer())
    signup = api.post("/v1/signup/checkout", json={"email": "new@example.org", "plan": "standard_monthly"})
    for answer in (checkout, signup):
        assert answer.status_code == 503 and answer.headers["Retry-After"] == "10", answer.get_data(as_text=True)
        assert "Stripe could not" in answer.json["detail"] and "APIConnectionError" in answer.json["detail"]
    with session_scope() as db:
        assert db.scalar(select(func.count()).select_from(PendingSignup)) == 0


@pytest.mark.timeout(60)  # the SDK's own 80 s per attempt would not fit: this is a hang guard, not a benchmark
def test_a_stripe_that_never_answers_is_a_503_within_the_timeout(api, bearer, stripe_standin, settings_env) -> None:  # type: ignore[no-untyped-def]
    """A Stripe that accepts the connection and stays silent held the request 80 s per attempt (240 s with the
    retries), past the API function's 60 s: the platform cut it off. Now each attempt waits FA_STRIPE__TIMEOUT_S."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel completes the handshake; nothing ever answers
        settings_env(STRIPE__API_BASE=f"http://127.0.0.1:{silent.getsockname()[1]}", STRIPE__TIMEOUT_S="1")
        checkout = api.post("/v1/billing/checkout", json={"package": "standard_monthly"}, headers=bearer())
    assert checkout.status_code == 503 and checkout.headers["Retry-After"] == "10", checkout.get_data(as_text=True)
    assert "APIConnectionError" in checkout.json["detail"]


def test_billing_bodies_cannot_set_balance_role_or_plan_and_members_cannot_buy(api, bearer) -> None:  # type: ignore[no-untyped-def]
    owner = bearer()
    team = team_of(api, owner)
    member_email = f"{uuid.uuid4().hex[:8]}@example.org"
    member = bearer(email=member_email)
    api.get("/v1/me", headers=member)
    assert (
        api.post(f"/v1/teams/{team}/members", json={"email": member_email, "role": "member"}, headers=owner).status_code
        == 201
    )
    for body in (
        {"package": "topup_starter", "balance": 10_000},
        {"package": "topup_starter", "plan": "premium"},
        {"package": "free"},
    ):
        assert api.post("/v1/billing/checkout", json=body, headers=owner).status_code == 400
    as_member = {**member, "X-Team-Id": str(team)}
    assert api.post("/v1/billing/checkout", json={"package": "topup_starter"}, headers=as_member).status_code == 403


def test_payment_first_signup_without_a_password(api, jwks, stripe_standin) -> None:  # type: ignore[no-untyped-def]
    email = f"new-{uuid.uuid4().hex[:8]}@brand.example"
    refused = api.post("/v1/signup/checkout", json={"email": email, "plan": "premium_monthly", "password": "hunter2"})
    assert refused.status_code == 400  # a password field is refused outright, never read

    made = api.post("/v1/signup/checkout", json={"email": email, "plan": "premium_monthly"})
    assert made.status_code == 200, made.get_data(as_text=True)
    session = pay(stripe_standin, made.json["checkout_session"])
    invoice_id = stripe_get(stripe_standin, f"/v1/subscriptions/{session['subscription']}")["latest_invoice"]
    invoice = stripe_get(stripe_standin, f"/v1/invoices/{invoice_id}")
    # invoice.paid may come first: the account is made by whichever event arrives first, once.
    for kind, obj in [("invoice.paid", invoice), ("checkout.session.completed", session), ("invoice.paid", invoice)]:
        assert deliver(event(kind, obj)).status_code == 200

    invites = [i for i in jwks.invites if i["body"].get("email") == email]
    assert len(invites) == 1 and set(invites[0]["body"]) == {"email"}
    with session_scope() as db:
        user = db.scalar(select(User).where(User.email == email))
        assert user is not None
        team = db.scalar(select(Team).where(Team.created_by_user_id == user.id))
        assert team is not None and team.plan == "premium"
        assert db.scalar(select(TeamMember.role).where(TeamMember.team_id == team.id)) == "owner"
        assert db.scalar(select(Subscription.status).where(Subscription.team_id == team.id)) == "active"
        pending = db.scalar(select(PendingSignup).where(PendingSignup.email == email))
        assert pending is not None and pending.status == "completed" and pending.user_id == user.id
    assert balance(team.id) == 5000
    assert any(n["kind"] == "signup_invite" and n["email"] == email for n in notifications())


def test_an_expired_signup_checkout_cleans_up(api, stripe_standin) -> None:  # type: ignore[no-untyped-def]
    email = f"late-{uuid.uuid4().hex[:8]}@brand.example"
    made = api.post("/v1/signup/checkout", json={"email": email, "plan": "standard_monthly"}).json
    session = stripe_get(stripe_standin, f"/v1/checkout/sessions/{made['checkout_session']}")
    assert deliver(event("checkout.session.expired", {**session, "status": "expired"})).status_code == 200
    with session_scope() as db:
        assert db.scalar(select(PendingSignup.status).where(PendingSignup.email == email)) == "expired"
        assert db.scalar(select(User).where(User.email == email)) is None


def test_free_signup_invites_at_once(api, jwks) -> None:  # type: ignore[no-untyped-def]
    email = f"free-{uuid.uuid4().hex[:8]}@brand.example"
    response = api.post("/v1/signup/free", json={"email": email})
    assert response.status_code == 202
    again = api.post("/v1/signup/free", json={"email": email})
    assert again.status_code == 202  # already invited: the existing account is used, nothing duplicated
    with session_scope() as db:
        assert (
            len(
                db.scalars(select(Team).join(User, User.id == Team.created_by_user_id).where(User.email == email)).all()
            )
            == 1
        )


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    from aiosmtpd.controller import Controller

    received: list[Any] = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            received.append(envelope)
            return "250 OK"

    from infra.local.processes import free_port

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("FA_NOTIFY__SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("FA_NOTIFY__SMTP_PORT", str(port))
    monkeypatch.setenv("FA_NOTIFY__SMTP_STARTTLS", "false")
    reset_caches()
    yield received
    controller.stop()
    reset_caches()


def test_a_failed_payment_mails_the_owners(api, bearer, stripe_standin, smtp) -> None:  # type: ignore[no-untyped-def]
    from functions_framework import create_app

    email = f"owner-{uuid.uuid4().hex[:8]}@brand.example"
    headers = bearer(email=email)
    session = subscribe(api, stripe_standin, headers)
    failed = {"id": f"in_failed_{uuid.uuid4().hex[:8]}", "object": "invoice", "subscription": session["subscription"],
              "amount_due": 19900, "currency": "usd", "attempt_count": 1}  # fmt: skip
    body = event("invoice.payment_failed", failed)
    for _ in range(2):  # Stripe re-delivers the same event: applied once
        assert deliver(body).status_code == 200
    assert len([n for n in notifications() if n["kind"] == "payment_failed"]) == 1
    assert deliver(event("invoice.payment_failed", failed)).status_code == 200  # a second event, same attempt
    requested = [n for n in notifications() if n["kind"] == "payment_failed"]
    assert len(requested) == 2
    worker = create_app("notifications", "functions/notifications/main.py").test_client()
    for attempt, request in enumerate(requested * 2):  # and Pub/Sub re-delivers each: one mail in all
        assert worker.post("/", json=pubsub_body(request, f"notify-{attempt}")).status_code == 204
    assert [m.rcpt_tos for m in smtp] == [[email]]
    assert b"19900 usd" in smtp[0].content and b"password" not in smtp[0].content.lower()


def test_nothing_secret_reaches_stripe_or_the_logs(api, bearer, jwks, stripe_standin, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    start = len(stripe_standin.requests)
    headers = bearer()
    subscribe(api, stripe_standin, headers)
    api.post("/v1/billing/checkout", json={"package": "topup_professional"}, headers=headers)
    api.post("/v1/billing/subscription/plan", json={"package": "premium_annual"}, headers=headers)
    api.post("/v1/billing/portal", headers=headers)
    api.post("/v1/billing/subscription/cancel", json={"at_period_end": True}, headers=headers)
    email = f"scan-{uuid.uuid4().hex[:8]}@brand.example"
    made = api.post("/v1/signup/checkout", json={"email": email, "plan": "standard_annual"}).json
    deliver(event("checkout.session.completed", pay(stripe_standin, made["checkout_session"])))

    sent = stripe_standin.requests[start:]
    assert len(sent) >= 10
    posts = [r for r in sent if r["method"] == "POST"]
    assert posts and all(r["headers"].get("Idempotency-Key", "").startswith("fa-") for r in posts), [
        r["path"] for r in posts if not r["headers"].get("Idempotency-Key")
    ]
    bearer_token = headers["Authorization"].split()[1]
    forbidden = [WEBHOOK_SECRET, HS256_SECRET, SUPABASE_SERVICE_KEY, bearer_token]
    stripe_bodies = " ".join(r["raw"] + " " + r["path"] for r in sent)
    metadata = " ".join(str(r["form"].get("metadata", "")) + str(r["form"].get("subscription_data", "")) for r in sent)
    log_lines = "\n".join(record.getMessage() + " " + str(record.__dict__) for record in caplog.records)
    for place, text in (("stripe requests", stripe_bodies), ("stripe metadata", metadata), ("logs", log_lines)):
        assert "password" not in text.lower(), place
        assert not re.search(r"eyJ[\w-]{10,}\.[\w-]{10,}", text), f"a JWT in {place}"
        for secret in forbidden + ([STRIPE_KEY] if place != "stripe auth" else []):
            assert secret not in text, f"a secret in {place}"


def test_a_signup_whose_first_attempt_fails_after_the_invite_still_completes(
    api, jwks, stripe_standin, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from shared.teams import service as teams_service

    email = f"retry-{uuid.uuid4().hex[:8]}@brand.example"
    made = api.post("/v1/signup/checkout", json={"email": email, "plan": "standard_monthly"}).json
    body = event("checkout.session.completed", pay(stripe_standin, made["checkout_session"]))
    real, calls = teams_service.create, {"n": 0}

    def flaky(**kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("database went away mid-signup")
        return real(**kwargs)

    monkeypatch.setattr(teams_service, "create", flaky)
    # Rolled back after Supabase created the user; a lost database connection answers 503 (Stripe retries it).
    assert deliver(body).status_code == 503
    assert deliver(body).status_code == 200  # Stripe's retry: the remembered invite is used
    assert len([i for i in jwks.invites if i["body"].get("email") == email]) == 1
    with session_scope() as db:
        user = db.scalar(select(User).where(User.email == email))
        assert user is not None and user.id == uuid.UUID(jwks.users[email])
        assert db.scalar(select(Team.plan).where(Team.created_by_user_id == user.id)) == "standard"


def test_a_signup_for_an_email_supabase_already_holds_uses_that_account(api, jwks, stripe_standin) -> None:  # type: ignore[no-untyped-def]
    """Registered in Supabase some other way and never seen here: the paid signup completes on that account."""
    email = f"Known-{uuid.uuid4().hex[:8]}@Brand.example"
    jwks.users[email.lower()] = existing = str(uuid.uuid4())
    made = api.post("/v1/signup/checkout", json={"email": email, "plan": "standard_monthly"}).json
    paid = event("checkout.session.completed", pay(stripe_standin, made["checkout_session"]))
    assert deliver(paid).status_code == 200
    [lookup] = [x for x in jwks.lookups if x["query"]["filter"][0].lower() == email.lower()]
    assert lookup["headers"]["apikey"] == SUPABASE_SERVICE_KEY
    with session_scope() as db:
        user = db.scalar(select(User).where(func.lower(User.email) == email.lower()))
        assert user is not None and user.id == uuid.UUID(existing)
        assert db.scalar(select(Team.plan).where(Team.created_by_user_id == user.id)) == "standard"
