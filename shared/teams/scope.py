"""TeamScope: the proof a request may touch a team's data, made only by `scope_for` after a membership check,
so scoping cannot be skipped by passing a raw id."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.errors import Forbidden, NotFound
from shared.teams.models import TeamMember

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
            raise TypeError("a TeamScope comes only from teams.scope.scope_for")

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
