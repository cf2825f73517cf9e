"""Post analytics by URL: the scrape through the real apify-client and the stand-in, CDN to moto, the analysis
stage as the inference service stores it; charged by the post_analysis rule, refunded when the post fails."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import quote

import jsonschema_rs
import pytest
from sqlalchemy import func, select, text

from functions.api.main import router
from shared.analysis import flows as analysis_flows
from shared.analysis.models import PostAnalysis
from shared.creators.models import Creator, Post
from shared.db import session_scope
from shared.errors import InvalidInput
from shared.events.topics import Topic
from shared.http.openapi import openapi_document
from shared.posts import urls
from shared.posts.models import TeamPost
from tests.fixtures.pipeline import drain, fund, push, tap

pytestmark = [pytest.mark.emulator, pytest.mark.usefixtures("db", "pipeline")]
POST = "https://www.instagram.com/p/fitwit00464973/?igsh=abc"  # an Image post of fitwithmaya
REEL = "instagram.com/reel/nano_b02032221"  # a Video (reel) of nano_bakes


@pytest.mark.parametrize(
    ("raw", "shortcode", "kind"),
    [
        ("https://www.instagram.com/p/CxYz123_-ab/", "CxYz123_-ab", "post"),
        ("instagram.com/reel/CxYz123abc", "CxYz123abc", "reel"),
        ("https://m.instagram.com/reels/CxYz123abc/", "CxYz123abc", "reel"),
        ("https://www.instagram.com/some.creator/p/CxYz123abc/?img_index=1", "CxYz123abc", "post"),
        ("http://instagram.com/tv/CxYz123abc", "CxYz123abc", "post"),
        ("https://www.instagram.com/p/CxYz123abc/?igsh=MzRlODBiNWFlZA%3D%3D", "CxYz123abc", "post"),
    ],
)
def test_post_and_reel_urls_name_their_shortcode(raw: str, shortcode: str, kind: str) -> None:
    parsed = urls.parse(raw)
    assert (parsed.shortcode, parsed.kind) == (shortcode, kind)
    assert parsed.canonical.endswith(f"/{shortcode}/")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("https://www.instagram.com/fitwithmaya/", "one post or reel"),
        ("https://instagram.evil.com/p/CxYz123abc/", "on instagram.com"),
        ("https://www.instagram.com/p/ab/", "one post or reel"),
        ("https://www.instagram.com/stories/someone/123/", "one post or reel"),
        ("ftp://instagram.com/p/CxYz123abc/", "an http"),
        ("https://www.instagram.com/p/CxYz123abc/extra/", "one post or reel"),
        # What the API document's pattern refuses, the API refuses (the fuzzer found `?*` accepted).
        ("http://instagram.com/p/CxYz123abc/?*", "as Instagram shares it"),
        ("https://user@instagram.com:8443/p/CxYz123abc/", "as Instagram shares it"),
        ("HTTPS://WWW.INSTAGRAM.COM/p/CxYz123abc/", "as Instagram shares it"),
        ("https://www.instagram.com/p/CxYz123abc/ ", "as Instagram shares it"),
    ],
)
def test_other_urls_are_refused_with_a_reason(api, bearer, raw: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput, match=reason):
        urls.parse(raw)
    response = api.post("/v1/posts/analyze", json={"url": raw}, headers=bearer())
    assert response.status_code == 400 and reason in response.json["detail"]


def analyse(job_id: str) -> None:
    """The analysis stage for a post job, with outputs shaped as the inference service returns them."""
    with session_scope() as db:
        job = db.execute(text("SELECT creator_id FROM jobs WHERE id = :j"), {"j": job_id}).scalar_one()
        post_ids = db.scalars(select(TeamPost.post_id).where(TeamPost.job_id == uuid.UUID(job_id))).all()
        posts = analysis_flows.posts_of(db_session=db, creator_id=job, post_ids=list(set(post_ids)))
        runs = [
            analysis_flows.ModelRun("sentiment", "m", "r1", [{"label": "positive", "score": 0.9}] * len(posts)),
            analysis_flows.ModelRun("language", "m", "r1", [{"label": "en", "score": 0.95}] * len(posts)),
        ]
        analysis_flows.record(db_session=db, job_id=uuid.UUID(job_id), creator_id=job, posts=posts, runs=runs)


def run_post(pipeline: dict[str, str], job: dict[str, Any], url: str, unique: str, times: int = 1) -> None:
    """Deliver the job's post scrape (`times` times, as Pub/Sub may), its CDN messages, then its analysis."""
    cdn_tap = tap(pipeline["pubsub"], Topic.CDN_IMAGE_REQUESTED.value, f"cdn-tap-{unique}")
    parsed = urls.parse(url)
    payload = {"job_id": job["id"], "url": parsed.canonical, "shortcode": parsed.shortcode}
    for attempt in range(times):
        assert push("scrape_post", payload, f"post-{job['id']}-{attempt}") == 204
    for message in drain(pipeline["pubsub"], cdn_tap):
        assert push("cdn", message, f"cdn-{message['asset_id']}") == 204
    for _ in range(times):
        analyse(job["id"])


