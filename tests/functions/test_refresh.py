"""Refresh for history: unlocked creators weekly and watchlisted ones daily, each re-scrape a snapshot; the report
carries the followers series and growth."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select, text

from shared.creators import documents
from shared.db import session_scope
from shared.discovery import flows as discovery_flows
from shared.events.schemas import DiscoveryRequested
from shared.jobs.models import Job
from tests.fixtures.pipeline import push, run_scrape, search

pytestmark = [pytest.mark.emulator, pytest.mark.usefixtures("db", "pipeline")]


def tick() -> dict[str, Any]:
    with session_scope() as db:
        event = DiscoveryRequested(mode="refresh")
        return discovery_flows.run(db_session=db, event=event, message_key=uuid.uuid4().hex)


def scrape_refresh_jobs() -> list[str]:
    """Deliver the scrape message of every refresh job in flight, as the scrape worker would receive it."""
    with session_scope() as db:
        jobs = db.scalars(select(Job).where(Job.origin == "refresh", Job.status.in_(("queued",)))).all()
    for job in jobs:
        payload = {"job_id": str(job.id), "username": job.username, "refresh": True}
        assert push("scrape", payload, f"scrape-{job.id}") == 204
    finish_all_jobs()
    return [j.username for j in jobs]


def finish_all_jobs() -> None:
    """The searches' later stages (CDN, analysis) are not under test here: end their jobs."""
    with session_scope() as db:
        db.execute(
            text("UPDATE jobs SET status = 'complete', finished_at = now() WHERE status IN ('queued', 'running')")
        )


def age(username: str, days: int) -> None:
    with session_scope() as db:
        db.execute(
            text("UPDATE creators SET scraped_at = now() - make_interval(days => :d) WHERE username = :u"),
            {"d": days, "u": username},
        )


def test_two_refreshes_give_a_three_point_series_and_growth(api, bearer, pipeline, unique) -> None:  # type: ignore[no-untyped-def]
    brand = bearer()
    run_scrape(pipeline, search(api, brand, "nano_bakes").json["job"], unique)  # unlocked by the search
    finish_all_jobs()
    assert tick()["queued"] == [], "scraped just now: not due"
    for _ in range(2):
        age("nano_bakes", 8)  # unlocked creators are due weekly
        assert tick()["queued"] == ["nano_bakes"]
        assert scrape_refresh_jobs() == ["nano_bakes"]
    with session_scope() as db:  # spread the three snapshots over time, with the follower counts they had
        ids = db.scalars(text("SELECT id FROM creator_snapshots ORDER BY captured_at")).all()
        for snapshot_id, days, followers in zip(ids, (40, 10, 0), (4_000, 4_500, 4_800), strict=True):
            db.execute(
                text(
                    "UPDATE creator_snapshots SET captured_at = now() - make_interval(days => :d),"
                    " followers_count = :f WHERE id = :i"
                ),
                {"d": days, "f": followers, "i": snapshot_id},
            )
        # Reports are materialized by the stages that change them; this edit of history stands in for time
        # passing between scrapes, so the document is rewritten as the last scrape would have.
        creator_id = db.scalar(text("SELECT id FROM creators WHERE username = 'nano_bakes'"))
        documents.write(db_session=db, creator_id=creator_id)
    history = api.get("/v1/creators/nano_bakes", headers=brand).json["report"]["history"]
    assert [p["followers"] for p in history["series"]] == [4_000, 4_500, 4_800]
    assert history["growth"]["7d"]["followers_change"] == 300 and history["growth"]["7d"]["rate"] == 0.0667
    assert history["growth"]["30d"]["followers_change"] == 800 and history["growth"]["30d"]["rate"] == 0.2
    assert history["growth"]["90d"] is None


def test_watchlisted_creators_are_refreshed_daily_and_the_list_is_limited(  # type: ignore[no-untyped-def]
    api, bearer, pipeline, unique, settings_env
) -> None:
    settings_env(DISCOVERY__WATCHLIST_LIMITS='{"free": 1}')
    brand, other = bearer(), bearer()
    for name in ("surf.lisboa", "nano_bakes"):
        run_scrape(pipeline, search(api, other, name).json["job"], unique + name)
    finish_all_jobs()
    with session_scope() as db:  # only the watchlist may make them due: no unlock by any team
        db.execute(text("DELETE FROM unlocked_influencers"))
    added = api.post("/v1/watchlist", json={"username": "@Surf.Lisboa"}, headers=brand)
    assert added.status_code == 201 and added.json["username"] == "surf.lisboa"
    assert api.post("/v1/watchlist", json={"username": "surf.lisboa"}, headers=brand).status_code == 201
    full = api.post("/v1/watchlist", json={"username": "nano_bakes"}, headers=brand)
    assert full.status_code == 409 and "limit" in full.json["detail"]
    assert api.post("/v1/watchlist", json={"username": "never_scraped_1"}, headers=brand).status_code == 404
    page = api.get("/v1/watchlist", headers=brand).json
    assert [i["username"] for i in page["items"]] == ["surf.lisboa"] and page["limit"] == 1
    assert api.get("/v1/watchlist", headers=other).json["items"] == [], "each team has its own"
    age("surf.lisboa", 2)
    age("nano_bakes", 2)
    assert tick()["queued"] == ["surf.lisboa"], "watched: due after a day; the other is watched by nobody"
    assert api.delete("/v1/watchlist/surf.lisboa", headers=brand).status_code == 204
    assert api.delete("/v1/watchlist/surf.lisboa", headers=brand).status_code == 404
