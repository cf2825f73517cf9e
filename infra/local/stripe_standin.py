"""A local stand-in at Stripe's HTTP seam for what localstripe lacks: Checkout Sessions and the
Billing Portal, in Stripe's wire format (form-encoded requests, JSON objects, `Idempotency-Key`
replay). Every other path is forwarded to localstripe (customers, subscriptions, invoices, plans).

Test controls (never Stripe's API):
- `POST /_standin/checkout/sessions/{id}/pay` completes a session the way a paying customer would:
  for a subscription it creates the customer's card, default payment method and the subscription in
  localstripe (with the session's `subscription_data.metadata`), for a payment it marks it paid.
- `GET /_standin/requests` lists every request received (method, path, headers, form fields), so
  tests can check what the backend sent to "Stripe".

Run alone: `python -m infra.local.stripe_standin --port 8091 --localstripe http://127.0.0.1:8420`.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit


def signature(body: bytes, secret: str, at: int | None = None, extra: tuple[str, ...] = ()) -> str:
    """A `Stripe-Signature` header made the way Stripe makes it: t=<unix>,v1=HMAC_SHA256(secret, "t.body")."""
    t = int(time.time()) if at is None else at
    v1 = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return ",".join([f"t={t}", *extra, f"v1={v1}"])


def event(kind: str, obj: dict[str, Any], event_id: str | None = None) -> bytes:
    """A Stripe event envelope around `obj`, serialised as Stripe sends it."""
    envelope = {
        "id": event_id or f"evt_{secrets.token_hex(12)}",
        "object": "event",
        "api_version": "2025-03-31.basil",
        "created": int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "type": kind,
        "data": {"object": obj},
    }
    return json.dumps(envelope).encode()


def decode_form(body: str) -> dict[str, Any]:
    """Stripe's form encoding (`a[b][0][c]=v`) back to nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = key.replace("]", "").split("[")
        node: Any = root
        for part, following in zip(parts, [*parts[1:], None], strict=True):
            last = following is None
            if isinstance(node, list):
                index = int(part)
                while len(node) <= index:
                    node.append({} if not last and not following.isdigit() else [])  # type: ignore[union-attr]
                if last:
                    node[index] = value
                node = node[index]
            else:
                if last:
                    node[part] = value
                else:
                    node = node.setdefault(part, [] if following.isdigit() else {})  # type: ignore[union-attr]
    return root


