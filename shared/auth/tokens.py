"""Supabase access-token verification: JWKS (ES256/RS256) cached by `kid`, HS256 only where configured.

Every token must carry aud=authenticated (configurable), the project's iss, exp (small leeway),
role=authenticated and a UUID sub. alg=none, unknown keys and any algorithm not listed are refused.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import jwt
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from shared.auth.schemas import Claims
from shared.config import AuthSettings
from shared.errors import Unauthorized, Unavailable

ASYMMETRIC = {"ES256", "RS256"}
log = logging.getLogger("auth")
Fetch = Callable[[str], Any]


def fetch_json(url: str) -> Any:
    """GET a JWKS document (httpx, short timeout)."""
    import httpx

    try:
        response = httpx.get(url, timeout=5.0)
        response.raise_for_status()
        return response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise Unavailable(f"could not fetch signing keys: {exc}") from exc


def _public_key(jwk: Any) -> tuple[str, Any] | None:
    """(algorithm, key) of a signing key we verify with; None for any other entry and for one that does not parse
    (logged): one malformed key once stopped every token from verifying (a 500 on every request)."""
    if not isinstance(jwk, dict) or not isinstance(jwk.get("kid"), str) or jwk.get("use", "sig") != "sig":
        return None
    try:
        if jwk.get("kty") == "EC" and jwk.get("crv") == "P-256":
            return "ES256", ECAlgorithm.from_jwk(json.dumps(jwk))
        if jwk.get("kty") == "RSA":
            return "RS256", RSAAlgorithm.from_jwk(json.dumps(jwk))
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        log.warning("a signing key in the JWKS does not parse; skipped", extra={"kid": jwk["kid"], "error": str(exc)})
    return None


class JwksCache:
    """Public keys by kid. An unknown kid triggers one refetch (at most every `min_refresh_s`): rotation."""

    def __init__(self, url: str, fetch: Fetch = fetch_json, ttl_s: float = 600, min_refresh_s: float = 30) -> None:
        self.url, self.fetch, self.ttl_s, self.min_refresh_s = url, fetch, ttl_s, min_refresh_s
        self._keys: dict[str, tuple[str, Any]] = {}
        self._fetched_at = float("-inf")
        self._lock = threading.Lock()

    def _refresh(self) -> None:
        document = self.fetch(self.url)
        listed = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(listed, list):
            raise Unavailable("the signing keys document holds no list of keys")
        keys = {jwk["kid"]: found for jwk in listed if (found := _public_key(jwk)) is not None}
        self._keys, self._fetched_at = keys, time.monotonic()

    def key(self, kid: str) -> tuple[str, Any] | None:
        with self._lock:
            age = time.monotonic() - self._fetched_at
            if age > self.ttl_s or (kid not in self._keys and age > self.min_refresh_s):
                self._refresh()
            return self._keys.get(kid)


class TokenVerifier:
    """Verifies tokens, and remembers the ones it verified: a browsing client sends the same token on every request,
    and verifying it costs about 1 ms of CPU (two base64 decodes, the claim checks, an ECDSA verify). A remembered
    token is served until its exp (plus the leeway) or for REMEMBER_S, whichever is sooner, so a signing key
    removed from the JWKS stops being honoured within REMEMBER_S; at most REMEMBERED tokens, the oldest dropped."""

    REMEMBERED = 4096
    REMEMBER_S = 300.0
    clock: Callable[[], float] = staticmethod(time.time)

    def __init__(self, settings: AuthSettings, jwks: JwksCache | None = None) -> None:
        self.settings = settings
        self.jwks = jwks or (JwksCache(settings.jwks_url) if settings.jwks_url else None)
        self._verified: OrderedDict[str, tuple[Claims, float]] = OrderedDict()
        self._lock = threading.Lock()

    def verify(self, token: str) -> Claims:
        """Claims of a valid token; Unauthorized (401) with the reason otherwise."""
        now = self.clock()
        with self._lock:
            known = self._verified.get(token)
            if known is not None and now < known[1]:
                return known[0]
        claims, expires_at = self._verify(token)
        with self._lock:
            self._verified[token] = (claims, min(expires_at + self.settings.leeway_s, now + self.REMEMBER_S))
            while len(self._verified) > self.REMEMBERED:
                self._verified.popitem(last=False)
        return claims

    def _verify(self, token: str) -> tuple[Claims, float]:
        if not self.settings.jwt_issuer:
            raise Unavailable("authentication is not configured (auth.jwt_issuer)")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized("malformed token") from exc
        alg = header.get("alg")
        if alg in ASYMMETRIC:
            if self.jwks is None:
                raise Unauthorized(f"{alg} tokens are not accepted here")
            found = self.jwks.key(str(header.get("kid") or ""))
            if found is None:
                raise Unauthorized("token signed with an unknown key")
            key_alg, key = found
            if key_alg != alg:
                raise Unauthorized("token algorithm does not match its key")
        elif alg == "HS256" and self.settings.hs256_secret is not None:
            key = self.settings.hs256_secret.get_secret_value()
        else:
            raise Unauthorized(f"token algorithm {alg!r} is not accepted")
        try:
            payload = jwt.decode(
                token,
                key,
                algorithms=[str(alg)],
                audience=self.settings.jwt_audience,
                issuer=self.settings.jwt_issuer,
                leeway=self.settings.leeway_s,
                options={"require": ["exp", "sub", "aud", "iss"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"invalid token: {exc}") from exc
        if payload.get("role") != "authenticated":
            raise Unauthorized("token role must be 'authenticated'")
        try:
            sub = uuid.UUID(str(payload["sub"]))
        except ValueError as exc:
            raise Unauthorized("token sub is not a UUID") from exc
        claims = Claims(
            sub=sub,
            email=payload.get("email") or None,
            role="authenticated",
            is_anonymous=bool(payload.get("is_anonymous", False)),
        )
        return claims, float(payload["exp"])
