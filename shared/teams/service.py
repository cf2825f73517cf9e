"""Teams, members and users: database work only. Team data is reached through a TeamScope
(shared.teams.scope); steps that also touch wallets or Supabase live in shared.teams.flows."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.errors import Conflict, Forbidden, NotFound
from shared.teams.models import Team, TeamMember, User
from shared.teams.scope import TeamScope


def get(*, db_session: Session, scope: TeamScope) -> Team:
    team = db_session.get(Team, scope.team_id)
    if team is None:
        raise NotFound(f"team {scope.team_id} not found")
    return team


def get_all_for_user(*, db_session: Session, user_id: uuid.UUID) -> list[tuple[Team, str]]:
    rows = db_session.execute(
        select(Team, TeamMember.role)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .where(TeamMember.user_id == user_id)
        .order_by(Team.created_at)
    )
    return [(team, role) for team, role in rows]


def get_plan(*, db_session: Session, team_id: uuid.UUID) -> str:
    """The team's plan (free, standard, premium); free for a team that is gone."""
    return db_session.scalar(select(Team.plan).where(Team.id == team_id)) or "free"


def get_personal_team_id(*, db_session: Session, user_id: uuid.UUID) -> uuid.UUID | None:
    return db_session.scalar(select(Team.id).where(Team.created_by_user_id == user_id, Team.is_personal.is_(True)))


def create(*, db_session: Session, user_id: uuid.UUID, name: str, personal: bool = False) -> Team:
    """A team with its creator as owner (teams.flows.create adds the wallet)."""
    team = Team(name=name, is_personal=personal, plan="free", created_by_user_id=user_id)
    db_session.add(team)
    db_session.flush()
    db_session.add(TeamMember(team_id=team.id, user_id=user_id, role="owner"))
    return team


def get_user_by_email(*, db_session: Session, email: str) -> User | None:
    """The account for an email, any case. Emails are not unique (a recreated Supabase account gets a new
    row), so the one seen most recently wins, and a never-signed-in row only when no other exists."""
    return db_session.scalar(
        select(User)
        .where(func.lower(User.email) == email.strip().lower())
        .order_by(User.last_seen_at.desc().nulls_last(), User.created_at.desc())
        .limit(1)
    )


def get_members(*, db_session: Session, scope: TeamScope) -> list[tuple[TeamMember, User]]:
    rows = db_session.execute(
        select(TeamMember, User)
        .join(User, User.id == TeamMember.user_id)
        .where(TeamMember.team_id == scope.team_id)
        .order_by(TeamMember.joined_at)
    )
    return [(member, user) for member, user in rows]


def add_member(*, db_session: Session, scope: TeamScope, user: User, role: str) -> TeamMember:
    """Make `user` a member of the scope's team; managers only."""
    scope.require_manager()
    if db_session.get(TeamMember, (scope.team_id, user.id)) is not None:
        raise Conflict("that user is already a member")
    member = TeamMember(team_id=scope.team_id, user_id=user.id, role=role)
    db_session.add(member)
    db_session.flush()
    return member


def _member(db_session: Session, scope: TeamScope, user_id: uuid.UUID) -> TeamMember:
    member = db_session.get(TeamMember, (scope.team_id, user_id), with_for_update=True)
    if member is None:
        raise NotFound(f"user {user_id} is not a member of this team")
    return member


def _owners(db_session: Session, team_id: uuid.UUID) -> int:
    owners = db_session.scalars(
        select(TeamMember.user_id).where(TeamMember.team_id == team_id, TeamMember.role == "owner").with_for_update()
    ).all()
    return len(owners)


def change_role(*, db_session: Session, scope: TeamScope, user_id: uuid.UUID, role: str) -> tuple[TeamMember, User]:
    """Owners change any role; admins only between admin and member; the last owner stays owner."""
    scope.require_manager()
    member = _member(db_session, scope, user_id)
    if scope.role != "owner" and "owner" in (role, member.role):
        raise Forbidden("only an owner may grant or take away the owner role")
    if member.role == "owner" and role != "owner" and _owners(db_session, scope.team_id) <= 1:
        raise Conflict("a team keeps at least one owner")
    member.role = role
    user = db_session.get(User, user_id)
    assert user is not None  # a membership row references its user
    return member, user


def remove_member(*, db_session: Session, scope: TeamScope, user_id: uuid.UUID) -> None:
    """Managers remove members (owners only remove owners); anyone may leave; the last owner may not."""
    if user_id != scope.user_id:
        scope.require_manager()
    member = _member(db_session, scope, user_id)
    if member.role == "owner":
        if scope.role != "owner":
            raise Forbidden("only an owner may remove an owner")
        if _owners(db_session, scope.team_id) <= 1:
            raise Conflict("a team keeps at least one owner")
    team = db_session.get(Team, scope.team_id)
    if team is not None and team.is_personal and member.role == "owner":
        raise Conflict("a personal team keeps its owner")
    db_session.delete(member)
