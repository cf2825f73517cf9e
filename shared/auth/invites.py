"""People who have not signed in yet: invite them through Supabase (they set their own password there)
and give them their user row and personal team now. Used by paid and free signup and by team invites.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.auth import supabase_admin
from shared.config import get_settings
from shared.db import session_scope
from shared.teams.models import SupabaseInvite, Team, User


def invite_or_find(db_session: Session, email: str) -> uuid.UUID:
    """The Supabase id for `email`: one we invited before, a fresh invite, a user we already know, or
    the account Supabase already holds for it."""
    with session_scope() as own:  # its own transaction: see SupabaseInvite
        invited = own.get(SupabaseInvite, email)
        if invited is not None:
            return invited.user_id
    try:
        user_id = supabase_admin.invite(email, redirect_to=f"{get_settings().stripe.app_url}/welcome")
    except supabase_admin.AlreadyRegistered:
        existing = db_session.scalar(
            select(User.id).where(func.lower(User.email) == email.lower()).order_by(User.last_seen_at.desc())
        )
        # Registered in Supabase some other way (the dashboard, another app) and never signed in here.
        found = existing or supabase_admin.find(email)
        if found is None:
            raise
        return found
    with session_scope() as own:
        own.execute(
            insert(SupabaseInvite).values(email=email, user_id=user_id).on_conflict_do_nothing(index_elements=["email"])
        )
    return user_id


def ensure_account(db_session: Session, user_id: uuid.UUID, email: str) -> uuid.UUID:
    """User row and personal team (with wallet) for an invited person; returns the personal team's id.

    The same rows their first sign-in would make (shared.auth.service.provision finds them there)."""
    from shared.teams import service as teams_service

    db_session.execute(
        insert(User).values(id=user_id, email=email, last_seen_at=None).on_conflict_do_nothing(index_elements=["id"])
    )
    team = db_session.scalar(select(Team.id).where(Team.created_by_user_id == user_id, Team.is_personal.is_(True)))
    if team is None:
        team = teams_service.create(
            db_session=db_session, user_id=user_id, name=f"{email.split('@')[0]}'s team", personal=True
        ).id
    return team
