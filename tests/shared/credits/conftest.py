from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from shared.auth import service as auth_service
from shared.auth.schemas import Claims
from shared.db import session_scope
from shared.teams.scope import TeamScope, scope_for


@pytest.fixture
def make_scope(db: None) -> Callable[..., TeamScope]:
    """A provisioned user's personal-team scope, with `credits` granted."""

    def make(credits: int = 0, email: str | None = None) -> TeamScope:
        claims = Claims(sub=uuid.uuid4(), email=email or f"{uuid.uuid4().hex[:8]}@example.org", role="authenticated")
        with session_scope() as db_session:
            caller = auth_service.provision(db_session=db_session, claims=claims)
            scope = scope_for(db_session=db_session, user_id=caller.user_id, team_id=caller.personal_team_id)
            if credits:
                from shared.credits import service as credits_service

                wallet = credits_service.get_wallet(db_session=db_session, scope=scope)
                credits_service.add(
                    db_session=db_session,
                    wallet_id=wallet.id,
                    amount=credits,
                    kind="grant",
                    idempotency_key=f"seed:{wallet.id}",
                )
        return scope

    return make
