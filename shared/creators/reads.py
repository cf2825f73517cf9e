"""GET /v1/creators/{username} in one statement: the caller's user row and personal team, their membership of the
team the request acts for, the creator's stored report document, whether that team has it unlocked, and the
unlock price, all in one round trip: one statement in autocommit (cached_view). First sight of a caller
(provisioning) and a creator without a document yet take report_view's transaction once; an hourly last-seen
update adds one statement."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from shared.auth import service as auth_service
from shared.auth.schemas import Claims
from shared.creators import documents
from shared.creators import report as reports
from shared.credits.unlocks import UNLOCK_ACTION
from shared.db import Reader
from shared.errors import NotFound
from shared.etags import none_match_holds
from shared.teams.scope import TeamScope

# Both statements live in database functions (migrations 0013, 0015 and 0016): PL/pgSQL keeps their plans per
# connection, which Supabase's transaction pooler allows and named prepared statements it does not. Planning was
# most of their cost. A row carries the document only for a team with the creator unlocked, the profile only for
# one without, and neither when the caller's ETag names the stored version.
# They go through shared.db.Reader (the driver's %s placeholders): (user, team, username, action, known version)
# and (team, creator, action, known version).
HOT_PATH = "SELECT * FROM report_for_caller(CAST(%s AS uuid), CAST(%s AS uuid), %s, %s, CAST(%s AS bigint))"
SCOPED = "SELECT * FROM report_for_team(CAST(%s AS uuid), CAST(%s AS bigint), %s, CAST(%s AS bigint))"


@dataclass(frozen=True)
class ReportView:
    """What the route sends: the body as stored (no re-validation) and its ETag (version and unlock state)."""

    body: str | None  # JSON text; None when the caller's If-None-Match still holds (304)
    etag: str
    kind: str  # report | preview


@dataclass(frozen=True)
class Miss:
    """What the hot path leaves to report_view's transaction: a caller seen for the first time (provisioning), or a
    creator held from before documents existed (its document is built once)."""

    first_sight: bool


def cached_view(
    *, db: Reader, claims: Claims, team_id: uuid.UUID | None, username: str, if_none_match: str = ""
) -> ReportView | Miss:
    """The hot path, on shared.db.read_scope (autocommit): one statement, one round trip; two when the hourly
    last-seen update is due. Each stands alone, so no transaction is needed around them."""
    row = _hot_row(db, claims.sub, team_id, username, _known_version(if_none_match))
    if row is None:
        return Miss(first_sight=True)
    if row.role is not None and row.creator_id is not None and row.version is None:
        return Miss(first_sight=False)
    auth_service.note_seen(db=db, user_id=row.user_id, last_seen_at=row.last_seen_at)
    return _served(db, row, claims, team_id, username, if_none_match)


def report_view(
    *,
    db_session: Session,
    claims: Claims,
    team_id: uuid.UUID | None,
    username: str,
    if_none_match: str = "",
    first_sight: bool = False,
) -> ReportView:
    """The same view in one transaction (session_scope) that first provisions a caller seen for the first time
    (`first_sight`: the hot path found no user row) and builds a missing document."""
    db = Reader.on(db_session)  # the same statements, inside this transaction
    if first_sight:  # idempotent: a concurrent first call's rows are kept (shared.auth.service)
        auth_service.create_on_first_sight(db_session=db_session, claims=claims)
    known = _known_version(if_none_match)
    row = _hot_row(db, claims.sub, team_id, username, known)
    if row is None:  # a caller deleted since the hot path looked: provisioned again, as on first sight
        auth_service.create_on_first_sight(db_session=db_session, claims=claims)
        row = _hot_row(db, claims.sub, team_id, username, known)
        assert row is not None
    if row.role is not None and row.creator_id is not None and row.version is None:
        documents.write(db_session=db_session, creator_id=row.creator_id)
        row = _hot_row(db, claims.sub, team_id, username, known)
    return _served(db, row, claims, team_id, username, if_none_match)


def _served(
    db: Reader, row: Any, claims: Claims, team_id: uuid.UUID | None, username: str, if_none_match: str
) -> ReportView:
    if row.role is None:
        raise NotFound("team not found")  # as scope_for: whether the team exists is not revealed
    if row.creator_id is None:
        raise NotFound(f"no creator @{username} yet: search for it first")
    view = _view(row, if_none_match)
    if view is None:  # same version, but the unlock state, price or freshness changed: the body after all
        view = _view(_hot_row(db, claims.sub, team_id, username, None), if_none_match)
    assert view is not None
    return view


def scoped_view(*, db_session: Session, scope: TeamScope, creator_id: int, if_none_match: str = "") -> ReportView:
    """The same view for a caller already resolved, in one statement: a search that finds fresh data, and a job's
    stream, which passes the last ETag it sent (`if_none_match`) so that nothing but the ETag travels until it
    changes."""
    db = Reader.on(db_session)

    def read(known: int | None) -> Any:
        return db.one(SCOPED, (scope.team_id, creator_id, UNLOCK_ACTION, known))

    row = read(_known_version(if_none_match))
    if row is None or row.version is None:
        documents.write(db_session=db_session, creator_id=creator_id)
        row = read(None)
    view = _view(row, if_none_match) or _view(read(None), if_none_match)  # as _served: the body after all
    assert view is not None
    return view


def _view(row: Any, if_none_match: str) -> ReportView | None:
    """The view of a row; None when the body is needed but the row left it out (its version was known)."""
    fresh = reports.freshness_at(row.scraped_at)
    # Weak: the body's age_hours moves with the clock; version, unlock state, freshness and price do not.
    state = "u" if row.unlocked else f"l{row.unlock_credits}"
    etag = f'W/"r{row.version}-{state}-f{int(fresh.fresh)}"'
    kind = "report" if row.unlocked else "preview"
    if none_match_holds(etag, if_none_match):
        return ReportView(None, etag, kind)
    if row.unlocked:
        if row.document_text is None:
            return None
        return ReportView(documents.full_body_text(row.document_text, fresh), etag, kind)
    if row.profile is None:  # the version was known: the statement sent no profile either
        return None
    preview = documents.preview_body(row.profile, fresh, action=UNLOCK_ACTION, credits=int(row.unlock_credits or 0))
    return ReportView(json.dumps({"kind": "preview", "preview": preview}), etag, kind)


def _known_version(if_none_match: str) -> int | None:
    """The document version the caller's ETag names; None for none, or for digits no bigint holds (not ours)."""
    found = re.search(r'"r(\d{1,18})-', if_none_match)
    return int(found.group(1)) if found else None


def _hot_row(db: Reader, user_id: uuid.UUID, team_id: uuid.UUID | None, username: str, known: int | None) -> Any:
    return db.one(HOT_PATH, (user_id, team_id, username, UNLOCK_ACTION, known))
