"""Supabase Auth's admin API, for the two things the backend does there: invite a user by email, and
find the account of an email that already has one.

The invite mail (sent by Supabase) lets the person set their own password; the backend never sees,
stores or forwards one. Uses the service key, which only ever travels to Supabase.
"""

from __future__ import annotations

import uuid

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


def invite(email: str, *, redirect_to: str | None = None) -> uuid.UUID:
    """Create (or re-invite) the user; returns their Supabase id (the `sub` of their future tokens)."""
    import httpx  # only signups need it: the API's cold start does not pay for it

    base, headers = _admin()
    params = {"redirect_to": redirect_to} if redirect_to else None
    response = httpx.post(f"{base}/invite", json={"email": email}, params=params, headers=headers, timeout=10)
    if response.status_code == 422:
        raise AlreadyRegistered(f"{email} already has an account: sign in instead")
    if response.status_code >= 400:
        raise errors.Unavailable(f"Supabase invite failed with HTTP {response.status_code}", retry_after_s=30)
    return uuid.UUID(response.json()["id"])


def find(email: str) -> uuid.UUID | None:
    """The Supabase id of the account registered with `email` (any case), or None.

    `GET /admin/users?filter=` matches a substring of the email, so the exact address is picked from
    the page; 50 accounts containing someone's whole address is not a case that needs paging."""
    import httpx

    base, headers = _admin()
    response = httpx.get(f"{base}/admin/users", params={"filter": email, "per_page": 50}, headers=headers, timeout=10)
    if response.status_code >= 400:
        raise errors.Unavailable(f"Supabase user lookup failed with HTTP {response.status_code}", retry_after_s=30)
    wanted = email.strip().lower()
    for user in response.json().get("users") or []:
        if str(user.get("email") or "").lower() == wanted:
            return uuid.UUID(user["id"])
    return None
