"""GET /v1/me and the team routes."""

from __future__ import annotations

import uuid

from pydantic import BaseModel

from functions.api import deps
from shared.db import session_scope
from shared.http.router import RequestContext, Router
from shared.teams import flows as teams_flows
from shared.teams import service as teams_service
from shared.teams.schemas import MemberAdd, MemberOut, MemberRoleChange, MembershipOut, TeamCreate, TeamOut


class MeOut(BaseModel):
    user_id: uuid.UUID
    email: str | None
    is_admin: bool
    personal_team_id: uuid.UUID
    teams: list[MembershipOut]


class MemberList(BaseModel):
    items: list[MemberOut]


def register(router: Router) -> None:
    @router.get("/v1/me", response=MeOut, tags=("teams",))
    def me(ctx: RequestContext) -> MeOut:
        """The caller, provisioned on first call, with every team they belong to."""
        with session_scope() as db:
            who = deps.caller(ctx, db)
            teams = teams_service.get_all_for_user(db_session=db, user_id=who.user_id)
            memberships = [MembershipOut(team=TeamOut.model_validate(t), role=r) for t, r in teams]  # type: ignore[arg-type]
        return MeOut(**who.model_dump(exclude={"is_anonymous"}), teams=memberships)

    @router.post("/v1/teams", body=TeamCreate, response=TeamOut, status=201, tags=("teams",))
    def create_team(ctx: RequestContext, body: TeamCreate) -> TeamOut:
        """Create a team owned by the caller, with its own wallet."""
        with session_scope() as db:
            who = deps.caller(ctx, db)
            return TeamOut.model_validate(teams_flows.create(db_session=db, user_id=who.user_id, name=body.name))

    @router.get("/v1/teams/{team_id}", response=TeamOut, tags=("teams",))
    def get_team(ctx: RequestContext, team_id: str) -> TeamOut:
        with session_scope() as db:
            _, scope = deps.scope(ctx, db, team_id)
            return TeamOut.model_validate(teams_service.get(db_session=db, scope=scope))

    @router.get("/v1/teams/{team_id}/members", response=MemberList, tags=("teams",))
    def list_members(ctx: RequestContext, team_id: str) -> MemberList:
        with session_scope() as db:
            _, scope = deps.scope(ctx, db, team_id)
            rows = teams_service.get_members(db_session=db, scope=scope)
            return MemberList(items=[_member_out(m, u) for m, u in rows])

    @router.post("/v1/teams/{team_id}/members", body=MemberAdd, response=MemberOut, status=201, tags=("teams",))
    def add_member(ctx: RequestContext, team_id: str, body: MemberAdd) -> MemberOut:
        """Add a person by email (owners and admins); one who has not signed up gets a Supabase invite."""
        with session_scope() as db:
            _, scope = deps.scope(ctx, db, team_id)
            member, user = teams_flows.invite_member(db_session=db, scope=scope, email=body.email, role=body.role)
            return _member_out(member, user)

    @router.route(
        "PATCH", "/v1/teams/{team_id}/members/{user_id}", body=MemberRoleChange, response=MemberOut, tags=("teams",)
    )
    def change_role(ctx: RequestContext, team_id: str, user_id: str, body: MemberRoleChange) -> MemberOut:
        with session_scope() as db:
            _, scope = deps.scope(ctx, db, team_id)
            target = deps.parse_uuid(user_id, "user id")
            member, user = teams_service.change_role(db_session=db, scope=scope, user_id=target, role=body.role)
            return _member_out(member, user)

    @router.route("DELETE", "/v1/teams/{team_id}/members/{user_id}", status=204, tags=("teams",))
    def remove_member(ctx: RequestContext, team_id: str, user_id: str) -> None:
        """Remove a member (owners and admins), or leave the team (anyone, for themselves)."""
        with session_scope() as db:
            _, scope = deps.scope(ctx, db, team_id)
            target = deps.parse_uuid(user_id, "user id")
            teams_service.remove_member(db_session=db, scope=scope, user_id=target)


def _member_out(member, user) -> MemberOut:  # type: ignore[no-untyped-def]
    return MemberOut(user_id=member.user_id, email=user.email, role=member.role, joined_at=member.joined_at)
