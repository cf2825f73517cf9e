"""/v1/analyze accepts only Cloud Tasks' OIDC token for the invoker account once one is configured:
Google-shaped tokens signed by a key whose certificate a local server publishes (as Google's certs URL), which is
read once an hour, again for a key not held, and answered 503 when it cannot be read."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from gpu_inference import invoker
from shared import errors
from shared.config import reset_caches

ACCOUNT = "tasks-invoker@following-prod.iam.gserviceaccount.com"
SERVICE = "https://inference-abc123-ew.a.run.app"


def _key_and_cert() -> tuple[Any, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-google-certs")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256())
    )  # fmt: skip
    return key, cert.public_bytes(serialization.Encoding.PEM).decode()


@dataclass
class Published:
    """What the stand-in for Google's certs URL serves, and how often it was asked."""

    certs: dict[str, str]
    status: int = 200
    fetches: int = 0


@pytest.fixture
def published() -> Published:
    return Published({})


@pytest.fixture
def google(monkeypatch: pytest.MonkeyPatch, published: Published) -> Iterator[Any]:
    key, cert = _key_and_cert()
    published.certs["kid-1"] = cert

    class Certs(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            published.fetches += 1
            body = json.dumps(published.certs).encode()
            self.send_response(published.status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Certs)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("FA_TASKS__INVOKER_SERVICE_ACCOUNT", ACCOUNT)
    monkeypatch.setenv("FA_TASKS__INFERENCE_URL", SERVICE + "/v1/analyze")
    monkeypatch.setenv("FA_TASKS__OIDC_CERTS_URL", f"http://127.0.0.1:{server.server_address[1]}/certs")
    reset_caches()

    def token(signer: Any = key, kid: str = "kid-1", **overrides: Any) -> str:
        now = int(time.time())
        claims = {"iss": "https://accounts.google.com", "aud": SERVICE, "email": ACCOUNT, "email_verified": True,
                  "sub": "1234567890", "iat": now, "exp": now + 600, **overrides}  # fmt: skip
        return jwt.encode(claims, signer, algorithm="RS256", headers={"kid": kid})

    yield token
    server.shutdown()
    reset_caches()


def test_only_the_invokers_google_token_is_accepted(google) -> None:  # type: ignore[no-untyped-def]
    invoker.verify_invoker(f"Bearer {google()}")
    other_key, _ = _key_and_cert()
    forged = jwt.encode(jwt.decode(google(), options={"verify_signature": False}), other_key, "RS256",
                        headers={"kid": "kid-1"})  # fmt: skip
    refused = {
        "no header": (None, errors.Unauthorized),
        "not bearer": (f"Basic {google()}", errors.Unauthorized),
        "wrong audience": (f"Bearer {google(aud='https://elsewhere.example')}", errors.Unauthorized),
        "expired": (f"Bearer {google(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)}", errors.Unauthorized),
        "not Google": (f"Bearer {google(iss='https://evil.example')}", errors.Unauthorized),
        "other signer": (f"Bearer {forged}", errors.Unauthorized),
        "not a token": ("Bearer garbage", errors.Unauthorized),
        "a header that is no object": (f"Bearer W10.{google().split('.', 1)[1]}", errors.Unauthorized),  # "[]"
        "other account": (f"Bearer {google(email='someone@evil.example')}", errors.Forbidden),
        "unverified email": (f"Bearer {google(email_verified=False)}", errors.Forbidden),
    }
    for name, (header, error) in refused.items():
        with pytest.raises(error):
            invoker.verify_invoker(header)
            pytest.fail(f"accepted: {name}")


def test_the_certificates_are_read_once_not_for_every_task(google, published: Published) -> None:  # type: ignore[no-untyped-def]
    """google-auth's verify_token read them for every call: a round trip to Google per task."""
    for _ in range(5):
        invoker.verify_invoker(f"Bearer {google()}")
    assert published.fetches == 1


def test_a_new_key_is_fetched_once_and_made_up_ones_do_not_refetch(  # type: ignore[no-untyped-def]
    google, published: Published, monkeypatch: pytest.MonkeyPatch
) -> None:
    invoker.verify_invoker(f"Bearer {google()}")
    new_key, new_cert = _key_and_cert()
    published.certs["kid-2"] = new_cert  # Google rotates: a key published before it signs
    monkeypatch.setattr(invoker, "REFETCH_AFTER_S", 0.0)
    invoker.verify_invoker(f"Bearer {google(signer=new_key, kid='kid-2')}")
    assert published.fetches == 2
    monkeypatch.setattr(invoker, "REFETCH_AFTER_S", 60.0)
    for n in range(3):
        with pytest.raises(errors.Unauthorized):
            invoker.verify_invoker(f"Bearer {google(kid=f'made-up-{n}')}")
    assert published.fetches == 2


@pytest.mark.parametrize("status", [500, 404])
def test_certificates_that_cannot_be_read_are_a_503_not_a_401(google, published: Published, status: int) -> None:  # type: ignore[no-untyped-def]
    """The token may well be valid: Cloud Tasks should retry, and the log should not say "invalid token"."""
    published.status = status
    with pytest.raises(errors.Unavailable, match="could not be read"):
        invoker.verify_invoker(f"Bearer {google()}")
