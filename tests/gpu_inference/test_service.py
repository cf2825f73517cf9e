"""The ASGI service: readiness after loading, /v1/infer, /metrics, problems, the loop stays free,
and /v1/analyze on a real scraped job (Postgres, Pub/Sub emulator, moto) re-delivered 3 times."""

from __future__ import annotations

import base64
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from gpu_inference.app import create_app
from gpu_inference.manifest import TASKS
from shared.analysis.models import COMMENT_TASKS, CreatorInsights, PostAnalysis
from shared.creators.models import Post
from shared.db import session_scope
from shared.events.models import OutboxMessage
from shared.insights.inputs import COMMENTS_ANALYSED, scraped_comments
from shared.jobs.models import Job
from tests.fixtures.inference import png
from tests.fixtures.pipeline import run_scrape, search


@pytest.fixture(scope="module")
def service(tiny_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(profile="full", models_dir=str(tiny_dir))) as client:
        yield client


def test_ready_only_after_models_load_and_lists_them(service: TestClient) -> None:
    ready = service.get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True
    assert ready.json()["models"]["categories"] == {
        "model_id": "facebook/bart-large-mnli",
        "revision": "tiny-categories",
    }
    assert ready.json()["precision"] in {"float32", "bfloat16"} and ready.json()["batch_tokens"] >= 256
    assert service.get("/healthz").json() == {"status": "ok"}


