"""The read path: a stored report document that every stage rewrites when it lands, served in one statement with
an ETag."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from functions_framework import create_app
from sqlalchemy import create_engine, select, text
from sqlalchemy.pool import NullPool

from shared.analysis import flows as analysis_flows
from shared.catalogue.models import CreatorSearch
from shared.config import reset_caches
from shared.creators import documents
from shared.creators import report as reports
from shared.creators.models import Creator
from shared.db import get_engine, session_scope
from shared.events.schemas import CreatorAnalyzed
from shared.insights import flows as insights_flows
from shared.jobs import service as jobs_service
from shared.pgwire import recorded as statements
from tests.fixtures.envelopes import pubsub_body
from tests.fixtures.pipeline import fund, push, run_scrape, search
from tests.fixtures.wire import round_trips

pytestmark = [pytest.mark.emulator, pytest.mark.usefixtures("db", "pipeline")]
LOCKED_FIELDS = ("posts", "analysis", "insights", "history", "biography", "caption", "provenance")


def version(username: str) -> int:
    with session_scope() as db:
        creator_id = db.scalar(select(Creator.id).where(Creator.username == username))
        return documents.version_of(db_session=db, creator_id=creator_id) or 0


def get(api: Any, headers: dict[str, str], name: str, etag: str | None = None) -> Any:
    extra = {"If-None-Match": etag} if etag else {}
    return api.get(f"/v1/creators/{name}", headers={**headers, **extra})


def test_every_stage_rewrites_the_document_and_the_get_shows_it(api, bearer, pipeline, unique) -> None:  # type: ignore[no-untyped-def]
    brand = bearer()
    job = search(api, brand, "fitwithmaya").json["job"]
    cdn_messages = run_scrape(pipeline, job, unique, cdn=True)
    after_scrape = version("fitwithmaya")
    first = get(api, brand, "fitwithmaya")
    assert after_scrape == 1 and first.status_code == 200 and first.json["kind"] == "report"
    assert first.headers["ETag"] == 'W/"r1-u-f1"' and first.headers["Cache-Control"] == "private, no-cache"
    assert all(not image["cdn_urls"] for post in first.json["report"]["posts"] for image in post["images"])

    *before_last, last = cdn_messages
    for message in before_last:  # the CDN stage has not landed: the document stays as it is
        assert push("cdn", message, f"cdn-{message['asset_id']}") == 204
        assert version("fitwithmaya") == after_scrape
    assert push("cdn", last, f"cdn-{last['asset_id']}") == 204  # the stage's last image: one rewrite for all
    assert version("fitwithmaya") == after_scrape + 1
    after_cdn = get(api, brand, "fitwithmaya", etag=first.headers["ETag"])
    assert after_cdn.status_code == 200, "the old ETag no longer matches"
    assert all(image["cdn_urls"] for post in after_cdn.json["report"]["posts"] for image in post["images"])

    with session_scope() as db:  # the analysis stage, with outputs as the inference service returns them
        creator_id = db.scalar(select(Creator.id).where(Creator.username == "fitwithmaya"))
        posts = analysis_flows.posts_of(db_session=db, creator_id=creator_id)
        run = analysis_flows.ModelRun("language", "m", "r1", [{"label": "en", "score": 0.9}] * len(posts))
        analysis_flows.record(
            db_session=db, job_id=uuid.UUID(job["id"]), creator_id=creator_id, posts=posts, runs=[run]
        )
    assert version("fitwithmaya") == after_scrape + 2
    analysed = get(api, brand, "fitwithmaya").json["report"]
    assert analysed["posts"][0]["analysis"]["language"]["result"]["label"] == "en"

    assert push("insights", {"job_id": job["id"], "creator_id": creator_id}, f"analyzed-{unique}") == 204
    final = get(api, brand, "fitwithmaya")
    assert version("fitwithmaya") == after_scrape + 3
    assert final.json["report"]["insights"]["status"] == "complete"

    # Golden: what the stored document serves is what the assembler makes from the same rows, now.
    with session_scope() as db:
        creator = db.scalar(select(Creator).where(Creator.username == "fitwithmaya"))
        assembled = reports.full(db_session=db, creator=creator).model_dump(mode="json")
    served = final.json["report"]
    assert {k: v for k, v in served.items() if k != "freshness"} == {
        k: v for k, v in assembled.items() if k != "freshness"
    }
    assert served["freshness"]["stale_after"] == assembled["freshness"]["stale_after"]

    # The catalogue row moved with the document, in the same transaction: the search filters see the insights.
    with session_scope() as db:
        row = db.get(CreatorSearch, creator_id)
        assert row is not None
        assert (row.followers, row.median_er, row.languages, row.quality_state) == (
            served["profile"]["followers_count"],
            served["insights"]["data"]["engagement"]["median_er"],
            ["en"],
            served["insights"]["data"]["audience_quality"]["state"],
        )
    found = api.get("/v1/discovery/creators?languages=en", headers=brand).json["items"]
    assert [hit["profile"]["username"] for hit in found] == ["fitwithmaya"] and found[0]["locked"] is False

    # Revalidation: an unchanged report answers 304 with no body.
    again = get(api, brand, "fitwithmaya", etag=final.headers["ETag"])
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == final.headers["ETag"]


def hosted_images(report: dict[str, Any]) -> int:
    images = [report["profile"]["avatar"], *(image for post in report["posts"] for image in post["images"])]
    return sum(1 for image in images if image and image["cdn_urls"])


def test_a_job_reaped_before_its_cdn_stage_landed_shows_its_images_and_late_ones(api, bearer, pipeline, unique) -> None:  # type: ignore[no-untyped-def]
    brand = bearer()
    job = search(api, brand, "fitwithmaya").json["job"]
    *landed, late = run_scrape(pipeline, job, unique, cdn=True)  # one image's message is held back
    for message in landed:
        assert push("cdn", message, f"cdn-{message['asset_id']}") == 204
    assert hosted_images(get(api, brand, "fitwithmaya").json["report"]) == 0  # the stage has not landed
    with session_scope() as db:
        db.execute(text("UPDATE jobs SET updated_at = now() - interval '2 hours'"))
    maintenance = create_app("maintenance", "functions/maintenance/main.py").test_client()
    assert maintenance.post("/", json=pubsub_body({"task": "reap_stale_jobs"}, f"reap-{unique}")).status_code == 204
    assert api.get(f"/v1/jobs/{job['id']}", headers=brand).json["status"] == "partial"
    assert hosted_images(get(api, brand, "fitwithmaya").json["report"]) == len(landed)
    assert push("cdn", late, f"cdn-{late['asset_id']}") == 204  # after the job ended: into the report at once
    assert hosted_images(get(api, brand, "fitwithmaya").json["report"]) == len(landed) + 1


def waiting_on_a_lock() -> int:
    with session_scope() as db:
        return int(
            db.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
        )


def test_insights_landing_with_the_cdn_stages_last_image_do_not_deadlock(api, bearer, pipeline, unique) -> None:  # type: ignore[no-untyped-def]
    """The CDN stage's last image holds its job's row while it rewrites the report. Insights landing at that moment
    must not hold the report's row while it waits for the job's, or Postgres aborts one of them (40P01). Today the
    insights row's foreign key takes the job row (key share) before the report is written; writing the report
    first deadlocks here (checked)."""
    brand = bearer()
    job = search(api, brand, "fitwithmaya").json["job"]
    run_scrape(pipeline, job, unique)
    job_id = uuid.UUID(job["id"])
    with session_scope() as db:  # an analysis landed, so insights have something to compute and write
        creator_id = db.scalar(select(Creator.id).where(Creator.username == "fitwithmaya"))
        posts = analysis_flows.posts_of(db_session=db, creator_id=creator_id)
        run = analysis_flows.ModelRun("language", "m", "r1", [{"label": "en", "score": 0.9}] * len(posts))
        analysis_flows.record(db_session=db, job_id=job_id, creator_id=creator_id, posts=posts, runs=[run])
    failures: list[Exception] = []

    def insights() -> None:
        try:
            with session_scope() as db:
                insights_flows.apply(db_session=db, event=CreatorAnalyzed(job_id=job_id, creator_id=creator_id))
        except Exception as exc:  # a deadlock lands here or in the other transaction
            failures.append(exc)

    other = threading.Thread(target=insights)
    with session_scope() as db:  # what the stage's last image does (shared.media.flows): the job row, then the report
        jobs_service.get(db_session=db, job_id=job_id, for_update=True)
        other.start()
        deadline = time.monotonic() + 30
        while not waiting_on_a_lock():  # insights now waits for a row this transaction holds
            assert time.monotonic() < deadline, "insights never reached a lock"
            time.sleep(0.02)
        documents.write(db_session=db, creator_id=creator_id)
    other.join(30)
    assert not failures, failures
    assert version("fitwithmaya") == 4  # scrape, analysis, this rewrite, then insights'


def test_a_locked_team_gets_the_preview_and_no_report_field(api, bearer, pipeline, unique) -> None:  # type: ignore[no-untyped-def]
    run_scrape(pipeline, search(api, bearer(), "nano_bakes").json["job"], unique)
    outsider = bearer()
    response = get(api, outsider, "nano_bakes")
    assert response.status_code == 200 and response.json["kind"] == "preview"
    preview = response.json["preview"]
    assert preview["locked"] is True and preview["unlock_price"] == {"action": "profile_unlock", "credits": 25}
    assert preview["profile"]["username"] == "nano_bakes"
    body = json.dumps(response.json)
    assert not [field for field in LOCKED_FIELDS if f'"{field}"' in body], body
    assert response.headers["ETag"].startswith('W/"r1-l25')


def test_a_cached_report_costs_one_statement_and_one_round_trip(api, bearer, pipeline, unique) -> None:  # type: ignore[no-untyped-def]
    brand = bearer()
    run_scrape(pipeline, search(api, brand, "surf.lisboa").json["job"], unique)
    get(api, brand, "surf.lisboa")  # this caller's first GET: last-seen bookkeeping may run
    with statements() as seen, round_trips() as sent:
        assert get(api, brand, "surf.lisboa").status_code == 200
    assert len(seen) == 1 and sent[0] == 1, (seen, sent)  # autocommit: no BEGIN, no COMMIT
    etag = get(api, brand, "surf.lisboa").headers["ETag"]
    with statements() as seen, round_trips() as sent:
        assert get(api, brand, "surf.lisboa", etag=etag).status_code == 304
    assert len(seen) == 1 and sent[0] == 1, (seen, sent)


def test_the_hourly_last_seen_update_costs_one_statement_more(api, bearer, pipeline, unique) -> None:  # type: ignore[no-untyped-def]
    brand = bearer()
    run_scrape(pipeline, search(api, brand, "surf.lisboa").json["job"], unique)
    with session_scope() as db:
        db.execute(text("UPDATE users SET last_seen_at = now() - interval '61 minutes'"))
    with statements() as seen:
        assert get(api, brand, "surf.lisboa").status_code == 200
    assert len(seen) == 2 and seen[1].startswith("UPDATE users SET last_seen_at"), seen
    with statements() as seen:
        assert get(api, brand, "surf.lisboa").status_code == 200
    assert len(seen) == 1


def test_first_sight_provisions_the_caller_then_reads_once(api, bearer, pipeline, unique) -> None:  # type: ignore[no-untyped-def]
    run_scrape(pipeline, search(api, bearer(), "surf.lisboa").json["job"], unique)
    newcomer = bearer()
    with statements() as seen:
        assert get(api, newcomer, "surf.lisboa").json["kind"] == "preview"
    # The read that finds no user, provisioning's four INSERTs (user, team, wallet, membership), the read again.
    assert [statement.split()[0] for statement in seen] == ["SELECT"] + ["INSERT"] * 4 + ["SELECT"], seen


def test_a_creator_without_a_document_gets_one_built_on_its_first_get(api, bearer, pipeline, unique) -> None:  # type: ignore[no-untyped-def]
    brand = bearer()
    run_scrape(pipeline, search(api, brand, "surf.lisboa").json["job"], unique)
    get(api, brand, "surf.lisboa")  # provisioned and seen: what follows is the hot path's miss alone
    with session_scope() as db:  # as a creator held before documents existed, and not backfilled
        db.execute(text("DELETE FROM creator_reports"))
    with statements() as seen:
        first = get(api, brand, "surf.lisboa")
    assert first.status_code == 200 and first.headers["ETag"].startswith('W/"r1-')
    assert version("surf.lisboa") == 1 and any(s.startswith("INSERT INTO creator_reports") for s in seen)
    with statements() as seen:
        assert get(api, brand, "surf.lisboa", etag=first.headers["ETag"]).status_code == 304
    assert len(seen) == 1  # the hot path again


def terminate_backends(killer: Any) -> int:
    """What a database restart does to every open connection but the killer's own."""
    with killer.begin() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    " AND backend_type = 'client backend'"
                )
            ).scalar_one()
        )


