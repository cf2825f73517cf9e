"""The operators' console: admins only (swept), known figures from a seeded history, jobs and their retry,
accounts and wallet freezes with an audit row each, and the stats' query plan at 100,000 jobs."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, time, timedelta
from time import sleep
from typing import Any

import pytest
from sqlalchemy import text

from functions.api.main import router
from shared.admin import stats as admin_stats
from shared.db import get_engine, session_scope

pytestmark = pytest.mark.usefixtures("db")
NOW = datetime.now(UTC)


@pytest.fixture
def admin(api, bearer) -> dict[str, str]:  # type: ignore[no-untyped-def]
    user = uuid.uuid4()
    headers = bearer(user, "ops@following.example")
    api.get("/v1/me", headers=headers)
    with session_scope() as db:
        db.execute(text("UPDATE users SET is_admin = true WHERE id = :u"), {"u": user})
    return headers  # type: ignore[no-any-return]


def test_every_admin_route_refuses_everyone_else(api, bearer) -> None:  # type: ignore[no-untyped-def]
    brand = bearer()
    admin_routes = [r for r in router.routes if r.template.startswith("/v1/admin/")]
    assert len(admin_routes) >= 7
    for route in admin_routes:
        path = route.template.format(job_id=uuid.uuid4(), team_id=uuid.uuid4(), message_id="12345")
        bodies = {
            "RetryIn": {"reason": "probe"},
            "FreezeIn": {"frozen": True, "reason": "probe"},
            "DeadLetterAction": {"action": "discard", "reason": "probe"},
            "GrantIn": {"team_id": str(uuid.uuid4()), "amount": 1, "reason": "probe", "idempotency_key": "probe-0001"},
        }
        body = bodies[route.body.__name__] if route.body else None
        response = api.open(path, method=route.method, json=body, headers=brand)
        assert response.status_code == 403, (route.template, response.status_code, response.json)
        assert "statuses" not in json.dumps(response.json)


def stage(status: str, seconds: float | None = None, error: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"status": status, "done": 1, "total": 1, "error": error}
    if seconds is not None:
        out.update(started_at=NOW.isoformat(), ended_at=(NOW + timedelta(seconds=seconds)).isoformat())
    return out


def add_job(
    status: str,
    age: timedelta,
    *,
    origin: str = "search",
    reason: str | None = None,
    stages: dict[str, Any] | None = None,
    took_s: float | None = None,
    team: str | None = None,
) -> str:
    created = NOW - age
    with session_scope() as db:
        return str(
            db.execute(
                text(
                    "INSERT INTO jobs (username, status, stages, refresh, origin, reason, created_at, updated_at, "
                    "finished_at, requested_by_team_id) VALUES (:u, :s, CAST(:st AS jsonb), false, :o, :r, :c, :c, "
                    ":f, :t) RETURNING id"
                ),
                {
                    "u": f"c{uuid.uuid4().hex[:8]}",
                    "s": status,
                    "st": json.dumps(stages or {}),
                    "o": origin,
                    "r": reason,
                    "c": created,
                    "f": created + timedelta(seconds=took_s) if took_s else None,
                    "t": team,
                },
            ).scalar_one()
        )


def test_stats_give_the_known_figures_of_a_seeded_history(api, admin, bearer) -> None:  # type: ignore[no-untyped-def]
    brand = bearer()
    team = api.get("/v1/me", headers=brand).json["personal_team_id"]
    hour = timedelta(hours=1)
    add_job("complete", hour, stages={"scrape": stage("done", 2), "cdn": stage("done", 4)}, took_s=10, team=team)
    add_job("complete", hour, stages={"scrape": stage("done", 4), "cdn": stage("done", 8)}, took_s=20)
    add_job("failed", hour, reason="no Instagram account is called @x", stages={"scrape": stage("failed", 1)})
    add_job("failed", hour, reason="no Instagram account is called @x", stages={"scrape": stage("failed", 3)})
    add_job("partial", hour, origin="discovery", reason="cdn: 2 images failed",
            stages={"scrape": stage("done", 1), "cdn": stage("failed", 5)}, took_s=30)  # fmt: skip
    add_job("running", timedelta(minutes=5), origin="refresh")
    add_job("failed", timedelta(days=3), reason="too old for the 24h window")
    with session_scope() as db:
        wallet = db.execute(text("SELECT id FROM credit_wallets WHERE team_id = :t"), {"t": team}).scalar_one()
        balance = 0
        for kind, amount, key in (("grant", 500, "g1"), ("debit", -25, "d1"), ("debit", -5, "d2"), ("refund", 5, "r1")):
            db.execute(
                text(
                    "INSERT INTO credit_transactions (wallet_id, kind, amount, balance_before, balance_after, "
                    "idempotency_key) VALUES (:w, :k, :a, :b, :after, :i)"
                ),
                {"w": wallet, "k": kind, "a": amount, "b": balance, "after": balance + amount, "i": key},
            )
            balance += amount
        db.execute(
            text(
                "INSERT INTO credit_transactions (wallet_id, kind, amount, balance_before, balance_after, "
                "idempotency_key, action, reference_type, reference_id) "
                "VALUES (:w, 'grant', 10, :b, :after, 'invoice:in_1', 'standard_monthly', 'invoice', 'in_1')"
            ),
            {"w": wallet, "b": balance, "after": balance + 10},
        )
        db.execute(
            text(
                "INSERT INTO credit_top_up_orders (team_id, wallet_id, package_id, credits, amount_cents, currency, "
                "status, completed_at) SELECT :t, :w, id, credits, 1234, 'usd', 'paid', now() FROM credit_packages "
                "WHERE code = 'topup_starter'"
            ),
            {"t": team, "w": wallet},
        )
        db.execute(
            text(
                "INSERT INTO subscriptions (team_id, plan, billing_interval, status, cancel_at_period_end) "
                "VALUES (:t, 'standard', 'month', 'active', false), (:t, 'premium', 'year', 'active', false), "
                "(:t, 'standard', 'month', 'canceled', false)"
            ),
            {"t": team},
        )
    body = api.get("/v1/admin/stats?window=24h", headers=admin).json
    counts = {name: {c["key"]: c["count"] for c in body[name]} for name in ("jobs_by_status", "jobs_by_origin")}
    assert counts["jobs_by_status"] == {"complete": 2, "failed": 2, "partial": 1, "running": 1}
    assert counts["jobs_by_origin"] == {"search": 4, "discovery": 1, "refresh": 1}
    assert {c["key"]: c["count"] for c in body["failing_stages"]} == {"scrape": 2, "cdn": 1}
    assert body["top_failure_reasons"][0] == {"key": "no Instagram account is called @x", "count": 2}
    durations = {d["stage"]: d for d in body["durations"]}
    assert durations["scrape"]["jobs"] == 5 and durations["scrape"]["p50_s"] == 2.0
    assert durations["cdn"]["p50_s"] == 5.0 and durations["job"]["p50_s"] == 20.0
    assert body["credits"] == {"granted": 510, "spent": 30, "refunded": 5}
    assert body["active_teams"] == 1
    assert body["revenue"]["active_subscriptions"] == {"standard": 1, "premium": 1}
    with session_scope() as db:
        prices = dict(db.execute(text("SELECT code, price_cents FROM credit_packages")).all())
    expected = prices["standard_monthly"] + round(prices.get("premium_annual", 0) / 12)
    assert abs(body["revenue"]["mrr_cents"] - expected) <= 1
    assert body["revenue"]["revenue_cents"] == 1234 + prices["standard_monthly"]
    week = api.get("/v1/admin/stats?window=7d", headers=admin).json
    assert sum(c["count"] for c in week["jobs_by_status"]) == 7
    assert api.get("/v1/admin/stats?window=2d", headers=admin).status_code == 400


def test_jobs_list_detail_and_a_retry_that_charges_no_one_twice(api, admin, bearer) -> None:  # type: ignore[no-untyped-def]
    brand = bearer()
    team = api.get("/v1/me", headers=brand).json["personal_team_id"]
    failed = add_job("failed", timedelta(minutes=3), reason="the data provider answered 503",
                     stages={"scrape": stage("failed", 1, "503")}, team=team)  # fmt: skip
    ok = add_job("complete", timedelta(minutes=2), stages={"scrape": stage("done", 1)})
    with session_scope() as db:
        db.execute(text("INSERT INTO job_watchers (job_id, team_id) VALUES (:j, :t)"), {"j": failed, "t": team})
    listed = api.get("/v1/admin/jobs?status=failed&stage=scrape", headers=admin).json["items"]
    assert [j["id"] for j in listed] == [failed]
    detail = api.get(f"/v1/admin/jobs/{failed}", headers=admin).json
    assert detail["stages"]["scrape"]["started_at"] and detail["stages"]["scrape"]["error"] == "503"
    with session_scope() as db:
        ledger_before = db.execute(text("SELECT count(*) FROM credit_transactions")).scalar_one()
    first = api.post(f"/v1/admin/jobs/{failed}/retry", json={"reason": "Apify was down"}, headers=admin).json
    again = api.post(f"/v1/admin/jobs/{failed}/retry", json={"reason": "double click"}, headers=admin).json
    assert first["already_retried"] is False and again["already_retried"] is True
    assert first["job"]["id"] == again["job"]["id"] != failed
    with session_scope() as db:
        assert db.execute(text("SELECT count(*) FROM credit_transactions")).scalar_one() == ledger_before
        watchers = db.execute(text("SELECT team_id FROM job_watchers WHERE job_id = :j"), {"j": first["job"]["id"]})
        assert [str(t) for t in watchers.scalars()] == [team]
        origin = db.execute(text("SELECT origin FROM jobs WHERE id = :j"), {"j": first["job"]["id"]}).scalar_one()
        audit = db.execute(text("SELECT action, reason FROM admin_actions")).all()
    assert origin == "refresh" and [tuple(a) for a in audit] == [("job_retry", "Apify was down")]
    assert api.get(f"/v1/jobs/{first['job']['id']}", headers=brand).status_code == 200  # the team follows it
    refused = api.post(f"/v1/admin/jobs/{ok}/retry", json={"reason": "why not"}, headers=admin)
    assert refused.status_code == 409


def test_accounts_and_a_frozen_wallet_that_cannot_pay(api, admin, bearer) -> None:  # type: ignore[no-untyped-def]
    brand = bearer(email="brand@shop.example")
    team = api.get("/v1/me", headers=brand).json["personal_team_id"]
    found = api.get("/v1/admin/accounts?email=brand@shop.example", headers=admin).json["items"]
    assert [a["team_id"] for a in found] == [team] and found[0]["members"][0]["email"] == "brand@shop.example"
    frozen = api.post(f"/v1/admin/teams/{team}/wallet/freeze", json={"frozen": True, "reason": "chargeback"},
                      headers=admin).json  # fmt: skip
    assert frozen["frozen"] is True
    with session_scope() as db:
        db.execute(text("UPDATE credit_wallets SET balance = 100 WHERE team_id = :t"), {"t": team})
    charged = api.post("/v1/creators/fitwithmaya/search", headers=brand)
    assert charged.status_code == 402  # a frozen wallet pays for nothing
    api.post(f"/v1/admin/teams/{team}/wallet/freeze", json={"frozen": False, "reason": "resolved"}, headers=admin)
    with session_scope() as db:
        audit = db.execute(text("SELECT action, reason FROM admin_actions ORDER BY id")).all()
    assert [tuple(a) for a in audit] == [("wallet_freeze", "chargeback"), ("wallet_unfreeze", "resolved")]
    assert api.get("/v1/admin/accounts", headers=admin).status_code == 400


def test_the_stats_read_a_window_by_index_at_100000_jobs(db) -> None:  # type: ignore[no-untyped-def]
    with get_engine().begin() as connection:
        connection.execute(
            text(
                "INSERT INTO jobs (username, status, reason, stages, refresh, origin, created_at, updated_at) "
                "SELECT 'bulk' || n, CASE WHEN mod(n, 10) = 0 THEN 'failed' ELSE 'complete' END, "
                "CASE WHEN mod(n, 10) = 0 THEN 'x' END, '{}', false, 'search', "
                "now() - n * interval '1 minute', now() FROM generate_series(1, 100000) n"
            )
        )
        connection.execute(text("ANALYZE jobs"))
        since = datetime.now(UTC) - admin_stats.WINDOWS["24h"]
        plan = connection.execute(
            text("EXPLAIN " + admin_stats._COUNTS["jobs_by_status"]), {"since": since}
        ).scalars().all()  # fmt: skip
    print("\n".join(plan))
    assert any("ix_jobs_created_at" in line for line in plan), plan


def test_spend_prices_the_meters_per_day_and_per_analysed_creator(api, admin, settings_env) -> None:  # type: ignore[no-untyped-def]
    settings_env(COSTS__APIFY_PER_1000_RESULTS_USD="2.0", COSTS__GPU_PER_HOUR_USD="0.72")
    now = datetime.now(UTC)  # not NOW (this module's import time), which may lie before midnight
    midnight = datetime.combine(now.date() + timedelta(days=1), time(), UTC)
    if midnight - now < timedelta(seconds=10):  # the request must see the same day as the rows below
        sleep((midnight - now).total_seconds() + 0.5)
        now = datetime.now(UTC)
    today = now.date()
    created = now - min(timedelta(minutes=1), (now - datetime.combine(today, time(), UTC)) / 2)  # today, too
    with session_scope() as db:
        for day, meter, quantity in (
            (today, "apify_runs", 4), (today, "apify_results", 500), (today, "inference_busy_s", 100),
            (today - timedelta(days=1), "apify_results", 1000), (today, "searches_cached", 3),
            (today, "searches_scraped", 2),
        ):  # fmt: skip
            db.execute(
                text("INSERT INTO usage_meters (day, meter, quantity) VALUES (:d, :m, :q)"),
                {"d": day, "m": meter, "q": quantity},
            )
    add_job("complete", NOW - created, stages={}, took_s=5)
    add_job("complete", NOW - created, stages={}, took_s=5)
    body = api.get("/v1/admin/spend?days=2", headers=admin).json
    yesterday, now = body["days"]
    assert yesterday["apify_usd"] == 2.0 and yesterday["usd_per_creator"] is None
    assert (now["apify_runs"], now["apify_results"], now["creators_analysed"]) == (4, 500, 2)
    assert now["apify_usd"] == 1.0 and now["inference_usd"] == 0.02 and now["usd_per_creator"] == 0.51
    assert body["total_usd"] == 3.02
    searches = api.get("/v1/admin/stats?window=1h", headers=admin).json["searches"]
    assert (searches["cached"], searches["scraped"]) == (3, 2)


@pytest.mark.parametrize(("email", "accepted"), [("öl@straße.example", True), ("a\x1f@b.example", False),
                         ("a\x85@b.example", False), ("a\ufeff@b.example", False), ("a\xa0@b.example", False),
                         ("a\x97@b.example", False), ("a@b@c.example", False)])  # fmt: skip
def test_the_accounts_email_filter_means_the_same_to_the_document_and_the_server(api, admin, email, accepted) -> None:  # type: ignore[no-untyped-def]
    """Where the dialects' `\\s` disagree (Python's re, pydantic's Rust engine, ECMA), the document and the server
    still agree."""
    from urllib.parse import quote

    from shared.http.openapi import openapi_document

    [parameter] = [
        p for p in openapi_document(router)["paths"]["/v1/admin/accounts"]["get"]["parameters"] if p["name"] == "email"
    ]
    pattern = parameter["schema"]["anyOf"][0]["pattern"]
    assert bool(re.search(pattern, email)) is accepted
    response = api.get(f"/v1/admin/accounts?email={quote(email)}", headers=admin)
    assert response.status_code == (200 if accepted else 400), response.json
