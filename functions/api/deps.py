"""Request -> caller and team scope: bearer token verified, user provisioned, team membership checked."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from shared.auth import service as auth_service
from shared.auth.schemas import Caller, Claims
from shared.auth.tokens import TokenVerifier
from shared.config import get_settings, per_instance
from shared.errors import InvalidInput, Unauthorized
from shared.http.router import RequestContext
from shared.teams.scope import TeamScope


@per_instance()
def verifier() -> TokenVerifier:
    return TokenVerifier(get_settings().auth)


def claims(ctx: RequestContext) -> Claims:
    """The verified claims of the bearer token (in-process: no database); 401 without a valid one."""
    scheme, _, token = (ctx.header("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send 'Authorization: Bearer <Supabase access token>'")
    return verifier().verify(token.strip())


def caller(ctx: RequestContext, db_session: Session) -> Caller:
    """The authenticated caller (provisioned on first sight); 401 without a valid bearer token."""
    return auth_service.provision(db_session=db_session, claims=claims(ctx))


def requested_team(ctx: RequestContext) -> uuid.UUID | None:
    """The team named by X-Team-Id, if any (the personal team otherwise)."""
    raw = ctx.header("X-Team-Id")
    return parse_uuid(raw, "team id") if raw else None


def parse_uuid(raw: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError as exc:
        raise InvalidInput(f"{what} {raw!r} is not a UUID") from exc


def scope(ctx: RequestContext, db_session: Session, team_id: str | None = None) -> tuple[Caller, TeamScope]:
    """Caller plus the team the request acts for: the path's team, else X-Team-Id, else the personal team."""
    who = caller(ctx, db_session)
    raw = team_id if team_id is not None else ctx.header("X-Team-Id")
    wanted = parse_uuid(raw, "team id") if raw else None
    return who, auth_service.team_scope(db_session=db_session, caller=who, team_id=wanted)