@pytest.fixture
def never_ping(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Pooled connections handed out without a ping, however long they idled (as back-to-back requests are)."""
    monkeypatch.setenv("FA_DATABASE__PING_AFTER_IDLE_S", "3600")
    reset_caches()
    yield
    monkeypatch.undo()
    reset_caches()


def test_a_database_restart_mid_run_costs_no_500(api, bearer, pipeline, unique) -> None:  # type: ignore[no-untyped-def]
    brand = bearer()
    run_scrape(pipeline, search(api, brand, "cocina_de_ana").json["job"], unique)
    stop, kills = threading.Event(), [0]

    def restarts() -> None:
        killer = create_engine(get_engine().url, poolclass=NullPool)
        while not stop.is_set():
            kills[0] += terminate_backends(killer)
            stop.wait(0.4)  # a restart every 0.4 s: each one drops every connection at once
        killer.dispose()

    killer_thread = threading.Thread(target=restarts)
    killer_thread.start()
    try:
        statuses = [get(api, brand, "cocina_de_ana").status_code for _ in range(150)]
    finally:
        stop.set()
        killer_thread.join()
        get_engine().dispose()  # the last sweep may have killed pooled connections: the next test starts afresh
    assert kills[0] > 0, "backends were terminated during the loop"
    assert set(statuses) == {200}, statuses


def test_a_write_that_loses_its_connection_answers_503_and_its_retry_lands(  # type: ignore[no-untyped-def]
    api, bearer, pipeline, never_ping
) -> None:
    brand = bearer()
    assert search(api, brand, "surf.lisboa").status_code == 202  # the pool now holds connections just used
    killer = create_engine(get_engine().url, poolclass=NullPool)
    assert terminate_backends(killer) > 0
    killer.dispose()
    lost = search(api, brand, "fitwithmaya")
    assert lost.status_code == 503 and lost.headers["Retry-After"] == "1", lost.get_data(as_text=True)
    assert lost.json["code"] == "unavailable" and "retry it" in lost.json["detail"]
    assert search(api, brand, "fitwithmaya").status_code == 202  # on a fresh connection


def test_a_database_out_of_reach_is_a_503_to_retry_for_reads_writes_and_pushes(  # type: ignore[no-untyped-def]
    api, bearer, pipeline, postgres, settings_env, caplog
) -> None:
    """pg8000's InterfaceError when no connection can be opened was unmapped: every request and every push delivery
    answered 500 while Supabase was out of reach (a restart, a network fault, a certificate that does not verify)."""
    brand = bearer()
    job = search(api, brand, "surf.lisboa").json["job"]
    logging.getLogger("db").addHandler(caplog.handler)  # the process' JSON logging may have replaced the root's
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        settings_env(DATABASE__URL=postgres.url.replace(f":{postgres.port}/", f":{closed.getsockname()[1]}/"))
        for answer in (get(api, brand, "surf.lisboa"), search(api, brand, "fitwithmaya")):
            assert answer.status_code == 503 and answer.headers["Retry-After"] == "5", answer.get_data(as_text=True)
            assert answer.json["code"] == "unavailable" and "database cannot be reached" in answer.json["detail"]
        scrape = {"job_id": job["id"], "username": job["username"], "refresh": False}
        assert push("scrape", scrape, f"scrape-{job['id']}") == 503  # Pub/Sub redelivers it
    logging.getLogger("db").removeHandler(caplog.handler)
    causes = [record.error for record in caplog.records if record.getMessage() == "cannot connect to the database"]
    assert causes and all("Can't create a connection" in cause for cause in causes), causes


def test_a_search_that_waits_past_the_statement_timeout_is_a_503_and_charges_nothing(  # type: ignore[no-untyped-def]
    api, bearer, pipeline, settings_env, unique
) -> None:
    """Its wallet row held by another transaction (a concurrent charge, a long refund), the search's charge waited
    past statement_timeout: an unmapped 500. Now a 503 to retry; its transaction rolled back, nothing charged."""
    brand = bearer()
    fund(api, brand, 50, f"fund-{unique}")
    team = api.get("/v1/me", headers=brand).json["personal_team_id"]
    settings_env(DATABASE__STATEMENT_TIMEOUT_MS="300")
    holder = create_engine(get_engine().url, poolclass=NullPool)
    with holder.begin() as connection:
        connection.execute(text("SELECT 1 FROM credit_wallets WHERE team_id = :t FOR UPDATE"), {"t": team})
        waited = search(api, brand, "surf.lisboa")
    holder.dispose()
    assert waited.status_code == 503 and waited.headers["Retry-After"] == "2", waited.get_data(as_text=True)
    assert "ran past its time limit" in waited.json["detail"]
    assert api.get("/v1/credits/wallet", headers=brand).json["balance"] == 50
    with session_scope() as db:
        assert db.execute(text("SELECT count(*) FROM jobs")).scalar_one() == 0
    assert search(api, brand, "surf.lisboa").status_code == 202  # the retry, once the row is free


def test_the_job_stream_sends_the_reports_etag(api, bearer, pipeline, unique) -> None:  # type: ignore[no-untyped-def]
    brand = bearer()
    job = search(api, brand, "kuechenliebe").json["job"]
    run_scrape(pipeline, job, unique)
    with session_scope() as db:  # end the job so the stream closes (its later stages are not under test)
        db.execute(text("UPDATE jobs SET status = 'complete', finished_at = now() WHERE id = :j"), {"j": job["id"]})
    frames = api.get(f"/v1/jobs/{job['id']}/events", headers=brand).get_data(as_text=True)
    report = next(f for f in frames.split("\n\n") if f.startswith("event: report"))
    sent = json.loads(report.split("data: ", 1)[1])
    assert sent == {"username": "kuechenliebe", "etag": get(api, brand, "kuechenliebe").headers["ETag"]}