def encode_form(data: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, value in data.items():
        name = f"{prefix}[{key}]" if prefix else key
        if isinstance(value, dict):
            pairs += encode_form(value, name)
        elif isinstance(value, list):
            for i, entry in enumerate(value):
                pairs += encode_form(entry, f"{name}[{i}]") if isinstance(entry, dict) else [(f"{name}[{i}]", entry)]
        else:
            pairs.append((name, str(value)))
    return pairs


class StripeStandin:
    def __init__(self, port: int, localstripe: str) -> None:
        self.localstripe = localstripe.rstrip("/")
        self.sessions: dict[str, dict[str, Any]] = {}
        self.replays: dict[str, tuple[str, int, bytes]] = {}
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"

    # -- Stripe objects -------------------------------------------------------------------------
    def create_session(self, params: dict[str, Any]) -> dict[str, Any]:
        session_id = f"cs_test_{secrets.token_hex(12)}"
        embedded = params.get("ui_mode") == "embedded"
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": params.get("mode", "payment"),
            "ui_mode": params.get("ui_mode", "hosted"),
            "status": "open",
            "payment_status": "unpaid",
            "url": None if embedded else f"{self.base}/checkout/{session_id}",
            "client_secret": f"{session_id}_secret_{secrets.token_hex(8)}" if embedded else None,
            "client_reference_id": params.get("client_reference_id"),
            "customer": params.get("customer"),
            "customer_email": params.get("customer_email"),
            "metadata": params.get("metadata") or {},
            "subscription": None,
            "payment_intent": None,
            "currency": "usd",
            "created": int(time.time()),
            "expires_at": int(time.time()) + 24 * 3600,
            "livemode": False,
            "success_url": params.get("success_url"),
            "cancel_url": params.get("cancel_url"),
            "return_url": params.get("return_url"),
            "_line_items": params.get("line_items") or [],
            "_subscription_data": params.get("subscription_data") or {},
        }
        self.sessions[session_id] = session
        return session

    def public(self, session: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in session.items() if not k.startswith("_")}

    def localstripe_call(self, method: str, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        data = urlencode(encode_form(params or {})).encode() if params else None
        request = urllib.request.Request(self.localstripe + path, data=data, method=method)  # noqa: S310 - loopback
        request.add_header("Authorization", "Bearer sk_test_standin")
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback localstripe
            return dict(json.loads(response.read()))

    def pay(self, session: dict[str, Any]) -> dict[str, Any]:
        if session["mode"] == "subscription":
            customer = (
                session["customer"]
                or self.localstripe_call(
                    "POST", "/v1/customers", {"email": session["customer_email"] or "buyer@example.com"}
                )["id"]
            )
            card = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}
            method = self.localstripe_call("POST", "/v1/payment_methods", {"type": "card", "card": card})["id"]
            self.localstripe_call("POST", f"/v1/payment_methods/{method}/attach", {"customer": customer})
            self.localstripe_call(
                "POST", f"/v1/customers/{customer}", {"invoice_settings": {"default_payment_method": method}}
            )
            price = session["_line_items"][0]["price"]
            metadata = session["_subscription_data"].get("metadata") or {}
            subscription = self.localstripe_call(
                "POST", "/v1/subscriptions", {"customer": customer, "items": [{"plan": price}], "metadata": metadata}
            )
            session.update(customer=customer, subscription=subscription["id"])
        else:
            session["payment_intent"] = f"pi_{secrets.token_hex(12)}"
        session.update(status="complete", payment_status="paid")
        return session

    # -- HTTP -----------------------------------------------------------------------------------
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Request-Id", f"req_{secrets.token_hex(8)}")
                self.end_headers()
                self.wfile.write(body)

            def _json(self, status: int, payload: Any) -> None:
                self._reply(status, json.dumps(payload).encode())

            def _error(self, status: int, message: str, kind: str = "invalid_request_error") -> None:
                self._json(status, {"error": {"type": kind, "message": message}})

            def do_GET(self) -> None:
                self._route("GET")

            def do_POST(self) -> None:
                self._route("POST")

            def do_DELETE(self) -> None:
                self._route("DELETE")

            def _route(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                path = urlsplit(self.path).path
                if not path.startswith("/_standin/"):
                    with standin.lock:
                        standin.requests.append(
                            {"method": method, "path": self.path, "headers": dict(self.headers),
                             "form": decode_form(raw.decode()) if raw else {}, "raw": raw.decode(errors="replace")}
                        )  # fmt: skip
                key = self.headers.get("Idempotency-Key")
                if method == "POST" and key and not path.startswith("/_standin/"):
                    with standin.lock:
                        seen = standin.replays.get(key)
                    if seen is not None:
                        if seen[0] != raw.decode():
                            message = "Keys for idempotent requests can only be used with the same parameters"
                            return self._error(400, message, "idempotency_error")
                        return self._reply(seen[1], seen[2])
                status, body = self._dispatch(method, path, raw)
                if method == "POST" and key and status < 500:
                    with standin.lock:
                        standin.replays[key] = (raw.decode(), status, body)
                self._reply(status, body)

            def _dispatch(self, method: str, path: str, raw: bytes) -> tuple[int, bytes]:
                parts = path.strip("/").split("/")
                sessions = standin.sessions
                if path == "/v1/checkout/sessions" and method == "POST":
                    return 200, json.dumps(standin.public(standin.create_session(decode_form(raw.decode())))).encode()
                if parts[:3] == ["v1", "checkout", "sessions"] and len(parts) >= 4:
                    session = sessions.get(parts[3])
                    if session is None:
                        missing = {"type": "invalid_request_error", "message": f"No such checkout.session: {parts[3]}"}
                        return 404, json.dumps({"error": missing}).encode()
                    if len(parts) == 5 and parts[4] == "expire" and method == "POST":
                        session.update(status="expired")
                    return 200, json.dumps(standin.public(session)).encode()
                if path == "/v1/billing_portal/sessions" and method == "POST":
                    form = decode_form(raw.decode())
                    portal_id = f"bps_{secrets.token_hex(12)}"
                    return 200, json.dumps(
                        {"id": portal_id, "object": "billing_portal.session", "customer": form.get("customer"),
                         "return_url": form.get("return_url"), "url": f"{standin.base}/portal/{portal_id}",
                         "livemode": False, "created": int(time.time())}
                    ).encode()  # fmt: skip
                if parts[:3] == ["_standin", "checkout", "sessions"] and parts[-1] == "pay":
                    session = sessions[parts[3]]
                    return 200, json.dumps(standin.public(standin.pay(session))).encode()
                if path == "/_standin/requests":
                    return 200, json.dumps(standin.requests).encode()
                return self._forward(method, raw)

            def _forward(self, method: str, raw: bytes) -> tuple[int, bytes]:
                target = standin.localstripe + self.path
                request = urllib.request.Request(target, data=raw or None, method=method)  # noqa: S310 - loopback
                for header in ("Authorization", "Content-Type", "Stripe-Version", "Idempotency-Key"):
                    if self.headers.get(header):
                        request.add_header(header, self.headers[header])
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
                        return response.status, response.read()
                except urllib.error.HTTPError as exc:
                    return exc.code, exc.read()

        return Handler

    def start(self) -> StripeStandin:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--localstripe", default="http://127.0.0.1:8420")
    args = parser.parse_args()
    standin = StripeStandin(args.port, args.localstripe)
    print(f"Stripe stand-in on {standin.base}, forwarding to {args.localstripe}", flush=True)
    standin.server.serve_forever()


if __name__ == "__main__":
    main()
