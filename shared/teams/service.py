"""Teams and members. Team data is reached only through a TeamScope, which only `scope_for` makes,
after checking that the caller belongs to the team: scoping cannot be skipped by passing a raw id."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.errors import Conflict, Forbidden, NotFound
from shared.teams.models import Team, TeamMember, User

_ISSUED = object()
MANAGERS = ("owner", "admin")


@dataclass(frozen=True)
class TeamScope:
    """Proof that `user_id` is a member of `team_id` with `role`."""

    team_id: uuid.UUID
    user_id: uuid.UUID
    role: str
    _issued: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._issued is not _ISSUED:
            raise TypeError("a TeamScope comes only from teams.service.scope_for")

    def require_manager(self) -> None:
        if self.role not in MANAGERS:
            raise Forbidden("only a team owner or admin may do this")


def scope_for(*, db_session: Session, user_id: uuid.UUID, team_id: uuid.UUID) -> TeamScope:
    """The caller's scope on a team; NotFound when they are not a member (existence is not revealed)."""
    role = db_session.scalar(
        select(TeamMember.role).where(TeamMember.team_id == team_id, TeamMember.user_id == user_id)
    )
    if role is None:
        raise NotFound("team not found")
    return TeamScope(team_id=team_id, user_id=user_id, role=role, _issued=_ISSUED)


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


def create(*, db_session: Session, user_id: uuid.UUID, name: str, personal: bool = False) -> Team:
    """A team with its creator as owner, and its wallet (one transaction with the caller's)."""
    from shared.credits import service as credits_service

    team = Team(name=name, is_personal=personal, plan="free", created_by_user_id=user_id)
    db_session.add(team)
    db_session.flush()
    db_session.add(TeamMember(team_id=team.id, user_id=user_id, role="owner"))
    credits_service.create_wallet(db_session=db_session, team_id=team.id)
    return team


def get_members(*, db_session: Session, scope: TeamScope) -> list[tuple[TeamMember, User]]:
    rows = db_session.execute(
        select(TeamMember, User)
        .join(User, User.id == TeamMember.user_id)
        .where(TeamMember.team_id == scope.team_id)
        .order_by(TeamMember.joined_at)
    )
    return [(member, user) for member, user in rows]


def add_member(*, db_session: Session, scope: TeamScope, email: str, role: str) -> tuple[TeamMember, User]:
    """Add a user by email, inviting them through Supabase when they have not signed up; managers only."""
    scope.require_manager()
    user = db_session.scalar(
        select(User)
        .where(func.lower(User.email) == email.lower())
        .order_by(User.last_seen_at.desc().nulls_last())
        .limit(1)
    )
    if user is None:
        from shared.auth import invites

        user_id = invites.invite_or_find(db_session, email)
        invites.ensure_account(db_session, user_id, email)
        user = db_session.get(User, user_id)
        assert user is not None
    if db_session.get(TeamMember, (scope.team_id, user.id)) is not None:
        raise Conflict("that user is already a member")
    member = TeamMember(team_id=scope.team_id, user_id=user.id, role=role)
    db_session.add(member)
    db_session.flush()
    return member, user


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


def change_role(*, db_session: Session, scope: TeamScope, user_id: uuid.UUID, role: str) -> TeamMember:
    """Owners change any role; admins only between admin and member; the last owner stays owner."""
    scope.require_manager()
    member = _member(db_session, scope, user_id)
    if scope.role != "owner" and "owner" in (role, member.role):
        raise Forbidden("only an owner may grant or take away the owner role")
    if member.role == "owner" and role != "owner" and _owners(db_session, scope.team_id) <= 1:
        raise Conflict("a team keeps at least one owner")
    member.role = role
    return member


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


def wallet_id_for_admin(*, db_session: Session, team_id: uuid.UUID) -> int:
    """Any team's wallet id, for administrator routes only (callers check the admin role first)."""
    from shared.credits.models import CreditWallet

    wallet_id = db_session.scalar(select(CreditWallet.id).where(CreditWallet.team_id == team_id))
    if wallet_id is None:
        raise NotFound(f"team {team_id} not found")
    return wallet_id
