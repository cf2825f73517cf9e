"""Reading a report: what each read brings out of the database (only what the caller's team may see, nothing while
its ETag holds), and revalidation: when the stored version is unchanged but the ETag is not (an unlock that lapsed
or landed, data that went stale), the caller gets the new body; a tag the API never made is only a miss."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text

from shared.creators import documents, reads
from shared.creators.models import Creator
from shared.credits.models import UnlockedInfluencer
from shared.db import Reader, session_scope
from shared.jobs import stream
from shared.jobs.schemas import JobOut
from shared.teams.models import Team
from shared.teams.scope import scope_for

pytestmark = pytest.mark.usefixtures("db")


def held(username: str) -> int:
    """A creator with its stored document, as the scrape stage leaves one (version 1)."""
    with session_scope() as db:
        creator = Creator(username=username, full_name="Nano Bakes", scraped_at=datetime.now(UTC))
        db.add(creator)
        db.flush()
        documents.write(db_session=db, creator_id=creator.id)
        return creator.id


def get(api: Any, headers: dict[str, str], etag: str | None = None) -> Any:
    extra = {"If-None-Match": etag} if etag else {}
    return api.get("/v1/creators/nano_bakes", headers={**headers, **extra})


def personal_team(user: uuid.UUID) -> uuid.UUID:
    with session_scope() as db:
        team = db.scalar(select(Team.id).where(Team.created_by_user_id == user, Team.is_personal.is_(True)))
        assert team is not None
        return team


def unlock_for(user: uuid.UUID, creator_id: int, expires_at: datetime) -> None:
    with session_scope() as db:
        db.add(UnlockedInfluencer(team_id=personal_team(user), creator_id=creator_id, expires_at=expires_at))


def row_of(statement: str, values: tuple[Any, ...]) -> Any:
    """The row one of the report functions returns (shared.creators.reads' statements), as the API reads it."""
    with session_scope() as db:
        row = Reader.on(db).one(statement, values)
    assert row is not None
    return row


def test_a_read_carries_the_document_only_to_a_team_with_the_creator_unlocked(api, bearer) -> None:  # type: ignore[no-untyped-def]
    creator_id, owner, outsider = held("nano_bakes"), uuid.uuid4(), uuid.uuid4()
    for user in (owner, outsider):
        get(api, bearer(sub=user))  # provisioned: a personal team each
    unlock_for(owner, creator_id, datetime.now(UTC) + timedelta(days=30))
    rows = {
        user: row_of(reads.HOT_PATH, (user, None, "nano_bakes", reads.UNLOCK_ACTION, None))
        for user in (owner, outsider)
    }
    scoped = row_of(reads.SCOPED, (personal_team(outsider), creator_id, reads.UNLOCK_ACTION, None))
    assert rows[owner].unlocked and rows[owner].document_text is not None and rows[owner].profile is None
    for row in (rows[outsider], scoped):  # the report's fields never leave the database for a locked team
        assert not row.unlocked and row.document_text is None and row.profile["username"] == "nano_bakes"
    # The caller's ETag names the stored version: neither travels.
    known = row_of(reads.HOT_PATH, (outsider, None, "nano_bakes", reads.UNLOCK_ACTION, rows[outsider].version))
    assert known.document_text is None and known.profile is None


def test_a_job_stream_leaves_the_report_in_the_database_while_its_etag_holds(bearer, api) -> None:  # type: ignore[no-untyped-def]
    creator_id, user = held("nano_bakes"), uuid.uuid4()
    etag = get(api, bearer(sub=user)).headers["ETag"]
    with session_scope() as db:
        scope = scope_for(db_session=db, user_id=user, team_id=personal_team(user))
        same = reads.scoped_view(db_session=db, scope=scope, creator_id=creator_id, if_none_match=etag)
        moved = reads.scoped_view(db_session=db, scope=scope, creator_id=creator_id, if_none_match='W/"r1-u-f1"')
    assert same.etag == etag and same.body is None
    assert moved.etag == etag and moved.body is not None and '"kind": "preview"' in moved.body

    now = datetime.now(UTC)
    job = JobOut(
        id=uuid.uuid4(),
        username="nano_bakes",
        status="running",
        reason=None,
        stages={},
        created_at=now,
        updated_at=now,
        finished_at=None,
    )
    told: list[str | None] = []

    def reload(last_etag: str | None) -> stream.Progress:
        told.append(last_etag)
        return job.model_copy(update={"status": "complete"}), 'W/"r2-l25-f1"'

    frames = list(stream.progress_events((job, etag), reload, poll_s=0))
    assert told == [etag]  # the poll was told the ETag the stream had sent
    assert [frame.split("\n")[0] for frame in frames if not frame.startswith(":")] == [
        "event: progress",
        "event: report",
        "event: progress",
        "event: report",
        "event: end",
    ]


def test_a_preview_revalidated_once_its_data_went_stale_gets_the_stale_preview(api, bearer) -> None:  # type: ignore[no-untyped-def]
    held("nano_bakes")
    brand = bearer()
    first = get(api, brand)
    assert first.status_code == 200 and first.headers["ETag"] == 'W/"r1-l25-f1"'
    with session_scope() as db:  # the days pass; no stage lands, so the document keeps its version
        db.execute(text("UPDATE creators SET scraped_at = now() - interval '8 days'"))
    stale = get(api, brand, first.headers["ETag"])
    assert stale.status_code == 200 and stale.headers["ETag"] == 'W/"r1-l25-f0"', stale.data
    assert stale.json["kind"] == "preview" and stale.json["preview"]["freshness"]["fresh"] is False
    assert stale.json["preview"]["profile"]["username"] == "nano_bakes"


def test_an_unlock_that_lands_or_lapses_changes_the_body_at_the_same_version(api, bearer) -> None:  # type: ignore[no-untyped-def]
    creator_id, user = held("nano_bakes"), uuid.uuid4()
    brand = bearer(sub=user)
    preview = get(api, brand)
    assert preview.headers["ETag"] == 'W/"r1-l25-f1"'
    unlock_for(user, creator_id, datetime.now(UTC) + timedelta(days=30))
    report = get(api, brand, preview.headers["ETag"])
    assert report.status_code == 200 and report.json["kind"] == "report", report.data
    assert report.headers["ETag"] == 'W/"r1-u-f1"' and report.json["report"]["profile"]["username"] == "nano_bakes"
    with session_scope() as db:  # thirty days later
        db.execute(text("UPDATE unlocked_influencers SET expires_at = now() - interval '1 second'"))
    lapsed = get(api, brand, report.headers["ETag"])
    assert lapsed.status_code == 200 and lapsed.json["kind"] == "preview", lapsed.data
    assert lapsed.headers["ETag"] == 'W/"r1-l25-f1"' and "report" not in lapsed.json


@pytest.mark.parametrize(
    ("if_none_match", "status"),
    [
        ('W/"r1-l25-f1"', 304),
        ('"r1-l25-f1"', 304),  # weak comparison: a proxy may have dropped the W/
        ('W/"r2-u-f1", W/"r1-l25-f1"', 304),
        ("*", 304),
        ('W/"r1-u-f1"', 200),
        ('W/"r99999999999999999999-l25-f1"', 200),  # more than a bigint holds: not one of ours
        pytest.param('W/"r' + "9" * 5000 + '-l25-f1"', 200, id="a version of 5000 digits"),
        ('W/"r-1-l25"', 200),
        ("garbage", 200),
    ],
)
def test_if_none_match_is_compared_weakly_and_a_foreign_tag_is_only_a_miss(api, bearer, if_none_match, status) -> None:  # type: ignore[no-untyped-def]
    held("nano_bakes")
    brand = bearer()
    assert get(api, brand).headers["ETag"] == 'W/"r1-l25-f1"'
    response = get(api, brand, if_none_match)
    assert response.status_code == status, response.data
    assert response.headers["ETag"] == 'W/"r1-l25-f1"'
    assert (response.data == b"") if status == 304 else (response.json["kind"] == "preview")


def test_a_search_that_finds_fresh_data_answers_a_post_with_the_body_whatever_its_if_none_match(api, bearer) -> None:  # type: ignore[no-untyped-def]
    held("nano_bakes")
    brand = bearer()
    etag = get(api, brand).headers["ETag"]
    found = api.post("/v1/creators/nano_bakes/search", headers={**brand, "If-None-Match": etag})
    assert found.status_code == 200 and found.json["kind"] == "preview", found.data
    assert found.headers["ETag"] == etag  # the report's ETag: the next GET can revalidate with it
    assert get(api, brand, etag).status_code == 304
