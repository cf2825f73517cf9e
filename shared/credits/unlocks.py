"""30-day creator unlocks: one charge per team per creator per window, through the ledger's charge path."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.creators import service as creators_service
from shared.creators.models import Creator
from shared.credits import service as credits_service
from shared.credits.models import CreditTransaction, CreditWallet, UnlockedInfluencer
from shared.credits.schemas import UnlockedCreatorOut, UnlockOut, UnlocksPage, UnlocksQuery
from shared.db import advisory_lock
from shared.teams.scope import TeamScope

UNLOCK_ACTION = "profile_unlock"
UNLOCK_DAYS = 30


def unlock_by_username(*, db_session: Session, scope: TeamScope, username: str) -> UnlockOut:
    """POST /v1/creators/{username}/unlock: the creator we hold under that name, unlocked for the team."""
    creator = creators_service.get_by_username(db_session=db_session, username=username)
    access, entry = unlock(db_session=db_session, scope=scope, creator_id=creator.id)
    return UnlockOut(
        creator_username=creator.username,
        unlocked_at=access.unlocked_at,
        expires_at=access.expires_at,
        charged_credits=-entry.amount if entry else 0,
        already_unlocked=entry is None,
    )


def active_unlock(*, db_session: Session, scope: TeamScope, creator_id: int) -> UnlockedInfluencer | None:
    return db_session.scalar(
        select(UnlockedInfluencer)
        .where(
            UnlockedInfluencer.team_id == scope.team_id,
            UnlockedInfluencer.creator_id == creator_id,
            UnlockedInfluencer.expires_at > datetime.now(UTC),
        )
        .order_by(UnlockedInfluencer.expires_at.desc())
    )


def has_access(*, db_session: Session, scope: TeamScope, creator_id: int) -> bool:
    """What the report route checks: an unexpired unlock for the caller's team."""
    return active_unlock(db_session=db_session, scope=scope, creator_id=creator_id) is not None


def unlock(
    *, db_session: Session, scope: TeamScope, creator_id: int, idempotency_key: str | None = None
) -> tuple[UnlockedInfluencer, CreditTransaction | None]:
    """Unlock a creator for 30 days; an active unlock is returned as is, with no new charge."""
    advisory_lock(db_session, f"unlock:{scope.team_id}:{creator_id}")
    if (existing := active_unlock(db_session=db_session, scope=scope, creator_id=creator_id)) is not None:
        return existing, None
    access = UnlockedInfluencer(
        team_id=scope.team_id,
        creator_id=creator_id,
        unlocked_by_user_id=scope.user_id,
        expires_at=datetime.now(UTC) + timedelta(days=UNLOCK_DAYS),
    )
    db_session.add(access)
    db_session.flush()
    entry = credits_service.charge(
        db_session=db_session,
        scope=scope,
        action=UNLOCK_ACTION,
        idempotency_key=idempotency_key or f"unlock:{access.id}",
        reference_type="creator",
        reference_id=str(creator_id),
    )
    access.transaction_id = entry.id
    return access, entry


def charge_search(
    *, db_session: Session, scope: TeamScope, job_id: uuid.UUID, action: str = UNLOCK_ACTION
) -> CreditTransaction:
    """A search that needs a scrape is charged up front, keyed by job and team (joined jobs serve many teams)."""
    return credits_service.charge(
        db_session=db_session,
        scope=scope,
        action=action,
        idempotency_key=f"job:{job_id}:team:{scope.team_id}",
        reference_type="job",
        reference_id=str(job_id),
    )


def refund_charge(*, db_session: Session, charge: CreditTransaction, reason: str) -> CreditTransaction:
    """Give one search charge back (a compensating entry, once)."""
    return credits_service.refund(db_session=db_session, idempotency_key=charge.idempotency_key, reason=reason)


def grant_paid_unlock(*, db_session: Session, charge: CreditTransaction, creator_id: int) -> UnlockedInfluencer:
    """The unlock a search charge paid for, recorded once per charge."""
    existing = db_session.scalar(select(UnlockedInfluencer).where(UnlockedInfluencer.transaction_id == charge.id))
    if existing is not None:
        return existing
    team_id = db_session.scalar(select(CreditWallet.team_id).where(CreditWallet.id == charge.wallet_id))
    access = UnlockedInfluencer(
        team_id=team_id,
        creator_id=creator_id,
        unlocked_by_user_id=charge.actor_user_id,
        transaction_id=charge.id,
        expires_at=datetime.now(UTC) + timedelta(days=UNLOCK_DAYS),
    )
    db_session.add(access)
    db_session.flush()
    return access


def list_unlocks(*, db_session: Session, scope: TeamScope, query: UnlocksQuery) -> UnlocksPage:
    """GET /v1/unlocks: the team's unlocked creators (each creator's latest unlock), latest expiry first."""
    now = datetime.now(UTC)
    latest = (
        select(UnlockedInfluencer.creator_id, UnlockedInfluencer.unlocked_at, UnlockedInfluencer.expires_at)
        .where(UnlockedInfluencer.team_id == scope.team_id)
        .order_by(UnlockedInfluencer.creator_id, UnlockedInfluencer.expires_at.desc())
        .distinct(UnlockedInfluencer.creator_id)
        .subquery()
    )
    matching = select(latest).where(latest.c.expires_at > now) if not query.include_expired else select(latest)
    found = matching.subquery()
    total = db_session.scalar(select(func.count()).select_from(found)) or 0
    rows = db_session.execute(
        select(Creator.username, Creator.full_name, Creator.followers_count, found.c.unlocked_at, found.c.expires_at)
        .join(found, found.c.creator_id == Creator.id)
        .order_by(found.c.expires_at.desc(), Creator.id)
        .limit(query.limit)
    ).all()
    items = [UnlockedCreatorOut(**row._asdict(), active=row.expires_at > now) for row in rows]
    return UnlocksPage(items=items, total=total)
