"""Post analytics on the local stack: a post URL and a reel URL through the API, the Apify stand-in, the CDN
worker and the lite inference service, to a result."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from infra.local.demo import local_token
from shared.credits import service as credits_service

pytestmark = pytest.mark.emulator


def fund(database_url: str, team_id: str, credits: int, key: str) -> None:
    """Credits for the team through the ledger on the stack's database (as a purchase or an admin grant would)."""
    engine = create_engine(database_url)
    try:
        with Session(bind=engine) as db, db.begin():
            wallet = db.execute(text("SELECT id FROM credit_wallets WHERE team_id = :t"), {"t": team_id}).scalar_one()
            credits_service.add(db_session=db, wallet_id=wallet, amount=credits, kind="grant", idempotency_key=key)
    finally:
        engine.dispose()


def call(method: str, url: str, token: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Authorization": f"Bearer {token}"})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@pytest.mark.parametrize(
    ("url", "shortcode", "kind"),
    [
        ("https://www.instagram.com/p/surfli00878884/", "surfli00878884", "post"),
        ("https://www.instagram.com/reel/surfli02865362/?igsh=x", "surfli02865362", "reel"),
    ],
)
def test_a_post_and_a_reel_are_analysed_end_to_end(local_stack, url, shortcode, kind) -> None:  # type: ignore[no-untyped-def]
    api, token = local_stack.functions["api"].url, local_token(local_stack.jwt_secret, f"{kind}@brand.example")
    _, me = call("GET", f"{api}/v1/me", token)
    fund(local_stack.env["FA_DATABASE__URL"], me["personal_team_id"], 100, f"stack-{kind}")
    status, started = call("POST", f"{api}/v1/posts/analyze", token, {"url": url, "campaign": "stack"})
    assert status == 202, started
    deadline, body = time.monotonic() + 120, None
    while time.monotonic() < deadline:
        status, body = call("GET", f"{api}/v1/posts/{shortcode}", token)
        if body and (body["kind"] == "result" or body["job"]["status"] in ("failed", "partial")):
            break
        time.sleep(0.5)
    assert body and body["kind"] == "result", body
    result = body["result"]
    assert result["kind"] == kind and result["owner"]["username"] == "surf.lisboa"
    assert {"sentiment", "language", "categories", "visual"} <= set(result["analysis"])
    assert all(image["status"] == "uploaded" for image in result["images"])
    if kind == "reel":
        assert result["engagement"]["views"] > 0