def balance(api: Any, headers: dict[str, str]) -> int:
    return int(api.get("/v1/credits/wallet", headers=headers).json["balance"])


@pytest.mark.parametrize(("url", "kind", "owner"), [(POST, "post", "fitwithmaya"), (REEL, "reel", "nano_bakes")])
def test_a_post_and_a_reel_complete_end_to_end(api, bearer, pipeline, unique, url, kind, owner) -> None:  # type: ignore[no-untyped-def]
    brand = bearer()
    fund(api, brand, 50, f"fund-{unique}")
    started = api.post("/v1/posts/analyze", json={"url": url, "campaign": "spring launch"}, headers=brand)
    assert started.status_code == 202 and started.json["kind"] == "job", started.json
    job = started.json["job"]
    assert job["kind"] == "post" and job["stages"]["insights"]["status"] == "skipped"
    assert balance(api, brand) == 45  # the post_analysis rule: 5 credits
    run_post(pipeline, job, url, unique)
    assert api.get(f"/v1/jobs/{job['id']}", headers=brand).json["status"] == "complete"
    body = api.get(f"/v1/posts/{urls.parse(url).shortcode}", headers=brand).json
    assert body["kind"] == "result", body
    result = body["result"]
    assert (result["kind"], result["owner"]["username"], result["campaign"]) == (kind, owner, "spring launch")
    assert result["analysis"]["sentiment"]["result"]["label"] == "positive"
    assert result["images"] and all(image["cdn_urls"] for image in result["images"])
    engagement = result["engagement"]
    assert engagement["interactions"] == (engagement["likes"] or 0) + engagement["comments"]
    if kind == "reel":
        assert engagement["views"] and engagement["views"] > 0
    assert result["owner"]["held"] is False and engagement["creator_median_er"] is None  # never searched
    with session_scope() as db:  # the owner is a bare row: no report, no catalogue entry
        creator = db.scalar(select(Creator).where(Creator.username == owner))
        assert creator is not None and creator.scraped_at is None
    assert api.get(f"/v1/creators/{owner}", headers=brand).status_code == 404


def test_redelivery_three_times_makes_one_result(api, bearer, pipeline, unique) -> None:  # type: ignore[no-untyped-def]
    brand = bearer()
    fund(api, brand, 50, f"fund-{unique}")
    job = api.post("/v1/posts/analyze", json={"url": POST}, headers=brand).json["job"]
    again = api.post("/v1/posts/analyze", json={"url": POST}, headers=brand).json
    assert again["job"]["id"] == job["id"] and balance(api, brand) == 45  # asking twice: one job, one charge
    run_post(pipeline, job, POST, unique, times=3)
    with session_scope() as db:
        assert db.scalar(select(func.count()).select_from(Post)) == 1
        assert db.scalar(select(func.count()).select_from(TeamPost)) == 1
        assert db.scalar(select(func.count()).select_from(PostAnalysis)) == 2  # two tasks, once each
    assert api.get("/v1/posts/fitwit00464973", headers=brand).json["kind"] == "result"


def test_teams_share_the_job_and_a_later_team_gets_the_result_at_once(api, bearer, pipeline, unique) -> None:  # type: ignore[no-untyped-def]
    first, second, later = bearer(), bearer(), bearer()
    for n, team in enumerate((first, second, later)):
        fund(api, team, 20, f"fund-{unique}-{n}")
    job = api.post("/v1/posts/analyze", json={"url": POST}, headers=first).json["job"]
    joined = api.post("/v1/posts/analyze", json={"url": POST}, headers=second).json["job"]
    assert joined["id"] == job["id"]
    run_post(pipeline, job, POST, unique)
    served = api.post("/v1/posts/analyze", json={"url": POST, "campaign": "q3"}, headers=later)
    assert served.status_code == 200 and served.json["kind"] == "result"
    assert [balance(api, team) for team in (first, second, later)] == [15, 15, 15]
    outsider = bearer()
    assert api.get("/v1/posts/fitwit00464973", headers=outsider).status_code == 404


def test_a_post_that_cannot_be_had_fails_and_refunds(api, bearer, pipeline, unique) -> None:  # type: ignore[no-untyped-def]
    brand = bearer()
    fund(api, brand, 10, f"fund-{unique}")
    url = "https://www.instagram.com/p/Gone12345/"
    job = api.post("/v1/posts/analyze", json={"url": url}, headers=brand).json["job"]
    assert balance(api, brand) == 5
    assert push("scrape_post", {"job_id": job["id"], "url": url, "shortcode": "Gone12345"}, f"p-{unique}") == 204
    ended = api.get(f"/v1/jobs/{job['id']}", headers=brand).json
    assert ended["status"] == "failed" and "no public post" in ended["reason"]
    assert balance(api, brand) == 10
    shown = api.get("/v1/posts/Gone12345", headers=brand).json
    assert shown["kind"] == "job" and shown["job"]["status"] == "failed"
    listed = api.get("/v1/posts", headers=brand).json["items"]
    assert [(p["shortcode"], p["status"]) for p in listed] == [("Gone12345", "failed")]


