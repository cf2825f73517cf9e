"""The materialized report: each creator's report document (JSONB) with a version that only grows.

Every stage that changes what the report shows (scrape and refresh, each CDN image, analysis, insights) calls
`write` in its own transaction, so a document can never be older than the data it describes. The document is
built through the report's pydantic models (validated once, when written); reads serve it as stored, adding only
what depends on the moment (freshness) or the caller (preview or full, the unlock price).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.catalogue import index as catalogue_index
from shared.creators import report as reports
from shared.creators.models import Creator, CreatorReport

TIME_DEPENDENT = {"freshness", "job"}


def build(*, db_session: Session, creator: Creator) -> dict[str, Any]:
    """The document as the report assembler makes it, less what depends on the moment of reading."""
    return reports.full(db_session=db_session, creator=creator).model_dump(mode="json", exclude=TIME_DEPENDENT)


def write(*, db_session: Session, creator_id: int, embedding: bool = False, index: bool = True) -> int:
    """Rebuild and store the creator's document, and its catalogue row (`embedding`: recompute the content
    vector too, when new analysis landed); returns the document's new version."""
    creator = db_session.get(Creator, creator_id)
    if creator is None or creator.scraped_at is None:  # unknown, or only a post's owner (never scraped)
        return 0
    db_session.flush()  # the rows this transaction changed are what the document must show
    document = build(db_session=db_session, creator=creator)
    if index:  # False only for migration 0009's backfill, which runs before the catalogue table exists
        catalogue_index.refresh(db_session=db_session, creator_id=creator_id, document=document, embedding=embedding)
    statement = insert(CreatorReport).values(creator_id=creator_id, version=1, document=document)
    return int(
        db_session.execute(
            statement.on_conflict_do_update(
                index_elements=["creator_id"],
                set_={"version": CreatorReport.version + 1, "document": statement.excluded.document},
            ).returning(CreatorReport.version)
        ).scalar_one()
    )


def version_of(*, db_session: Session, creator_id: int) -> int | None:
    return db_session.scalar(select(CreatorReport.version).where(CreatorReport.creator_id == creator_id))


def full_body_text(document_text: str, fresh: reports.Freshness) -> str:
    """The full report as the API returns it, spliced as text: the stored document (a JSON object) plus its
    freshness, computed now. No parse and no re-serialization of the document."""
    assert document_text.endswith("}")
    extra = f', "freshness": {fresh.model_dump_json()}, "job": null}}'
    return '{"kind": "report", "report": ' + document_text[:-1] + extra + "}"


def preview_body(profile: dict[str, Any], fresh: reports.Freshness, *, action: str, credits: int) -> dict[str, Any]:
    """The preview, a projection of the same document: no post, analysis, insight or history field."""
    return {
        "profile": {key: profile[key] for key in reports.PREVIEW_PROFILE},
        "posts_count": profile["posts_count"],
        "locked": True,
        "unlock_price": {"action": action, "credits": credits},
        "freshness": fresh.model_dump(mode="json"),
    }
