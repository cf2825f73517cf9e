"""Sentiment routed by language (gpu_inference/routing.py): the table, the engine, and the rows a job stores.

The tiny full-profile language model is random, so the engine tests detect languages with the lite profile's
real fastText model (a Task of the same shape): the texts' languages are then known, and so are their routes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import select

from gpu_inference import analyze, routing
from gpu_inference.engine.batcher import Batcher
from gpu_inference.engine.lite import FastTextLanguage
from gpu_inference.engine.tasks import Task, TextClassifier
from gpu_inference.manifest import FULL, LITE, MULTILINGUAL_SENTIMENT, SENTIMENT_LABELS
from shared.analysis.models import PostAnalysis
from shared.creators.models import Post
from shared.db import session_scope
from shared.insights import inputs
from shared.jobs.models import Job
from tests.fixtures.pipeline import push, run_scrape, search

ENGLISH, XLM_T = FULL["sentiment"].model_id, FULL[MULTILINGUAL_SENTIMENT].model_id


@pytest.mark.parametrize(
    ("text", "language", "task", "flagged"),
    [
        ("Leg day at the gym", {"label": "en", "score": 0.98}, "sentiment", False),
        ("ok", {"label": "en", "score": 0.31}, MULTILINGUAL_SENTIMENT, False),  # unsure: XLM-T reads English too
        ("El mejor día de pasta del año", {"label": "es", "score": 0.99}, MULTILINGUAL_SENTIMENT, False),
        ("مرحبا بكم في قناتي الجديدة", {"label": "ar", "score": 0.99}, MULTILINGUAL_SENTIMENT, False),
        ("Wat een mooie dag", {"label": "nl", "score": 0.95}, MULTILINGUAL_SENTIMENT, True),
        ("Wat een mooie dag", {"label": None, "score": 0.0}, MULTILINGUAL_SENTIMENT, True),
        ("Wat een mooie dag", None, MULTILINGUAL_SENTIMENT, True),  # the language task failed
    ],
)
def test_the_routing_table(text: str, language: Any, task: str, flagged: bool) -> None:
    chosen = routing.route(text, language)
    assert chosen.task == task and chosen.answer is None
    assert chosen.note.get("low_confidence", False) is flagged
    if flagged:
        assert chosen.note["reason"]
        assert "nl is not among" in chosen.note["reason"] or "could not be detected" in chosen.note["reason"]


def test_no_text_is_answered_by_no_model() -> None:
    chosen = routing.route("  \n", {"label": "en", "score": 0.9})
    assert chosen.answer == {"label": None, "score": 0.0, "scores": {}, "status": "unavailable", "reason": "no text"}


def with_fasttext(full_tasks: dict[str, Task]) -> dict[str, Task]:
    return {**full_tasks, "language": FastTextLanguage(LITE["language"], "lite")}


def batched(tasks: dict[str, Task], work: Callable[[Batcher], Awaitable[Any]]) -> Any:
    async def go() -> Any:
        batcher = Batcher(tasks, max_batch_tokens=4096, max_queue=10_000)
        await batcher.start()
        try:
            return await work(batcher)
        finally:
            await batcher.stop()

    return asyncio.run(go())


TEXTS = [
    "Honestly the best gym day this year, so grateful for all of you",
    "El mejor día de pasta del año, gracias a todos por venir",
    "مرحبا بكم في قناتي الجديدة، شكرا لكم على الدعم",
    "Vandaag gaan we met de hele familie naar het strand in Zandvoort",
    "",
]


def test_each_text_is_answered_by_the_model_its_language_routes_to(full_tasks: dict[str, Task]) -> None:
    tasks = with_fasttext(full_tasks)
    out = batched(tasks, lambda b: routing.infer(b, ["sentiment", "language", "categories"], TEXTS, [None] * 5))
    routed = out["sentiment"]
    assert [a["label"] for a in out["language"][:4]] == ["en", "es", "ar", "nl"]
    assert routed.by == ["sentiment", *[MULTILINGUAL_SENTIMENT] * 3, "sentiment"]
    assert [bool(a.get("low_confidence")) for a in routed.results] == [False, False, False, True, False]
    assert routed.results[4]["status"] == "unavailable"
    assert len(out["categories"]) == len(TEXTS)  # the other tasks ran beside the routed pair
    alone = {
        task: batched(tasks, lambda b, task=task: b.run(task, TEXTS[:4]))
        for task in ("sentiment", MULTILINGUAL_SENTIMENT)
    }
    for n, (task, answer) in enumerate(zip(routed.by[:4], routed.results[:4], strict=True)):
        assert answer is not None and answer["label"] in SENTIMENT_LABELS  # XLM-T's "Positive" reads "positive"
        assert answer["scores"] == alone[task][n]["scores"], f"text {n} was not answered by {task}"


def test_a_failing_model_fails_only_its_own_texts(full_tasks: dict[str, Task], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    tasks = with_fasttext(full_tasks)

    def broken(items: Any) -> Any:
        raise RuntimeError("device lost")

    monkeypatch.setattr(tasks[MULTILINGUAL_SENTIMENT], "core", broken)
    out = batched(tasks, lambda b: routing.infer(b, ["sentiment", "language"], TEXTS[:2], [None, None]))
    routed = out["sentiment"]
    assert set(routed.errors) == {MULTILINGUAL_SENTIMENT} and routed.results[0] is not None
    runs = analyze._runs(Batcher(tasks, max_batch_tokens=4096, max_queue=10), uuid.uuid4(), "sentiment", routed)
    by_model = {run.model_id: run for run in runs}
    assert by_model[ENGLISH].results == [routed.results[0], None]
    assert by_model[XLM_T].results is None and "device lost" in (by_model[XLM_T].error or "")


def test_a_sentiment_model_with_other_labels_is_refused(full_tasks: dict[str, Task]) -> None:
    english = full_tasks["sentiment"]
    assert isinstance(english, TextClassifier)
    model = english.model
    saved = dict(model.config.id2label)
    model.config.id2label = {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}
    try:
        with pytest.raises(ValueError, match="are not"):
            TextClassifier(english.spec, "x", english.tokenizer, model, english.device)
    finally:
        model.config.id2label = saved


@pytest.mark.emulator
@pytest.mark.usefixtures("db", "pipeline")
def test_a_job_stores_each_answer_under_the_model_that_gave_it(full_tasks, api, bearer, pipeline, unique) -> None:  # type: ignore[no-untyped-def]
    """glowup.zoe writes eleven captions in English and one in Turkish; her comments mix English and emoji."""
    job = search(api, bearer(), "glowup.zoe").json["job"]
    for message in run_scrape(pipeline, job, unique, cdn=True):
        assert push("cdn", message, f"cdn-{message['asset_id']}") == 204
    with session_scope() as db:
        creator_id = db.get(Job, uuid.UUID(job["id"])).creator_id  # type: ignore[union-attr]
    outcome = batched(with_fasttext(full_tasks), lambda b: analyze.run(b, job_id=job["id"], creator_id=creator_id))
    assert not outcome["tasks_failed"]
    with session_scope() as db:
        rows = db.scalars(select(PostAnalysis)).all()
        posts = {p.id: p for p in db.scalars(select(Post))}
        data = inputs.load(db_session=db, creator_id=creator_id)
    sentiment = [r for r in rows if r.task == "sentiment"]
    assert sorted(r.post_id for r in sentiment) == sorted(posts)  # one answer per post
    language = {r.post_id: r.result for r in rows if r.task == "language"}
    for row in sentiment:
        found = language[row.post_id]
        english = found["label"] == "en" and found["score"] >= routing.CONFIDENT
        assert row.model_id == (ENGLISH if english else XLM_T), (posts[row.post_id].caption, found)
        assert bool(row.result.get("low_confidence")) is (found["label"] not in routing.XLM_T_LANGUAGES)
    assert {r.model_id for r in sentiment} == {ENGLISH, XLM_T}
    flagged = [p for p in data.posts if p.analysis["sentiment"].get("low_confidence")]
    assert len(flagged) == 1  # the Turkish caption: labelled, flagged, and left out of the mix
    comment_rows = [r for r in rows if r.task == "comment_sentiment"]
    assert {r.model_id for r in comment_rows} == {ENGLISH, XLM_T}  # "love this" and "🔥🔥🔥" part ways
    for post in data.posts:  # the two models' rows of a post merge into one answer per comment
        answers = post.analysis.get("comment_sentiment") or []
        assert len(answers) == len(post.latest_comments) and None not in answers
        assert all(c.sentiment in (*SENTIMENT_LABELS, None) for c in post.latest_comments)
