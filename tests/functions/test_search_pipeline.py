"""Search -> scrape (real apify-client -> stand-in) -> CDN (real fetch, Pillow, moto R2) -> report."""

from __future__ import annotations

import copy
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from functions_framework import create_app
from sqlalchemy import func, select, text

from shared.creators.models import Creator, CreatorSnapshot, MediaAsset, Post, RelatedProfile
from shared.credits.models import CreditTransaction, UnlockedInfluencer
from shared.db import session_scope
from shared.events.topics import Topic
from shared.jobs.models import Job
from tests.fixtures.instances import instances
from tests.fixtures.pipeline import drain, fund, push, run_scrape, search, tap

pytestmark = [pytest.mark.emulator, pytest.mark.usefixtures("db", "pipeline")]


def count(model: Any) -> int:
    with session_scope() as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("fitwithmaya", 202),
        ("@FitWithMaya", 202),
        ("https%3A%2F%2Fwww.instagram.com%2Ffitwithmaya%2F", 202),
        ("a" * 30, 202),
        ("a" * 31, 400),
        ("a..b", 400),
        (".abc", 400),
        ("abc.", 400),
        ("%C3%B1and%C3%BA", 400),  # ñandú
        ("%20", 400),
        ("", 400),
        ("bad-name", 400),
    ],
)
def test_username_matrix(api, bearer, raw: str, status: int) -> None:  # type: ignore[no-untyped-def]
    response = search(api, bearer(), raw)
    assert response.status_code == status, response.get_data(as_text=True)
    if status == 400:
        assert response.mimetype == "application/problem+json"
        assert "rule" in response.json["detail"]
    else:
        assert response.json["kind"] == "job"


def test_50_concurrent_searches_share_one_job(pipeline, bearer, unique) -> None:  # type: ignore[no-untyped-def]
    scrape_tap = tap(pipeline["pubsub"], Topic.CREATOR_SCRAPE_REQUESTED.value, f"scrape-tap-{unique}")
    callers = [bearer() for _ in range(50)]

    def one(client: Any, headers: dict[str, str]) -> tuple[int, str]:
        response = client.post("/v1/creators/wanderlens/search", headers=headers)
        return response.status_code, response.json["job"]["id"]

    with ThreadPoolExecutor(max_workers=25) as pool:
        results = list(pool.map(one, instances("api", len(callers)), callers))
    assert {status for status, _ in results} == {202}
    assert len({job_id for _, job_id in results}) == 1
    assert count(Job) == 1
    assert [m["username"] for m in drain(pipeline["pubsub"], scrape_tap)] == ["wanderlens"]
    with session_scope() as db:  # each team paid (here: from its free allowance), once
        assert (
            db.scalar(
                select(func.count()).select_from(CreditTransaction).where(CreditTransaction.reference_type == "job")
            )
            == 50
        )


