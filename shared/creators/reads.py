"""GET /v1/creators/{username} in one statement: the caller's user row and personal team, their membership of the
team the request acts for, the creator's stored report document, whether that team has it unlocked, and the
unlock price, all in one round trip. First sight of a caller (provisioning), an hourly last-seen update and a
creator without a document yet take the longer path once, then the hot path serves."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from shared.auth import service as auth_service
from shared.auth.schemas import Claims
from shared.creators import documents
from shared.credits.unlocks import UNLOCK_ACTION
from shared.errors import NotFound
from shared.teams.scope import TeamScope

# Both statements live in database functions (migration 0013): PL/pgSQL keeps their plans per connection, which
# Supabase's transaction pooler allows and named prepared statements it does not. Planning was most of their cost.
HOT_PATH = text(
    "SELECT * FROM report_for_caller(CAST(:user_id AS uuid), CAST(:team_id AS uuid), :username, :action,"
    " CAST(:known_version AS bigint))"
)
SCOPED = text(
    "SELECT * FROM report_for_team(CAST(:team_id AS uuid), CAST(:creator_id AS bigint), :action,"
    " CAST(:known_version AS bigint))"
)


@dataclass(frozen=True)
class ReportView:
    """What the route sends: the body as stored (no re-validation) and its ETag (version and unlock state)."""

    body: str | None  # JSON text; None when the caller's If-None-Match still holds (304)
    etag: str
    kind: str  # report | preview


def report_view(
    *, db_session: Session, claims: Claims, team_id: uuid.UUID | None, username: str, if_none_match: str = ""
) -> ReportView:
    known = _known_version(if_none_match)
    row = _hot_row(db_session, claims.sub, team_id, username, known)
    if row is None:  # first sight (no user row): provisioning, once
        auth_service.create_on_first_sight(db_session=db_session, claims=claims)
        row = _hot_row(db_session, claims.sub, team_id, username, known)
        assert row is not None
    else:  # at most hourly, one more statement
        auth_service.note_seen(db_session=db_session, user_id=row.user_id, last_seen_at=row.last_seen_at)
    if row.role is None:
        raise NotFound("team not found")  # as scope_for: whether the team exists is not revealed
    if row.creator_id is None:
        raise NotFound(f"no creator @{username} yet: search for it first")
    if row.version is None:  # held before documents existed and not backfilled: build it now, once
        documents.write(db_session=db_session, creator_id=row.creator_id)
        row = _hot_row(db_session, claims.sub, team_id, username, known)
    view = _view(row, if_none_match)
    if view is None:  # same version, but the unlock state or price changed: the body after all
        view = _view(_hot_row(db_session, claims.sub, team_id, username, None), if_none_match)
    assert view is not None
    return view


def scoped_view(*, db_session: Session, scope: TeamScope, creator_id: int) -> ReportView:
    """The same view for a caller already resolved (a search that finds fresh data): one statement."""
    values = {"team_id": scope.team_id, "creator_id": creator_id, "action": UNLOCK_ACTION, "known_version": None}
    row = db_session.execute(SCOPED, values).first()
    if row is None or row.version is None:
        documents.write(db_session=db_session, creator_id=creator_id)
        row = db_session.execute(SCOPED, values).first()
    view = _view(row, "")
    assert view is not None
    return view


def _view(row: Any, if_none_match: str) -> ReportView | None:
    """The view of a row; None when the body is needed but the row left it out (its version was known)."""
    fresh = documents.freshness_at(row.scraped_at)
    # Weak: the body's age_hours moves with the clock; version, unlock state, freshness and price do not.
    state = "u" if row.unlocked else f"l{row.unlock_credits}"
    etag = f'W/"r{row.version}-{state}-f{int(fresh.fresh)}"'
    kind = "report" if row.unlocked else "preview"
    if etag in {tag.strip() for tag in if_none_match.split(",")}:
        return ReportView(None, etag, kind)
    if row.unlocked:
        if row.document_text is None:
            return None
        return ReportView(documents.full_body_text(row.document_text, fresh), etag, kind)
    preview = documents.preview_body(row.profile, fresh, action=UNLOCK_ACTION, credits=int(row.unlock_credits or 0))
    return ReportView(json.dumps({"kind": "preview", "preview": preview}), etag, kind)


def _known_version(if_none_match: str) -> int | None:
    found = re.search(r'"r(\d+)-', if_none_match)
    return int(found.group(1)) if found else None


def _hot_row(
    db_session: Session, user_id: uuid.UUID, team_id: uuid.UUID | None, username: str, known: int | None
) -> Any:
    values = {"user_id": user_id, "team_id": str(team_id) if team_id else None, "username": username}
    return db_session.execute(HOT_PATH, {**values, "action": UNLOCK_ACTION, "known_version": known}).first()