def test_a_campaign_lists_its_posts_with_totals(api, bearer, pipeline, unique) -> None:  # type: ignore[no-untyped-def]
    brand = bearer()
    fund(api, brand, 50, f"fund-{unique}")
    for n, url in enumerate((POST, REEL)):
        job = api.post("/v1/posts/analyze", json={"url": url, "campaign": "launch"}, headers=brand).json["job"]
        run_post(pipeline, job, url, f"{unique}-{n}")
    api.post("/v1/posts/analyze", json={"url": "instagram.com/p/Other12345", "campaign": "other"}, headers=brand)
    page = api.get("/v1/posts?campaign=launch", headers=brand).json
    assert {p["shortcode"] for p in page["items"]} == {"fitwit00464973", "nano_b02032221"}
    with session_scope() as db:
        posts = db.scalars(select(Post)).all()
    likes = sum(p.likes_count or 0 for p in posts)
    assert page["totals"]["posts"] == page["totals"]["ready"] == 2
    assert page["totals"]["likes"] == likes and page["totals"]["views"] > 0
    assert page["totals"]["engagement"] == likes + sum(p.comments_count or 0 for p in posts)
    assert len(api.get("/v1/posts", headers=brand).json["items"]) == 3
    assert api.get("/v1/posts?campaign=%00x", headers=brand).status_code == 400


def test_a_label_typed_two_ways_is_one_campaign(api, bearer, pipeline, unique) -> None:  # type: ignore[no-untyped-def]
    """`é` precomposed, or as `e` and a combining accent (as macOS sends it), was two campaigns; now one, in NFC."""
    brand = bearer()
    fund(api, brand, 50, f"fund-{unique}")
    composed, decomposed = "Été 2026", "E\u0301te\u0301 2026"
    for shortcode, label in (("Twice12345", decomposed), ("Twice67890", composed)):
        body = {"url": f"instagram.com/p/{shortcode}", "campaign": label}
        assert api.post("/v1/posts/analyze", json=body, headers=brand).status_code == 202
    for label in (composed, decomposed):
        items = api.get(f"/v1/posts?campaign={quote(label)}", headers=brand).json["items"]
        assert sorted((p["shortcode"], p["campaign"]) for p in items) == [
            ("Twice12345", composed), ("Twice67890", composed)
        ]  # fmt: skip


@pytest.mark.parametrize(
    ("label", "accepted"),
    [
        ("Été 2026", True),
        ("夏キャンペーン", True),
        ("می\u200cخواهم", True),  # Persian, written with ZWNJ
        ("e\u0301te\u0301", True),  # é as e and a combining accent
        ("launch 😀 Ⓐ", True),
        ("spring #3 & co/uk+1: v2.0_x-y", True),
        ("50% off", False),  # ASCII punctuation other than the separators, as before
        ("<b>", False),
        ("a\u200bb", False),  # zero-width space
        ("a\u202eb", False),  # a right-to-left override
        ("a\u00a0b", False),  # a space other than " "
        ("a\u2028b", False),  # a line separator
        (" launch", False),  # a space at either end: a second spelling of the label
        ("launch ", False),
        ("a b", True),
        ("a\u037eb", False),  # the Greek question mark, whose NFC form is ";"
        ("फ़ैशन", True),  # Hindi, with a nukta letter NFC writes as two code points
        pytest.param("x" * 81, False, id="81 characters"),
        pytest.param("x" * 80, True, id="80 characters"),
        pytest.param("😀" * 80, True, id="80 emoji"),  # 80 code points (160 UTF-16 units)
    ],
)
def test_a_campaign_label_means_the_same_to_the_document_and_the_server(api, bearer, label, accepted) -> None:  # type: ignore[no-untyped-def]
    """The document's pattern, read as ECMA-262 with the u flag (JSON Schema's dialect; jsonschema_rs, the fuzzer's
    validator) and by Python's re (openapi-spec-validator's), and the server agree on a label in any script."""
    [parameter] = [
        p for p in openapi_document(router)["paths"]["/v1/posts"]["get"]["parameters"] if p["name"] == "campaign"
    ]
    pattern = parameter["schema"]["anyOf"][0]["pattern"]
    assert jsonschema_rs.validator_for({"type": "string", "pattern": pattern}).is_valid(label) is accepted
    assert bool(re.search(pattern, label)) is accepted
    brand = bearer()
    response = api.get(f"/v1/posts?campaign={quote(label)}", headers=brand)
    assert response.status_code == (200 if accepted else 400), response.json
    analysed = api.post(
        "/v1/posts/analyze", json={"url": "instagram.com/p/Label12345", "campaign": label}, headers=brand
    )
    assert analysed.status_code == (402 if accepted else 400), analysed.json  # the label passes; no credits to pay
