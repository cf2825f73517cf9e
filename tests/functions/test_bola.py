"""BOLA sweep: a member of team A calls every team-scoped route with team B's ids -> 0 leaks, 0 writes.

Routes come from the router itself, so a route added later is swept without editing this test."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import text

from functions.api.main import router
from shared.db import session_scope

# Routes that are not about a team's data; every other route is swept.
NOT_TEAM_SCOPED = {
    ("GET", "/healthz"),
    ("GET", "/openapi.json"),
    ("GET", "/v1/me"),
    ("GET", "/v1/credits/pricing"),
    ("GET", "/v1/billing/packages"),  # public: what is on sale
    ("POST", "/v1/teams"),
    ("POST", "/v1/signup/checkout"),  # public: a new customer's signup, no team yet
    ("POST", "/v1/signup/free"),
}


def snapshot() -> dict[str, str]:
    with session_scope() as db:
        tables = db.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars().all()
        return {
            t: db.execute(
                text(
                    f"SELECT md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) "  # noqa: S608
                    f"FROM {t} x"
                )
            ).scalar_one()
            for t in tables
        }


def test_team_a_cannot_reach_team_b(api, bearer) -> None:  # type: ignore[no-untyped-def]
    a_user, b_owner, b_member = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    a_email, b_email, b_member_email = "alice@a.example", "bob@b.example", "bea@b.example"
    a = bearer(a_user, a_email)
    api.get("/v1/me", headers=a)
    api.get("/v1/me", headers=bearer(b_member, b_member_email))
    b_team = api.post("/v1/teams", json={"name": "Team B"}, headers=bearer(b_owner, b_email)).json["id"]
    api.post(f"/v1/teams/{b_team}/members", json={"email": b_member_email}, headers=bearer(b_owner, b_email))
    with session_scope() as db:
        db.execute(
            text(
                "INSERT INTO creators (username, is_verified, is_private, is_business, source) "
                "VALUES ('brandx', false, false, false, 'apify')"
            )
        )
        db.execute(text("UPDATE credit_wallets SET balance = 500 WHERE team_id = :t"), {"t": b_team})
        db.execute(
            text(
                "INSERT INTO credit_transactions (wallet_id, kind, amount, balance_before, balance_after, "
                "idempotency_key) SELECT id, 'grant', 500, 0, 500, 'seed-b' FROM credit_wallets WHERE team_id = :t"
            ),
            {"t": b_team},
        )
    with session_scope() as db:  # team B is researching a creator: A must not learn of it
        b_job = db.execute(
            text(
                "INSERT INTO jobs (username, status, stages, refresh) "
                "VALUES ('secret_target', 'running', '{}', false) RETURNING id"
            )
        ).scalar_one()
        db.execute(text("INSERT INTO job_watchers (job_id, team_id) VALUES (:j, :t)"), {"j": b_job, "t": b_team})
        watched = db.execute(
            text(
                "INSERT INTO creators (username, is_verified, is_private, is_business, source) "
                "VALUES ('b_watched_secret', false, false, false, 'apify') RETURNING id"
            )
        ).scalar_one()
        db.execute(text("INSERT INTO watchlist (team_id, creator_id) VALUES (:t, :c)"), {"t": b_team, "c": watched})
    bodies = {
        "TeamCreate": {"name": "hijack"},
        "MemberAdd": {"email": a_email, "role": "admin"},
        "MemberRoleChange": {"role": "owner"},
        "GrantIn": {"team_id": b_team, "amount": 10, "reason": "steal", "idempotency_key": "bola-0001"},
        "CheckoutIn": {"package": "topup_starter"},
        "PlanChangeIn": {"package": "premium_monthly"},
        "CancelIn": {"at_period_end": True},
        "WatchIn": {"username": "brandx"},
        "AnalyzeIn": {"url": "https://www.instagram.com/p/Bsecret123/", "campaign": "hijack"},
        "RetryIn": {"reason": "hijack"},
        "FreezeIn": {"frozen": True, "reason": "hijack"},
        "DeadLetterAction": {"action": "discard", "reason": "hijack"},
    }
    with session_scope() as db:  # team B analyses a post for a campaign A must not see
        db.execute(
            text(
                "INSERT INTO team_posts (team_id, shortcode, url, kind, campaign) "
                "VALUES (:t, 'Bsecret123', 'https://www.instagram.com/p/Bsecret123/', 'post', 'b-secret-campaign')"
            ),
            {"t": b_team},
        )
    before = snapshot()
    swept = []
    for route in router.routes:
        if (route.method, route.template) in NOT_TEAM_SCOPED:
            continue
        path = route.template.format(
            team_id=b_team, user_id=b_member, username="brandx", job_id=b_job, shortcode="Bsecret123", message_id="1"
        )
        body = bodies[route.body.__name__] if route.body else None
        response = api.open(path, method=route.method, json=body, headers={**a, "X-Team-Id": b_team})
        swept.append((route.method, route.template, response.status_code))
        payload = response.get_json(silent=True) or {}
        payload.pop("instance", None)  # RFC 9457 echoes the caller's own request path
        text_body = json.dumps(payload)
        assert response.status_code in (403, 404), (route.template, response.status_code, text_body)
        for secret in (
            b_team,
            b_email,
            b_member_email,
            str(b_member),
            '"balance"',
            "secret_target",
            "b_watched_secret",
            "b-secret-campaign",
        ):
            assert secret not in text_body, (route.template, secret)
    for own_team_path in (f"/v1/jobs/{b_job}", f"/v1/jobs/{b_job}/events", "/v1/posts/Bsecret123", "/v1/posts"):
        response = api.get(own_team_path, headers=a)
        body = response.get_data(as_text=True)  # A's own team, B's ids
        assert response.status_code in (200, 404) and "secret_target" not in body and "b-secret-campaign" not in body
    assert snapshot() == before
    assert len(swept) >= 9, swept
    print(json.dumps(swept))
