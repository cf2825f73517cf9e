"""A local stand-in for Supabase Auth (GoTrue) at the outermost vendor seam, speaking its wire format:

- admin (service key): `POST /auth/v1/invite` (422 `email_exists` for a registered address) and
  `GET /auth/v1/admin/users?filter=` (a substring match, as GoTrue's is);
- the person's side: `POST /auth/v1/verify` with an invite token (what the invite mail's link carries), then
  `PUT /auth/v1/user` to set a password, `POST /auth/v1/token?grant_type=password` to sign in, and
  `POST /auth/v1/signup`; each session's access token is HS256 with the stack's secret, as Supabase signs them
  when the project uses the shared JWT secret;
- `GET /_standin/invites`: the mails Supabase would have sent (email, token), for demos and tests.

    python -m infra.local.supabase_standin --port N --jwt-secret S --issuer URL --service-key K
"""

from __future__ import annotations

import argparse
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt

TOKEN_LIFETIME_S = 3600


@dataclass
class Account:
    id: str
    email: str
    password: str | None = None
    invite_token: str | None = None
    confirmed: bool = False
    created_at: float = field(default_factory=time.time)

    def wire(self) -> dict[str, Any]:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.created_at))
        return {"id": self.id, "aud": "authenticated", "role": "authenticated", "email": self.email,
                "email_confirmed_at": stamp if self.confirmed else None, "invited_at": stamp,
                "created_at": stamp, "app_metadata": {"provider": "email"}, "user_metadata": {}}  # fmt: skip