def test_full_pipeline_report_and_redelivery(api, bearer, pipeline, unique) -> None:  # type: ignore[no-untyped-def]
    team_a, team_b = bearer(), bearer()
    job = search(api, team_a, "fitwithmaya").json["job"]
    cdn_messages = run_scrape(pipeline, job, unique, cdn=True)
    assert len(cdn_messages) == 1 + 9 + 3 * 3  # avatar, 9 single-image posts, 3 sidecars of 3 images
    for _ in range(3):  # every consumer re-delivered 3 times
        assert push("scrape", {"job_id": job["id"], "username": "fitwithmaya"}, f"scrape-{job['id']}") == 204
    for message in cdn_messages:
        for attempt in range(3):
            assert push("cdn", message, f"cdn-{message['asset_id']}-{attempt}") == 204
    assert (count(Creator), count(Post), count(CreatorSnapshot), count(MediaAsset)) == (1, 12, 1, 19)
    assert count(RelatedProfile) > 0
    with session_scope() as db:
        assets = db.scalars(select(MediaAsset)).all()
        stored = db.get(Job, uuid.UUID(job["id"]))
        assert stored is not None
        cdn_stage = stored.stages["cdn"]
    assert {a.status for a in assets} == {"uploaded"}
    assert cdn_stage["done"] == cdn_stage["total"] == 19 and cdn_stage["status"] == "done"
    assert stored.status == "running"  # analysis and insights have no service yet: pending, not faked
    assert stored.stages["analysis"]["status"] == "pending"

    report = api.get("/v1/creators/fitwithmaya", headers=team_a).json
    assert report["kind"] == "report"
    body = report["report"]
    assert body["profile"]["avatar"]["status"] == "uploaded"
    assert set(body["profile"]["avatar"]["cdn_urls"]) == {"150", "320", "640"}
    assert all(img["cdn_urls"]["320"].endswith("/320.webp") for p in body["posts"] for img in p["images"])
    import urllib.request

    with urllib.request.urlopen(body["posts"][0]["images"][0]["cdn_urls"]["640"], timeout=5) as served:
        assert served.headers["Content-Type"] == "image/webp"
        assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert served.read(12)[8:12] == b"WEBP"
    assert body["analysis"]["status"] == "pending" and body["insights"]["status"] == "pending"
    assert body["posts"][0]["analysis"] == {"status": "pending"}
    assert body["provenance"]["source"] == "apify" and body["freshness"]["fresh"] is True

    other = api.get("/v1/creators/fitwithmaya", headers=team_b).json
    assert other["kind"] == "preview"
    assert other["preview"]["unlock_price"] == {"action": "profile_unlock", "credits": 25}
    assert "posts" not in other["preview"]
    again = search(api, team_a, "fitwithmaya")
    assert again.status_code == 200 and again.json["kind"] == "report"
    assert count(Job) == 1


def test_hidden_likes_are_stored_as_hidden(api, bearer, pipeline, unique) -> None:  # type: ignore[no-untyped-def]
    job = search(api, bearer(), "glowup.zoe").json["job"]
    run_scrape(pipeline, job, unique)
    with session_scope() as db:
        hidden = db.scalars(select(Post).where(Post.likes_hidden.is_(True))).all()
        negative = db.scalar(select(func.count()).select_from(Post).where(Post.likes_count < 0))
    assert len(hidden) == 4 and all(p.likes_count is None for p in hidden)
    assert negative == 0


