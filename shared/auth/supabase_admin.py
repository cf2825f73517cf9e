"""Supabase Auth's admin API, for the one thing the backend does there: invite a user by email.

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


def invite(email: str, *, redirect_to: str | None = None) -> uuid.UUID:
    """Create (or re-invite) the user; returns their Supabase id (the `sub` of their future tokens)."""
    import httpx  # only signups need it: the API's cold start does not pay for it

    auth = get_settings().auth
    if not auth.supabase_url or auth.supabase_service_key is None:
        raise errors.Unavailable("Supabase admin access is not configured")
    key = auth.supabase_service_key.get_secret_value()
    body: dict[str, object] = {"email": email}
    params = {"redirect_to": redirect_to} if redirect_to else None
    response = httpx.post(
        f"{auth.supabase_url.rstrip('/')}/auth/v1/invite",
        json=body,
        params=params,
        headers={"apikey": key, "Authorization": f"Bearer {key}"},
        timeout=10,
    )
    if response.status_code == 422:
        raise AlreadyRegistered(f"{email} already has an account: sign in instead")
    if response.status_code >= 400:
        raise errors.Unavailable(f"Supabase invite failed with HTTP {response.status_code}", retry_after_s=30)
    return uuid.UUID(response.json()["id"])
