"""Supabase Auth's admin API, for the two things the backend does there: invite a user by email, and
find the account of an email that already has one.

The invite mail (sent by Supabase) lets the person set their own password; the backend never sees,
stores or forwards one. Uses the service key, which only ever travels to Supabase.
"""

from __future__ import annotations

import uuid
from typing import Any

from shared import errors
from shared.config import get_settings


class AlreadyRegistered(errors.Conflict):
    title = "Already registered"
    code = "already_registered"


def _admin() -> tuple[str, dict[str, str]]:
    auth = get_settings().auth
    if not auth.supabase_url or auth.supabase_service_key is None:
        raise errors.Unavailable("Supabase admin access is not configured")
    key = auth.supabase_service_key.get_secret_value()
    return f"{auth.supabase_url.rstrip('/')}/auth/v1", {"apikey": key, "Authorization": f"Bearer {key}"}


def _call(method: str, path: str, what: str, answers: tuple[int, ...] = (), **options: Any) -> tuple[int, Any]:
    """(status, JSON body) of one admin call, a status in `answers` returned without a body. Supabase unreachable,
    slow, failing or answering what is not JSON is Unavailable (503, retry), never an unmapped exception (a 500)."""
    import httpx  # only signups and invites need it: the API's cold start does not pay for it

    base, headers = _admin()
    try:
        response = httpx.request(method, f"{base}{path}", headers=headers, timeout=10, **options)
    except httpx.HTTPError as exc:
        raise errors.Unavailable(f"Supabase {what} failed ({type(exc).__name__})", retry_after_s=30) from exc
    if response.status_code in answers:
        return response.status_code, None
    if response.status_code >= 400:
        raise errors.Unavailable(f"Supabase {what} failed with HTTP {response.status_code}", retry_after_s=30)
    try:
        return response.status_code, response.json()
    except ValueError as exc:
        raise errors.Unavailable(f"Supabase {what} answered what is not JSON", retry_after_s=30) from exc


def _user_id(value: Any, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise errors.Unavailable(f"Supabase {what} answered without a user id", retry_after_s=30) from exc


def invite(email: str, *, redirect_to: str | None = None) -> uuid.UUID:
    """Create (or re-invite) the user; returns their Supabase id (the `sub` of their future tokens)."""
    params = {"redirect_to": redirect_to} if redirect_to else None
    status, body = _call("POST", "/invite", "invite", answers=(422,), json={"email": email}, params=params)
    if status == 422:
        raise AlreadyRegistered(f"{email} already has an account: sign in instead")
    return _user_id(body.get("id") if isinstance(body, dict) else None, "invite")


def find(email: str) -> uuid.UUID | None:
    """The Supabase id of the account registered with `email` (any case), or None.

    `GET /admin/users?filter=` matches a substring of the email, so the exact address is picked from
    the page; 50 accounts containing someone's whole address is not a case that needs paging."""
    _, body = _call("GET", "/admin/users", "user lookup", params={"filter": email, "per_page": 50})
    wanted = email.strip().lower()
    users = body.get("users") if isinstance(body, dict) else None
    for user in users if isinstance(users, list) else []:
        if isinstance(user, dict) and str(user.get("email") or "").lower() == wanted:
            return _user_id(user.get("id"), "user lookup")
    return None