def test_text_postgres_cannot_hold_is_repaired_not_lost(api, bearer, pipeline, unique, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A caption cut mid-emoji comes from the scraper as a lone surrogate ("\\ud83d", as JavaScript's
    JSON.stringify writes half a pair), and text may hold NUL. Either failed the scrape on every delivery (pg8000
    cannot encode a surrogate, Postgres cannot store NUL), so the creator could never be searched."""
    from infra.local.apify import server

    sample = server._profiles()
    profile = copy.deepcopy(sample["fitwithmaya"])
    profile.update(username="cut.emoji", fullName="Maya \ud83d", biography="Coach\x00 and runner")
    first = profile["latestPosts"][0]
    first["caption"] = "Leg day \ud83d"
    first["latestComments"] = [{"id": "1", "text": "\udc4d so good", "ownerUsername": "fan"}]
    monkeypatch.setattr(server, "_profiles", lambda: {**sample, "cut.emoji": profile})

    headers = bearer()
    job = search(api, headers, "cut.emoji").json["job"]
    run_scrape(pipeline, job, unique)

    body = api.get("/v1/creators/cut.emoji", headers=headers).json["report"]
    assert body["profile"]["full_name"] == "Maya \ufffd"
    assert body["profile"]["biography"] == "Coach and runner"
    assert [p["caption"] for p in body["posts"] if p["short_code"] == first["shortCode"]] == ["Leg day \ufffd"]
    assert len(body["posts"]) == len(profile["latestPosts"])
    with session_scope() as db:
        stored = db.scalars(select(Post.latest_comments).where(Post.short_code == first["shortCode"])).one()
    assert stored[0]["text"] == "\ufffd so good"


def test_a_profile_in_the_messier_shapes_of_real_items_is_stored(api, bearer, pipeline, unique, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Shapes from ../shared/reference/real-world-shapes.md and beyond. Each of the raising ones (a null post, a
    post without an id, a Unix timestamp, a null child or related entry, a count past bigint) failed the scrape on
    every delivery; the others stored a wrong value ("None" as a category, a javascript: link)."""
    from infra.local.apify import server

    sample = server._profiles()
    profile = copy.deepcopy(sample["fitwithmaya"])
    posts = profile["latestPosts"]
    profile.update(
        username="messy.shapes",
        businessCategoryName="None",
        externalUrl="javascript:alert(1)",
        followsCount=10**20,
        relatedProfiles=[None, {"username": "Real.One", "fullName": "Real", "isVerified": True}],
    )
    posts[0].update(timestamp=1_700_000_000)  # Unix seconds
    sidecar = next(p for p in posts if p["type"] == "Sidecar")
    sidecar["childPosts"] = [None, *sidecar["childPosts"]]
    keyless = posts[1]["shortCode"]
    del posts[1]["id"]
    profile["latestPosts"] = [None, *posts]
    monkeypatch.setattr(server, "_profiles", lambda: {**sample, "messy.shapes": profile})

    headers = bearer()
    job = search(api, headers, "messy.shapes").json["job"]
    cdn_messages = run_scrape(pipeline, job, unique, cdn=True)

    body = api.get("/v1/creators/messy.shapes", headers=headers).json["report"]
    assert body["profile"]["business_category"] is None and body["profile"]["external_url"] is None
    assert body["profile"]["follows_count"] is None and body["profile"]["followers_count"] == 1250
    assert len(body["posts"]) == len(posts) - 1  # the post without an id could not be keyed
    assert keyless not in {p["short_code"] for p in body["posts"]}
    dated = {p["short_code"]: p["posted_at"] for p in body["posts"]}
    assert dated[posts[0]["shortCode"]] == "2023-11-14T22:13:20Z"
    assert len(cdn_messages) == 1 + 8 + 3 * 3  # avatar, the 8 keyed single-image posts, 3 sidecars of 3
    with session_scope() as db:
        related = db.execute(select(RelatedProfile.username, RelatedProfile.is_verified)).all()
    assert [tuple(r) for r in related] == [("real.one", True)]


def test_refresh_rescrapes_without_duplicates(api, bearer, pipeline, unique) -> None:  # type: ignore[no-untyped-def]
    headers = bearer()
    first = search(api, headers, "nano_bakes").json["job"]
    run_scrape(pipeline, first, unique)
    joined = search(api, headers, "nano_bakes", refresh=True)  # still in flight (analysis pending): joins it
    assert joined.status_code == 202 and joined.json["job"]["id"] == first["id"]
    with session_scope() as db:  # the first job ends (here: reaped as partial, waiting for analysis)
        db.execute(text("UPDATE jobs SET updated_at = now() - interval '2 hours'"))
        from datetime import timedelta

        from shared.jobs import service as jobs_service

        assert [j.status for j in jobs_service.reap_stale(db_session=db, older_than=timedelta(minutes=30))] == [
            "partial"
        ]
    assert search(api, headers, "nano_bakes", refresh=True).status_code == 402  # refreshing fresh data costs 10
    fund(api, headers, 10, f"fund-{unique}")
    second = search(api, headers, "nano_bakes", refresh=True)
    assert second.status_code == 202 and second.json["job"]["id"] != first["id"]
    run_scrape(pipeline, second.json["job"], unique + "b")
    assert (count(Creator), count(Post), count(CreatorSnapshot)) == (1, 12, 2)


@pytest.mark.parametrize(
    ("name", "faults", "status", "reason"),
    [
        ("surf.lisboa", [429], "running", None),
        ("surf.lisboa", [500, 502, 503], "failed", "answered 503"),
        ("secret.garden", [], "failed", "private account"),
        ("no_such_creator_42", [], "failed", "no Instagram account is called @no_such_creator_42"),
        ("surf.lisboa", ["quota"], "failed", "quota is used up"),
    ],
)
def test_apify_outcomes(api, bearer, pipeline, apify_standin, unique, name, faults, status, reason) -> None:  # type: ignore[no-untyped-def]
    headers = bearer()
    with session_scope() as db:  # spend the free allowance so the charge and refund are visible
        db.execute(text("UPDATE credit_pricing_rules SET free_allowance_per_month = 0"))
    try:
        fund(api, headers, 100, f"seed-{unique}")
        job = search(api, headers, name).json["job"]
        assert api.get("/v1/credits/wallet", headers=headers).json["balance"] == 75
        apify_standin.inject(*faults)
        run_scrape(pipeline, job, unique)
        stored = api.get(f"/v1/jobs/{job['id']}", headers=headers).json
        assert stored["status"] == status
        if reason:
            assert reason in stored["reason"]
            assert stored["stages"]["scrape"]["status"] == "failed"
            assert api.get("/v1/credits/wallet", headers=headers).json["balance"] == 100  # refunded
            assert count(UnlockedInfluencer) == 0
        else:
            assert stored["stages"]["scrape"]["status"] == "done"
            assert count(UnlockedInfluencer) == 1
    finally:
        with session_scope() as db:
            db.execute(
                text(
                    "UPDATE credit_pricing_rules SET free_allowance_per_month = 3 "
                    "WHERE action = 'profile_unlock' AND plan = 'free'"
                )
            )
            db.execute(
                text(
                    "UPDATE credit_pricing_rules SET free_allowance_per_month = 20 "
                    "WHERE action = 'profile_unlock' AND plan = 'standard'"
                )
            )
            db.execute(
                text(
                    "UPDATE credit_pricing_rules SET free_allowance_per_month = 60 "
                    "WHERE action = 'profile_unlock' AND plan = 'premium'"
                )
            )
            db.execute(
                text(
                    "UPDATE credit_pricing_rules SET free_allowance_per_month = 20 "
                    "WHERE action = 'profile_refresh' AND plan = 'premium'"
                )
            )


def runs_metered() -> int:
    with session_scope() as db:
        return int(
            db.execute(
                text("SELECT coalesce(sum(quantity), 0) FROM usage_meters WHERE meter = 'apify_runs'")
            ).scalar_one()
        )


def runs_started(apify_standin: Any) -> int:
    return sum(1 for method, path in apify_standin.requests if method == "POST" and path.endswith("/runs"))


def test_a_run_that_does_not_finish_in_time_is_aborted_not_left_billing(  # type: ignore[no-untyped-def]
    api, bearer, pipeline, apify_standin, unique, settings_env
) -> None:
    """We stopped waiting and left the run going: Apify billed it up to the actor's own limit, for nobody."""
    settings_env(APIFY__RUN_TIMEOUT_S="1")
    headers = bearer()
    job = search(api, headers, "surf.lisboa").json["job"]
    apify_standin.inject("running")
    run_scrape(pipeline, job, unique)
    stored = api.get(f"/v1/jobs/{job['id']}", headers=headers).json
    assert stored["status"] == "failed" and "did not finish within 1 s and was stopped" in stored["reason"]
    [run_id] = [run_id for run_id, run in apify_standin.runs.items() if run["statusMessage"] == "Aborted"]
    assert ("POST", f"/v2/actor-runs/{run_id}/abort") in apify_standin.requests
    assert runs_metered() == 1, "Apify bills the aborted run: the spend console counts it"


def test_the_reels_run_gets_only_what_the_profile_run_left_of_the_budget(  # type: ignore[no-untyped-def]
    api, bearer, pipeline, apify_standin, unique, settings_env
) -> None:
    """Two runs of run_timeout_s each could outlast the worker's 300 s: killed, redelivered, paid twice."""
    settings_env(APIFY__SCRAPE_BUDGET_S="16")
    headers = bearer()
    job = search(api, headers, "surf.lisboa").json["job"]
    before = runs_started(apify_standin)
    apify_standin.inject("hang:2")  # the profile run's start takes 2 s: 14 s left, under the reels' 15 s
    run_scrape(pipeline, job, unique)
    assert runs_started(apify_standin) - before == 1, "no reels run"
    stored = api.get(f"/v1/jobs/{job['id']}", headers=headers).json
    assert stored["stages"]["scrape"]["status"] == "done"  # the profile with its latest posts
    assert runs_metered() == 1


def test_job_events_stream_until_terminal(api, bearer, pipeline, unique) -> None:  # type: ignore[no-untyped-def]
    headers = bearer()
    job = search(api, headers, "no_such_creator_43").json["job"]
    run_scrape(pipeline, job, unique)
    body = api.get(f"/v1/jobs/{job['id']}/events", headers=headers).get_data(as_text=True)
    assert body.startswith("event: progress\n")
    assert '"status":"failed"' in body
    assert body.rstrip().endswith('data: {"status": "failed"}')


def test_stale_jobs_are_reaped(api, bearer, pipeline) -> None:  # type: ignore[no-untyped-def]
    headers = bearer()
    job = search(api, headers, "run.berlin").json["job"]
    with session_scope() as db:
        db.execute(text("UPDATE jobs SET updated_at = now() - interval '2 hours'"))
    maintenance = create_app("maintenance", "functions/maintenance/main.py").test_client()
    from tests.fixtures.envelopes import pubsub_body

    assert maintenance.post("/", json=pubsub_body({"task": "reap_stale_jobs"}, "reap-1")).status_code == 204
    stored = api.get(f"/v1/jobs/{job['id']}", headers=headers).json
    assert stored["status"] == "failed" and "could not be fetched in time" in stored["reason"]


def test_a_profile_scrape_also_fetches_its_reels_with_plays(api, bearer, pipeline, unique) -> None:  # type: ignore[no-untyped-def]
    from shared.creators import apify

    reels = apify.fetch_reels("fitwithmaya")
    assert reels and all(r["productType"] == "clips" and r["videoPlayCount"] > 0 for r in reels)
    run_scrape(pipeline, search(api, bearer(), "fitwithmaya").json["job"], unique)
    with session_scope() as db:
        stored = db.scalars(select(Post).where(Post.short_code.in_([r["shortCode"] for r in reels]))).all()
    assert len(stored) == len(reels) and all(p.video_play_count for p in stored)


def test_the_usage_meters_count_what_a_search_costs(api, bearer, pipeline, unique) -> None:  # type: ignore[no-untyped-def]
    brand = bearer()
    fund(api, brand, 100, f"fund-{unique}")
    run_scrape(pipeline, search(api, brand, "fitwithmaya").json["job"], unique)
    assert search(api, brand, "fitwithmaya").status_code == 200  # served from the stored report
    with session_scope() as db:
        meters = dict(db.execute(text("SELECT meter, quantity FROM usage_meters")).all())
    assert meters["searches_scraped"] == 1 and meters["searches_cached"] == 1
    assert meters["apify_runs"] == 2 and meters["apify_results"] > 12  # the profile's run and its reels run


@pytest.mark.parametrize(
    ("target", "payload"),
    [
        ("cdn", {"asset_id": 2**63, "source_url": "https://scontent.cdninstagram.com/v/a.jpg"}),
        ("insights", {"job_id": str(uuid.uuid4()), "creator_id": 2**63}),
    ],
)
def test_an_id_past_bigint_is_refused_not_a_500_on_every_delivery(target: str, payload: dict[str, Any]) -> None:
    """It reached Postgres ('out of range for type bigint'): a 500 on each of the five deliveries."""
    assert push(target, payload, f"{target}-{uuid.uuid4()}") == 400
