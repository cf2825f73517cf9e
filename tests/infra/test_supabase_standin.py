"""The Supabase Auth stand-in speaks GoTrue's wire format, and the API accepts the sessions it issues: a free signup
is invited, follows the mail's link, sets a password and signs in again."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest


def gotrue(base: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    request = urllib.request.Request(
        base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", **(headers or {})},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.usefixtures("db")
def test_free_signup_then_invite_link_then_password_sign_in(api, jwks) -> None:  # type: ignore[no-untyped-def]
    base, email = jwks.supabase.base, f"new-{uuid.uuid4().hex[:8]}@brand.example"
    assert api.post("/v1/signup/free", json={"email": email}).status_code == 202
    _, sent = gotrue(base, "GET", "/_standin/invites")
    [mail] = [m for m in sent["invites"] if m["email"] == email]

    status, session = gotrue(
        base, "POST", "/auth/v1/verify", {"type": "invite", "email": email, "token": mail["token"]}
    )
    assert status == 200 and session["token_type"] == "bearer" and session["user"]["email_confirmed_at"]
    me = api.get("/v1/me", headers={"Authorization": f"Bearer {session['access_token']}"})
    assert me.status_code == 200 and me.json["email"] == email and me.json["teams"][0]["team"]["is_personal"]
    assert gotrue(base, "POST", "/auth/v1/verify", {"type": "invite", "email": email, "token": mail["token"]})[0] == 403

    bearer = {"Authorization": f"Bearer {session['access_token']}"}
    assert gotrue(base, "PUT", "/auth/v1/user", {"password": "123"}, bearer)[1]["error_code"] == "weak_password"
    assert gotrue(base, "PUT", "/auth/v1/user", {"password": "correct horse"}, bearer)[0] == 200
    status, again = gotrue(
        base, "POST", "/auth/v1/token?grant_type=password", {"email": email, "password": "correct horse"}
    )
    assert status == 200 and again["user"]["id"] == session["user"]["id"]
    assert (
        api.get("/v1/me", headers={"Authorization": f"Bearer {again['access_token']}"}).json["user_id"]
        == me.json["user_id"]
    )
    wrong = gotrue(base, "POST", "/auth/v1/token?grant_type=password", {"email": email, "password": "nope"})
    assert wrong == (400, {"code": 400, "error_code": "invalid_credentials", "msg": "Invalid login credentials"})


def test_the_admin_api_needs_the_service_key(jwks) -> None:  # type: ignore[no-untyped-def]
    base = jwks.supabase.base
    status, body = gotrue(base, "POST", "/auth/v1/invite", {"email": "x@brand.example"}, {"apikey": "wrong"})
    assert status == 401 and body["error_code"] == "no_authorization"
    assert gotrue(base, "GET", "/auth/v1/admin/users?filter=x")[0] == 401


def test_the_stand_in_process_starts_with_a_secret_that_begins_with_a_dash(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The local stack's secret is random URL-safe text: one time in 64 it begins with "-", which argparse took
    for an option (the stand-in exited and the stack failed to start)."""
    from infra.local.components import wait_healthy
    from infra.local.services import supabase_auth_standin

    process = supabase_auth_standin(tmp_path, "-looks-like-an-option", "http://127.0.0.1/auth/v1")
    process.start()
    try:
        wait_healthy(process, timeout_s=30)
    finally:
        process.stop()
