"""Team steps that cross domains: a team with its wallet, an account for an invited person, a member
added by email (invited through Supabase when they have not signed up)."""

from __future__ import annotations

import uuid

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.auth import invites
from shared.credits import service as credits_service
from shared.teams import service as teams_service
from shared.teams.models import Team, TeamMember, User
from shared.teams.scope import TeamScope


def create(*, db_session: Session, user_id: uuid.UUID, name: str, personal: bool = False) -> Team:
    """A team with its creator as owner, and its wallet (in the caller's transaction)."""
    team = teams_service.create(db_session=db_session, user_id=user_id, name=name, personal=personal)
    credits_service.create_wallet(db_session=db_session, team_id=team.id)
    return team


def ensure_account(*, db_session: Session, user_id: uuid.UUID, email: str) -> uuid.UUID:
    """User row and personal team (with wallet) for an invited person; returns the personal team's id.

    The same rows their first sign-in would make (shared.auth.service.provision finds them there)."""
    db_session.execute(
        insert(User).values(id=user_id, email=email, last_seen_at=None).on_conflict_do_nothing(index_elements=["id"])
    )
    team = teams_service.get_personal_team_id(db_session=db_session, user_id=user_id)
    if team is None:
        name = f"{email.split('@')[0]}'s team"
        team = create(db_session=db_session, user_id=user_id, name=name, personal=True).id
    return team


def invite_member(*, db_session: Session, scope: TeamScope, email: str, role: str) -> tuple[TeamMember, User]:
    """Add a person by email; one who has not signed up is invited through Supabase first. Managers only."""
    scope.require_manager()
    user = teams_service.get_user_by_email(db_session=db_session, email=email)
    if user is None:
        user_id = invites.invite_or_find(db_session, email)
        ensure_account(db_session=db_session, user_id=user_id, email=email)
        user = db_session.get(User, user_id)
        assert user is not None  # ensure_account wrote it
    member = teams_service.add_member(db_session=db_session, scope=scope, user=user, role=role)
    return member, user