class SupabaseAuthStandIn:
    """The server and its state; tests drive it in-process, the local stack as a process."""

    def __init__(self, *, jwt_secret: str, issuer: str, service_key: str, host: str = "127.0.0.1", port: int = 0):
        self.jwt_secret, self.issuer, self.service_key = jwt_secret, issuer, service_key
        self.accounts: dict[str, Account] = {}  # by lower-cased email
        self.invites: list[dict[str, Any]] = []  # every admin invite request, as received
        self.lookups: list[dict[str, Any]] = []  # every admin user-list request
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer((host, port), self._handler())
        self.base = f"http://{host}:{self.httpd.server_address[1]}"

    @property
    def users(self) -> dict[str, str]:
        """email -> id of the accounts that exist (tests register some directly)."""
        return _UsersView(self)

    def start(self) -> SupabaseAuthStandIn:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def session(self, account: Account) -> dict[str, Any]:
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": "authenticated", "role": "authenticated", "sub": account.id,
                  "email": account.email, "iat": now, "exp": now + TOKEN_LIFETIME_S, "is_anonymous": False}  # fmt: skip
        token = jwt.encode(claims, self.jwt_secret, algorithm="HS256")
        return {"access_token": token, "token_type": "bearer", "expires_in": TOKEN_LIFETIME_S,
                "expires_at": now + TOKEN_LIFETIME_S, "refresh_token": secrets.token_urlsafe(16),
                "user": account.wire()}  # fmt: skip

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, payload: Any) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _error(self, status: int, code: str, message: str) -> None:
                self._send(status, {"code": status, "error_code": code, "msg": message})

            def _body(self) -> dict[str, Any]:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                return dict(json.loads(raw or b"{}"))

            def _admin(self) -> bool:
                bearer = self.headers.get("Authorization", "").removeprefix("Bearer ")
                if self.headers.get("apikey") != standin.service_key or bearer != standin.service_key:
                    self._error(401, "no_authorization", "This endpoint requires a valid service role key")
                    return False
                return True

            def _caller(self) -> Account | None:
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                try:
                    claims = jwt.decode(token, standin.jwt_secret, algorithms=["HS256"], audience="authenticated")
                except jwt.PyJWTError:
                    return None
                return next((a for a in standin.accounts.values() if a.id == claims["sub"]), None)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path == "/health":
                    self._send(200, {"name": "GoTrue stand-in", "version": "local"})
                elif url.path == "/_standin/invites":
                    with standin.lock:
                        sent = [{"email": a.email, "token": a.invite_token} for a in standin.accounts.values()]
                    self._send(200, {"invites": [s for s in sent if s["token"]]})
                elif url.path == "/auth/v1/admin/users":
                    standin.lookups.append({"query": parse_qs(url.query), "headers": dict(self.headers)})
                    if not self._admin():
                        return
                    needle = parse_qs(url.query).get("filter", [""])[0].lower()
                    users = [a.wire() for e, a in standin.accounts.items() if needle in e]
                    self._send(200, {"users": users, "aud": "authenticated"})
                elif url.path == "/auth/v1/user":
                    caller = self._caller()
                    self._send(200, caller.wire()) if caller else self._error(401, "bad_jwt", "invalid JWT")
                else:
                    self._error(404, "not_found", "Not found")

            def do_PUT(self) -> None:
                if urlsplit(self.path).path != "/auth/v1/user":
                    return self._error(404, "not_found", "Not found")
                caller, body = self._caller(), self._body()
                if caller is None:
                    return self._error(401, "bad_jwt", "invalid JWT")
                if len(str(body.get("password") or "")) < 6:
                    return self._error(422, "weak_password", "Password should be at least 6 characters.")
                caller.password = str(body["password"])
                self._send(200, caller.wire())

            def do_POST(self) -> None:
                url, body = urlsplit(self.path), self._body()
                email = str(body.get("email") or "").strip().lower()  # GoTrue stores addresses lower-cased
                if url.path == "/auth/v1/invite":
                    standin.invites.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    if not self._admin():
                        return
                    with standin.lock:
                        if email in standin.accounts:
                            return self._error(
                                422, "email_exists", "A user with this email address has already been registered"
                            )
                        account = Account(str(uuid.uuid4()), email, invite_token=secrets.token_urlsafe(24))
                        standin.accounts[email] = account
                    return self._send(200, account.wire())
                if url.path == "/auth/v1/verify":
                    invited = standin.accounts.get(email)
                    if body.get("type") != "invite" or invited is None or body.get("token") != invited.invite_token:
                        return self._error(403, "otp_expired", "Email link is invalid or has expired")
                    invited.invite_token, invited.confirmed = None, True
                    return self._send(200, standin.session(invited))
                if url.path == "/auth/v1/signup":
                    with standin.lock:
                        if email in standin.accounts:
                            return self._error(422, "user_already_exists", "User already registered")
                        account = Account(
                            str(uuid.uuid4()), email, password=str(body.get("password") or ""), confirmed=True
                        )
                        standin.accounts[email] = account
                    return self._send(200, standin.session(account))
                if url.path == "/auth/v1/token" and parse_qs(url.query).get("grant_type") == ["password"]:
                    known = standin.accounts.get(email)
                    if known is None or not known.password or known.password != body.get("password"):
                        return self._error(400, "invalid_credentials", "Invalid login credentials")
                    return self._send(200, standin.session(known))
                self._error(404, "not_found", "Not found")

        return Handler


class _UsersView(dict[str, str]):
    """`users[email] = id` registers an account that exists in Supabase (made some other way); reads list them."""

    def __init__(self, standin: SupabaseAuthStandIn) -> None:
        super().__init__({e: a.id for e, a in standin.accounts.items()})
        self.standin = standin

    def __setitem__(self, email: str, user_id: str) -> None:
        super().__setitem__(email, user_id)
        self.standin.accounts[email.lower()] = Account(user_id, email.lower(), confirmed=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--jwt-secret", required=True)
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--service-key", required=True)
    args = parser.parse_args()
    standin = SupabaseAuthStandIn(
        jwt_secret=args.jwt_secret, issuer=args.issuer, service_key=args.service_key, port=args.port
    )
    print(f"Supabase Auth stand-in on {standin.base}", flush=True)
    standin.httpd.serve_forever()


if __name__ == "__main__":
    main()
