"""First-login provisioning and the caller's team scope."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.auth.schemas import Caller, Claims
from shared.db import Reader
from shared.errors import Forbidden
from shared.teams import flows as teams_flows
from shared.teams.models import Team, User
from shared.teams.scope import TeamScope, scope_for

LAST_SEEN_EVERY = timedelta(hours=1)


def provision(*, db_session: Session, claims: Claims) -> Caller:
    """The caller's user row, personal team, membership and wallet, created on first sight in ONE transaction.

    Two concurrent first calls race on the users primary key: the loser's INSERT waits for the winner's
    commit, then inserts nothing and reads what the winner made. So: one user, one team, one wallet.
    """
    user, personal = _user_and_personal_team(db_session, claims.sub)
    if user is None:
        create_on_first_sight(db_session=db_session, claims=claims)
        user, personal = _user_and_personal_team(db_session, claims.sub)
    else:
        note_seen(db=Reader.on(db_session), user_id=user.id, last_seen_at=user.last_seen_at)
    assert user is not None and personal is not None
    return Caller(
        user_id=user.id,
        email=user.email,
        is_admin=user.is_admin,
        is_anonymous=claims.is_anonymous,
        personal_team_id=personal,
    )


def create_on_first_sight(*, db_session: Session, claims: Claims) -> None:
    """The user row, then (unless a concurrent first call made it first) their personal team, membership and
    wallet: four INSERTs, for a caller whose user row the caller's lookup did not find."""
    created = db_session.execute(
        insert(User)
        .values(id=claims.sub, email=claims.email, last_seen_at=datetime.now(UTC))
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(User.id)
    ).scalar()
    if created is not None:
        name = f"{claims.email.split('@')[0]}'s team" if claims.email else "Personal team"
        teams_flows.create(db_session=db_session, user_id=claims.sub, name=name, personal=True)


def note_seen(*, db: Reader, user_id: uuid.UUID, last_seen_at: datetime | None) -> None:
    """Last-seen bookkeeping: one UPDATE, at most once an hour per user (on the hot read path, a Reader: in
    autocommit there, in the caller's transaction from provision)."""
    if last_seen_at is None or last_seen_at < datetime.now(UTC) - LAST_SEEN_EVERY:
        db.run("UPDATE users SET last_seen_at = %s WHERE id = %s", (datetime.now(UTC), user_id))


def _user_and_personal_team(db_session: Session, user_id: uuid.UUID) -> tuple[User | None, uuid.UUID | None]:
    """One query on every request: the user row and their personal team's id."""
    personal = select(Team.id).where(Team.created_by_user_id == User.id, Team.is_personal.is_(True))
    found = db_session.execute(select(User, personal.scalar_subquery()).where(User.id == user_id)).first()
    return (found[0], found[1]) if found is not None else (None, None)


def team_scope(*, db_session: Session, caller: Caller, team_id: uuid.UUID | None) -> TeamScope:
    """The team a request acts for: the one it names (must be a member), else the personal team."""
    return scope_for(db_session=db_session, user_id=caller.user_id, team_id=team_id or caller.personal_team_id)


def require_admin(caller: Caller) -> None:
    if not caller.is_admin:
        raise Forbidden("this route is for administrators")


def require_registered(caller: Caller) -> None:
    """Paid routes refuse Supabase anonymous sign-ins."""
    if caller.is_anonymous:
        raise Forbidden("sign up to use paid features")
