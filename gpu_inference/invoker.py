"""Who may call /v1/analyze: in prod, only Cloud Tasks' OIDC token for the invoker account; locally no account is set.

Google's signing certificates are held for an hour, not fetched for every task: google-auth's `verify_token` fetches
them on each call, a round trip to googleapis.com per task made on the event loop, where it stalled the batcher. A
token naming a key not held fetches again (Google rotates its keys), at most once a minute so that made-up key ids
cannot turn every request into a fetch. A fetch that fails is a 503 to retry, not a 401 for a token that may be
valid."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from shared import errors
from shared.config import get_settings, per_instance
from shared.events.tasks import oidc_audience

GOOGLE_ISSUERS = ("accounts.google.com", "https://accounts.google.com")
CERTS_TTL_S = 3600.0
REFETCH_AFTER_S = 60.0  # the least time between two fetches for an unknown key id
FETCH_TIMEOUT_S = 5.0


class GoogleCerts:
    """Google's certificates by key id, fetched when older than CERTS_TTL_S or asked for a key id not held."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._lock = threading.Lock()
        self._certs: dict[str, str] = {}
        self._fetched_at = float("-inf")

    def for_key(self, key_id: str | None) -> dict[str, str]:
        with self._lock:
            age = time.monotonic() - self._fetched_at
            if age > CERTS_TTL_S or (key_id not in self._certs and age > REFETCH_AFTER_S):
                self._certs = self._fetch()
                self._fetched_at = time.monotonic()
            return self._certs

    def _fetch(self) -> dict[str, str]:
        from google.auth import exceptions as google_errors
        from google.auth.transport import requests as google_requests

        try:
            response = google_requests.Request()(self._url, method="GET", timeout=FETCH_TIMEOUT_S)
            if response.status != 200:
                raise ValueError(f"HTTP {response.status}")
            certs = json.loads(response.data)
            if not isinstance(certs, dict) or not all(isinstance(v, str) for v in certs.values()):
                raise ValueError("not an object of PEM certificates")
        except (ValueError, google_errors.GoogleAuthError) as exc:
            detail = f"Google's token certificates could not be read ({exc})"
            raise errors.Unavailable(detail, retry_after_s=10) from exc
        return certs


@per_instance()
def _google_certs() -> GoogleCerts:
    return GoogleCerts(get_settings().tasks.oidc_certs_url)


def verify_invoker(authorization: str | None) -> None:
    """Unauthorized or Forbidden unless the bearer is Cloud Tasks' OIDC token for the configured invoker account."""
    settings = get_settings()
    account = settings.tasks.invoker_service_account
    if not account:
        if settings.is_local:
            return
        raise errors.Unauthorized("no invoker account configured")
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise errors.Unauthorized("send the Cloud Tasks OIDC token as 'Authorization: Bearer ...'")
    from google.auth import exceptions as google_errors
    from google.auth import jwt as google_jwt

    try:
        key_id = google_jwt.decode_header(token).get("kid")  # the header is checked to be an object
        certs = _google_certs().for_key(key_id if isinstance(key_id, str) else None)
        claims: dict[str, Any] = google_jwt.decode(
            token, certs=certs, audience=oidc_audience(settings.tasks.inference_url), clock_skew_in_seconds=0
        )
    except (ValueError, google_errors.GoogleAuthError) as exc:
        raise errors.Unauthorized(f"invalid OIDC token: {exc}") from exc
    if claims.get("iss") not in GOOGLE_ISSUERS:
        raise errors.Unauthorized("the OIDC token was not issued by Google")
    if claims.get("email") != account or not claims.get("email_verified"):
        raise errors.Forbidden("this token's account may not run analyses")