def test_infer_texts_and_images(service: TestClient) -> None:
    body = {
        "tasks": ["sentiment", "categories", "visual"],
        "texts": ["Leg day 💪", ""],
        "images": [
            base64.b64encode(png(mode="RGBA", color=(1, 2, 3, 4))).decode(),
            {"data_base64": base64.b64encode(png(size=(3, 3))).decode()},
        ],
    }
    response = service.post("/v1/infer", json=body)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert len(results["sentiment"]) == len(results["categories"]) == 2
    assert [r["status"] for r in results["visual"]] == ["ok", "ok"]
    metrics = service.get("/metrics").text
    assert 'inference_batches_total{task="categories"}' in metrics
    assert "inference_request_latency_seconds" in metrics


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"tasks": ["horoscope"], "texts": ["x"]}, "unknown task"),
        ({"tasks": ["visual"], "images": ["%%% not base64"]}, "base64"),
        ({"tasks": ["sentiment"], "texts": ["x"], "balance": 1}, "schema"),
        ({"tasks": [], "texts": ["x"]}, "schema"),
        ({"tasks": ["sentiment"], "texts": ["x"] * 257}, "schema"),
        ({"tasks": ["visual"], "images": [{"url": "http://169.254.169.254/latest/meta-data/"}]}, "images[0]"),
        ({"tasks": ["visual"], "images": [{"url": "file:///etc/passwd"}]}, "images[0]"),
        ({"tasks": ["visual"], "images": [{"key": "../../etc/passwd"}]}, "schema"),
        ({"tasks": ["visual"], "images": [{}]}, "exactly one"),
    ],
)
def test_bad_requests_are_problems(service: TestClient, body: dict[str, Any], needle: str) -> None:
    response = service.post("/v1/infer", json=body)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert needle in response.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        b"{oops",
        # These two answered 500, "the request may be retried": Python's json recursed past its limit, and the
        # surrogate (half an emoji) reached the tokenizer, which raised TypeError.
        b"[" * 5000 + b"]" * 5000,
        b'{"tasks": ["sentiment"], "texts": ["cut \\ud83d"]}',
    ],
    ids=["malformed", "nested 5,000 deep", "a lone surrogate"],
)
def test_not_json_is_a_problem(service: TestClient, body: bytes) -> None:
    response = service.post("/v1/infer", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and "not JSON" in response.json()["detail"]


def test_the_event_loop_answers_health_while_a_batch_holds_the_device(service: TestClient, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Device work runs on its worker thread: while a batch is held inside `core`, /healthz still answers."""
    sentiment = service.app.state.inference.batcher.tasks["sentiment"]
    real, inside, release = sentiment.core, threading.Event(), threading.Event()

    def held(items):  # type: ignore[no-untyped-def]
        inside.set()
        assert release.wait(timeout=30), "the test never released the batch"
        return real(items)

    monkeypatch.setattr(sentiment, "core", held)
    answers: list[int] = []
    batch = threading.Thread(
        target=lambda: answers.append(
            service.post("/v1/infer", json={"tasks": ["sentiment"], "texts": ["held batch"] * 8}).status_code
        )
    )
    batch.start()
    try:
        assert inside.wait(timeout=10), "the batch never reached the device"
        health = threading.Thread(target=lambda: answers.append(service.get("/healthz").status_code))
        health.start()
        health.join(timeout=10)
        assert not health.is_alive() and answers == [200], "a blocked event loop would hold /healthz until release"
    finally:
        release.set()
        batch.join(timeout=30)
    assert answers == [200, 200]


@pytest.mark.emulator
@pytest.mark.usefixtures("db", "pipeline")
def test_analyze_a_scraped_job_redelivered_three_times(service, api, bearer, pipeline, unique) -> None:  # type: ignore[no-untyped-def]
    from tests.fixtures.pipeline import push

    brand = bearer()
    job = search(api, brand, "fitwithmaya").json["job"]
    for message in run_scrape(pipeline, job, unique, cdn=True):
        assert push("cdn", message, f"cdn-{message['asset_id']}") == 204
    with session_scope() as db:
        creator_id = db.get(Job, uuid.UUID(job["id"])).creator_id  # type: ignore[union-attr]
        posts = db.scalar(select(func.count()).select_from(Post)) or 0

    outcomes = [service.post("/v1/analyze", json={"job_id": job["id"], "creator_id": creator_id}) for _ in range(3)]
    assert [o.status_code for o in outcomes] == [200, 200, 200]
    assert [o.json()["duplicate"] for o in outcomes] == [False, True, True]
    per_post = len(TASKS) + len(COMMENT_TASKS)  # the captions' tasks, and sentiment and language of the comments
    assert not outcomes[0].json()["tasks_failed"]
    with session_scope() as db:
        rows = db.scalars(select(PostAnalysis)).all()
        stored = db.get(Job, uuid.UUID(job["id"]))
        analyzed = db.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.body["topic"].astext == "creator.analyzed")
        )
    # One row per post and task, except where a post's comments went to both sentiment models (routing.py).
    assert len({(r.post_id, r.task) for r in rows}) == posts * per_post
    assert outcomes[0].json()["rows"] == len(rows)
    with session_scope() as db:
        scraped = {p.id: len(scraped_comments(p.latest_comments)) for p in db.scalars(select(Post))}
    for row in rows:  # one place per scraped comment (up to the cap), in order
        if row.task in COMMENT_TASKS.values():
            assert len(row.result) == min(scraped[row.post_id], COMMENTS_ANALYSED)
    assert {(r.task, r.model_revision) for r in rows} >= {("categories", "tiny-categories"), ("visual", "tiny-visual")}
    visual = [r.result for r in rows if r.task == "visual"]
    assert all(v["status"] == "ok" for v in visual)  # every post's first image read back from the bucket
    assert stored is not None and stored.stages["analysis"]["status"] == "done"
    assert stored.stages["analysis"]["done"] == posts
    assert analyzed == 1

    from shared.creators.models import MediaAsset
    from shared.media.storage import rendition_key

    with session_scope() as db:
        sha = db.scalar(select(MediaAsset.content_sha256).where(MediaAsset.content_sha256.is_not(None)))
    by_key = service.post("/v1/infer", json={"tasks": ["visual"], "images": [{"key": rendition_key(sha, 320)}]})
    assert by_key.status_code == 200 and by_key.json()["results"]["visual"][0]["stats"]["width"] == 320

    unknown = service.post("/v1/analyze", json={"job_id": str(uuid.uuid4()), "creator_id": creator_id})
    assert unknown.status_code == 404 and unknown.headers["content-type"] == "application/problem+json"

    # creator.analyzed -> insights, delivered 3 times (new message ids): one version, and the job ends.
    analyzed = {"job_id": job["id"], "creator_id": creator_id}
    assert [push("insights", analyzed, f"analyzed-{n}") for n in range(3)] == [204, 204, 204]
    with session_scope() as db:
        versions = db.scalars(select(CreatorInsights)).all()
        stored = db.get(Job, uuid.UUID(job["id"]))
    assert [v.version for v in versions] == [1]
    assert "engagement" in versions[0].analyses_ran and "audience_quality" in versions[0].data
    # Every analysis has what it needs on this creator (trends reports too few snapshots as a result, not a failure).
    assert stored is not None and (stored.status, stored.reason) == ("complete", None)
    report = api.get("/v1/creators/fitwithmaya", headers=brand).json["report"]
    assert report["analysis"]["status"] == "complete"
    voice = report["insights"]["data"]["comments"]["audience_sentiment"]
    assert voice["counted"] + voice["not_counted"] == sum(scraped.values()) and voice["counted"] > 0
    assert all(set(post["analysis"]).isdisjoint(COMMENT_TASKS.values()) for post in report["posts"])
    assert report["insights"]["status"] == "complete" and report["insights"]["data"]["engagement"]
