from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from functions_framework import create_app

from tests.fixtures.tokens import JwksServer, claims, sign


@pytest.fixture
def api(db: None, jwks: JwksServer) -> Any:
    return create_app("api", "functions/api/main.py").test_client()


@pytest.fixture
def bearer(jwks: JwksServer) -> Callable[..., dict[str, str]]:
    """Authorization headers for a user (a new one unless `sub` is given), optionally for a team."""

    def headers(
        sub: uuid.UUID | None = None, email: str | None = None, team: Any = None, **extra: Any
    ) -> dict[str, str]:
        token = sign(
            jwks.keys[0],
            claims(jwks.issuer, sub=sub or uuid.uuid4(), email=email or f"{uuid.uuid4().hex[:8]}@example.org", **extra),
        )
        out = {"Authorization": f"Bearer {token}"}
        if team is not None:
            out["X-Team-Id"] = str(team)
        return out

    return headers
