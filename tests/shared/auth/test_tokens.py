"""The JWT matrix: every forged, stale or misdirected token is refused; rotation is picked up."""

from __future__ import annotations

import base64
import json
import time
import uuid

import jwt
import pytest

from shared.auth.tokens import JwksCache, TokenVerifier
from shared.config import AuthSettings
from shared.errors import Unauthorized, Unavailable
from tests.fixtures.tokens import HS256_SECRET, JwksServer, SigningKey, claims, raw_token, sign


@pytest.fixture
def server() -> JwksServer:
    s = JwksServer()
    yield s  # type: ignore[misc]
    s.close()


def verifier_for(server: JwksServer, hs256: bool = True) -> TokenVerifier:
    settings = AuthSettings(jwks_url=server.url, jwt_issuer=server.issuer, hs256_secret=HS256_SECRET if hs256 else None)
    return TokenVerifier(settings, JwksCache(server.url, min_refresh_s=0))


def tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=="))
    data["sub"] = str(uuid.uuid4())
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_the_matrix_accepts_nothing(server: JwksServer) -> None:
    es, rs = SigningKey("es-1"), SigningKey("rs-1", alg="RS256")
    server.publish(es, rs)
    verifier = verifier_for(server)
    iss = server.issuer
    valid = sign(es, claims(iss))
    attacks = {
        "expired": sign(es, claims(iss, exp=int(time.time()) - 3600, iat=int(time.time()) - 7200)),
        "wrong aud": sign(es, claims(iss, aud="service")),
        "wrong iss": sign(es, claims("https://evil.example/auth/v1")),
        "alg none": raw_token({"alg": "none", "typ": "JWT"}, claims(iss), None),
        "HS256 signed with the public key": raw_token(
            {"alg": "HS256", "typ": "JWT", "kid": "es-1"}, claims(iss), es.public_pem()
        ),
        "HS256 with the RSA public key": raw_token({"alg": "HS256", "typ": "JWT"}, claims(iss), rs.public_pem()),
        "unknown kid": sign(SigningKey("stranger"), claims(iss)),
        "known kid, other key": sign(SigningKey("es-1"), claims(iss)),
        "tampered payload": tamper(valid),
        "role anon": sign(es, claims(iss, role="anon")),
        "role service_role": sign(es, claims(iss, role="service_role")),
        "missing sub": sign(es, {k: v for k, v in claims(iss).items() if k != "sub"}),
        "sub not a uuid": sign(es, claims(iss, sub="admin")),
        "missing exp": sign(es, {k: v for k, v in claims(iss).items() if k != "exp"}),
        "RS256 token claiming ES256 kid": jwt.encode(
            claims(iss), rs.private, algorithm="RS256", headers={"kid": "es-1"}
        ),
        "garbage": "not.a.token",
    }
    accepted = []
    for name, token in attacks.items():
        try:
            verifier.verify(token)
            accepted.append(name)
        except Unauthorized:
            pass
    assert accepted == []
    assert verifier.verify(valid).role == "authenticated"
    assert verifier.verify(sign(rs, claims(iss))).sub


def test_hs256_only_where_configured(server: JwksServer) -> None:
    server.publish(SigningKey("es-1"))
    token = jwt.encode(claims(server.issuer), HS256_SECRET, algorithm="HS256")
    assert verifier_for(server, hs256=True).verify(token).role == "authenticated"
    with pytest.raises(Unauthorized, match="HS256"):
        verifier_for(server, hs256=False).verify(token)


def test_small_leeway_on_exp(server: JwksServer) -> None:
    key = SigningKey("es-1")
    server.publish(key)
    just_expired = sign(key, claims(server.issuer, exp=int(time.time()) - 5))
    assert verifier_for(server).verify(just_expired)


def test_rotated_key_is_picked_up(server: JwksServer) -> None:
    old, new = SigningKey("2026-10"), SigningKey("2026-11")
    server.publish(old)
    verifier = verifier_for(server)
    assert verifier.verify(sign(old, claims(server.issuer)))
    server.publish(old, new)  # Supabase publishes the new key before signing with it
    assert verifier.verify(sign(new, claims(server.issuer)))
    server.publish(new)  # the old key is withdrawn
    verifier.jwks._fetched_at = float("-inf")  # type: ignore[union-attr]  # as after the cache's TTL
    with pytest.raises(Unauthorized, match="unknown key"):
        verifier.verify(sign(old, claims(server.issuer)))


