"""Supabase invites against the GoTrue stand-in: which account an already-registered email resolves to."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from shared.auth import invites
from shared.db import session_scope
from shared.teams.models import User


@pytest.mark.usefixtures("db")
def test_a_registered_email_resolves_to_the_account_seen_last_not_a_never_signed_in_row(jwks) -> None:  # type: ignore[no-untyped-def]
    """Postgres sorts NULL first under DESC: without NULLS LAST the stale invited row won."""
    email = f"twice-{uuid.uuid4().hex[:8]}@example.org"
    stale, active, older = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    now = datetime.now(UTC)
    with session_scope() as db:
        db.add_all(
            [
                User(id=stale, email=email, last_seen_at=None),  # invited once, never signed in
                User(id=older, email=email.upper(), last_seen_at=now - timedelta(days=30)),
                User(id=active, email=email, last_seen_at=now),
            ]
        )
    jwks.users[email] = str(uuid.uuid4())  # Supabase answers 422 for the invite: already registered
    with session_scope() as db:
        assert invites.invite_or_find(db, email) == active
    assert [i for i in jwks.invites if i["body"].get("email") == email], "the invite was tried first"


@pytest.mark.usefixtures("db")
def test_a_registered_email_we_never_saw_resolves_through_supabase(jwks) -> None:  # type: ignore[no-untyped-def]
    email = f"elsewhere-{uuid.uuid4().hex[:8]}@example.org"
    jwks.users[email] = theirs = str(uuid.uuid4())
    with session_scope() as db:
        assert invites.invite_or_find(db, email) == uuid.UUID(theirs)
