"""People who have not signed in yet get a Supabase invite (they set their own password there). Used by
paid and free signup and by team invites; the rows they need are made by shared.teams.flows.
"""

from __future__ import annotations

import uuid

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.auth import supabase_admin
from shared.config import get_settings
from shared.db import session_scope
from shared.teams import service as teams_service
from shared.teams.models import SupabaseInvite


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
        known = teams_service.get_user_by_email(db_session=db_session, email=email)
        # Registered in Supabase some other way (the dashboard, another app) and never signed in here.
        found = known.id if known is not None else supabase_admin.find(email)
        if found is None:
            raise
        return found
    with session_scope() as own:
        own.execute(
            insert(SupabaseInvite).values(email=email, user_id=user_id).on_conflict_do_nothing(index_elements=["email"])
        )
    return user_id