def test_unknown_kids_do_not_hammer_the_jwks_endpoint(server: JwksServer) -> None:
    key = SigningKey("es-1")
    server.publish(key)
    verifier = TokenVerifier(AuthSettings(jwks_url=server.url, jwt_issuer=server.issuer), JwksCache(server.url))
    verifier.verify(sign(key, claims(server.issuer)))
    for _ in range(20):
        with pytest.raises(Unauthorized):
            verifier.verify(sign(SigningKey(f"x-{_}"), claims(server.issuer)))
    assert server.hits == 1


def test_unreachable_jwks_is_503_not_401() -> None:
    verifier = TokenVerifier(AuthSettings(jwks_url="http://127.0.0.1:9/jwks", jwt_issuer="https://x/auth/v1"))
    with pytest.raises(Unavailable):
        verifier.verify(sign(SigningKey("k"), claims("https://x/auth/v1")))


def test_a_key_that_does_not_parse_leaves_the_others_verifying() -> None:
    """One malformed key (or an entry that is no key) raised out of the refresh: no token verified, a 500 each."""
    good = SigningKey("good")
    broken_ec = {**SigningKey("bad-ec").jwk(), "x": "AAAA"}
    broken_rsa = {**SigningKey("bad-rsa", alg="RS256").jwk(), "n": "!!"}
    document = {"keys": [broken_ec, None, 7, {"kid": 5, "kty": "EC"}, broken_rsa, good.jwk()]}
    settings = AuthSettings(jwks_url="http://jwks.invalid", jwt_issuer="https://x/auth/v1")
    verifier = TokenVerifier(settings, JwksCache(settings.jwks_url or "", fetch=lambda _: document))
    assert verifier.verify(sign(good, claims("https://x/auth/v1")))
    with pytest.raises(Unauthorized, match="unknown key"):
        verifier.verify(sign(SigningKey("bad-ec"), claims("https://x/auth/v1")))


@pytest.mark.parametrize("document", [[], {"keys": None}, {"keys": "k"}, "<html>"], ids=str)
def test_a_document_with_no_list_of_keys_is_503(document: object) -> None:
    settings = AuthSettings(jwks_url="http://jwks.invalid", jwt_issuer="https://x/auth/v1")
    verifier = TokenVerifier(settings, JwksCache(settings.jwks_url or "", fetch=lambda _: document))
    with pytest.raises(Unavailable, match="no list of keys"):
        verifier.verify(sign(SigningKey("k"), claims("https://x/auth/v1")))


def test_unconfigured_issuer_refuses_every_token() -> None:
    verifier = TokenVerifier(AuthSettings(hs256_secret=HS256_SECRET))
    with pytest.raises(Unavailable, match="not configured"):
        verifier.verify(jwt.encode(claims("https://x"), HS256_SECRET, algorithm="HS256"))


def test_a_verified_token_is_remembered_until_its_exp_and_no_longer(server: JwksServer, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    key = SigningKey("es-1")
    server.publish(key)
    verifier, now = verifier_for(server), time.time()
    checks: list[str] = []
    real = verifier._verify
    monkeypatch.setattr(verifier, "_verify", lambda token: checks.append(token) or real(token))
    token = sign(key, claims(server.issuer, exp=int(now) + 100))
    assert verifier.verify(token) == verifier.verify(token) and len(checks) == 1  # the second one remembered
    for later, checked in ((now + 100 + 29, 1), (now + 100 + 31, 2)):  # exp + the 30 s leeway
        monkeypatch.setattr(verifier, "clock", lambda later=later: later)
        verifier.verify(token)
        assert len(checks) == checked
    long_lived = sign(key, claims(server.issuer, exp=int(now) + 7200))
    for later, checked in ((now, 3), (now + TokenVerifier.REMEMBER_S - 1, 3), (now + TokenVerifier.REMEMBER_S + 1, 4)):
        monkeypatch.setattr(verifier, "clock", lambda later=later: later)
        verifier.verify(long_lived)
        assert len(checks) == checked


def test_a_refused_token_is_not_remembered(server: JwksServer) -> None:
    key = SigningKey("es-1")
    server.publish(key)
    verifier = verifier_for(server)
    forged = tamper(sign(key, claims(server.issuer)))
    for _ in range(2):
        with pytest.raises(Unauthorized):
            verifier.verify(forged)
