"""Lookalikes: nearest creators by content vector (pgvector, HNSW, cosine), filtered, seeds excluded, with why."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, select, text

from infra.local.apify.server import DATASET
from shared.analysis.models import PostAnalysis
from shared.catalogue.models import CreatorSearch, CreatorVector
from shared.columns import to_text
from shared.creators import documents, ingest
from shared.db import get_engine, session_scope
from tests.fixtures import catalogue
from tests.fixtures.inference import run_batched

FITNESS = {"fitwithmaya", "yoga.amira", "fitness.rafa", "run.berlin"}


@pytest.fixture
def clusters(db: None) -> dict[str, int]:
    """Three fitness creators around one direction, three food creators around another, one with no vector."""
    ids = {}
    for n in range(3):
        ids[f"fit_{n}"] = catalogue.add(
            f"fit_{n}",
            followers=10_000 * (n + 1),
            categories=["fitness", "food"] if n == 2 else ["fitness"],
            embedding=catalogue.direction(100 + n, noise=0.3, base=1),
            languages=["en"] if n else ["es"],
        )
        ids[f"food_{n}"] = catalogue.add(
            f"food_{n}", followers=20_000, categories=["food"], embedding=catalogue.direction(200 + n, 0.3, base=2)
        )
    ids["unanalysed"] = catalogue.add("unanalysed", followers=5_000)
    return ids  # fmt: skip


@contextmanager
def statements() -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    event.listen(get_engine(), "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(get_engine(), "before_cursor_execute", record)


def usernames(body: dict[str, Any]) -> list[str]:
    return [hit["profile"]["username"] for hit in body["items"]]


def test_nearest_creators_share_the_content_and_say_why(api, bearer, clusters) -> None:  # type: ignore[no-untyped-def]
    body = api.get("/v1/creators/fit_0/lookalikes?limit=3", headers=bearer()).json
    assert body["seeds"] == ["fit_0"] and set(usernames(body)[:2]) == {"fit_1", "fit_2"}
    first = body["items"][0]
    assert first["why"]["shared_categories"] == ["fitness"] and 0.5 < first["why"]["similarity"] <= 1
    assert first["locked"] is True and "embedding" not in json.dumps(body)
    sims = [hit["why"]["similarity"] for hit in body["items"]]
    assert sims == sorted(sims, reverse=True) and sims[2] < sims[1]  # the third is from the other cluster


def test_more_like_these_leaves_every_seed_out_and_filters_apply(api, bearer, clusters) -> None:  # type: ignore[no-untyped-def]
    brand = bearer()
    body = api.get("/v1/creators/food_0/lookalikes?like=food_1&limit=4", headers=brand).json
    assert body["seeds"] == ["food_0", "food_1"] and usernames(body)[0] == "food_2"
    assert not {"food_0", "food_1"} & set(usernames(body))
    filtered = api.get("/v1/creators/fit_0/lookalikes?languages=en&min_followers=25000", headers=brand).json
    assert usernames(filtered) == ["fit_2"]


def test_unknown_and_unanalysed_seeds_are_clear_errors(api, bearer, clusters) -> None:  # type: ignore[no-untyped-def]
    brand = bearer()
    missing = api.get("/v1/creators/nobody_here/lookalikes", headers=brand)
    assert missing.status_code == 404 and "@nobody_here" in missing.json["detail"]
    unready = api.get("/v1/creators/fit_0/lookalikes?like=unanalysed", headers=brand)
    assert unready.status_code == 409 and "@unanalysed" in unready.json["detail"]
    bad = api.get("/v1/creators/fit_0/lookalikes?categories=astrology", headers=brand)
    assert bad.status_code == 400


@pytest.mark.parametrize(
    ("filters", "indexes"),
    [
        ("min_followers=1000", ["ix_creator_vectors_embedding_hnsw"]),
        ("languages=en", ["ix_creator_vectors_embedding_en"]),  # that language's own graph
        ("languages=en,es&min_followers=1000", ["ix_creator_vectors_embedding_en", "ix_creator_vectors_embedding_es"]),
        ("languages=en,nl", ["ix_creator_vectors_embedding_hnsw"]),  # nl has no graph of its own: the one for all
    ],
)
def test_the_query_uses_the_hnsw_index(api, bearer, db, filters, indexes) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(7)
    langs = [["en"], ["es"], ["en", "es"], ["nl"], []]
    with session_scope() as session:
        session.execute(
            text(
                "INSERT INTO creators (username, is_verified, is_private, is_business, source) "
                "SELECT 'bulk_' || n, false, false, false, 'apify' FROM generate_series(1, 2000) n"
            )
        )
        ids = session.scalars(text("SELECT id FROM creators ORDER BY id")).all()
        session.execute(
            text(
                "INSERT INTO creator_search (creator_id, username, name_text, bio, profile, categories, languages, "
                "verified, business, followers) VALUES (:id, :u, :u, '', jsonb_build_object('username', "
                "CAST(:u AS text), 'full_name', null, 'followers_count', CAST(:f AS bigint), 'is_verified', false, "
                "'is_private', false, 'avatar', null), '{}', :langs, false, false, :f)"
            ),
            [{"id": i, "u": f"bulk_{i}", "f": rng.randint(0, 10**6), "langs": langs[i % 5]} for i in ids],
        )
        session.execute(
            text(
                "INSERT INTO creator_vectors (creator_id, embedding, posts, languages) "
                "VALUES (:id, CAST(:v AS vector), 12, :langs)"
            ),
            [{"id": i, "v": to_text([rng.gauss(0, 1) for _ in range(384)]), "langs": langs[i % 5]} for i in ids],
        )
        session.execute(text("ANALYZE creator_search"))
        session.execute(text("ANALYZE creator_vectors"))
    catalogue.add("seed_creator", followers=1, embedding=catalogue.direction(1))
    with statements() as seen:  # the statement the endpoint runs, with its parameters
        found = api.get(f"/v1/creators/seed_creator/lookalikes?{filters}", headers=bearer())
        assert found.status_code == 200 and len(found.json["items"]) == 10
    statement, parameters = next((sql, params) for sql, params in seen if "<=>" in sql)
    with get_engine().connect() as connection:
        plan = "\n".join(connection.exec_driver_sql("EXPLAIN " + statement, parameters).scalars().all())
    used = sorted(set(re.findall(r"ix_creator_vectors_embedding_\w+", plan)))
    assert used == indexes, plan
    if "languages" in filters:  # every hit speaks one of them, and none comes twice
        wanted = set(filters.split("languages=")[1].split("&")[0].split(","))
        names = [hit["profile"]["username"] for hit in found.json["items"]]
        assert len(set(names)) == len(names)
        with session_scope() as session:
            spoken = session.execute(
                select(CreatorSearch.username, CreatorSearch.languages).where(CreatorSearch.username.in_(names))
            ).all()
        assert all(wanted & set(languages) for _, languages in spoken), spoken


def test_fitness_creators_of_the_sample_dataset_find_each_other(api, bearer, db, lite_embeddings) -> None:  # type: ignore[no-untyped-def]
    """The sample dataset, real MiniLM embeddings of each caption, the index writer's mean vector."""
    items = json.loads(DATASET.read_text())
    captions, owners = [], []
    with session_scope() as session:
        for item in items:
            creator = ingest.upsert_creator(db_session=session, item=item, scraped_at=datetime.now(UTC))
            posts = ingest.upsert_posts(db_session=session, creator=creator, posts=item.get("latestPosts") or [])
            captions += [post.caption or "" for post in posts]
            owners += [(creator.id, post.id) for post in posts]
    vectors, _ = run_batched(lite_embeddings, "embeddings", captions)
    task = lite_embeddings["embeddings"]
    with session_scope() as session:
        session.add_all(
            PostAnalysis(post_id=post_id, task="embeddings", model_id=task.model_id, model_revision=task.revision,
                         result=vector)
            for (_, post_id), vector in zip(owners, vectors, strict=True)
        )  # fmt: skip
        for creator_id in sorted({creator_id for creator_id, _ in owners}):
            documents.write(db_session=session, creator_id=creator_id, embedding=True)
        held = session.scalars(select(CreatorSearch.username).join(CreatorVector)).all()
    assert set(held) >= FITNESS
    brand, tops = bearer(), {}
    for seed in ("fitwithmaya", "fitness.rafa"):
        tops[seed] = usernames(api.get(f"/v1/creators/{seed}/lookalikes?limit=3", headers=brand).json)
        print(seed, "->", tops[seed])
        assert set(tops[seed][:2]) <= FITNESS - {seed}, tops


def test_the_vector_rows_languages_follow_the_search_row(api, bearer, clusters) -> None:  # type: ignore[no-untyped-def]
    """A creator whose captions change language moves between the per-language graphs with its next refresh."""
    from shared.catalogue import index

    def languages_of(name: str) -> tuple[list[str], list[str]]:
        with session_scope() as session:
            row = session.execute(
                select(CreatorSearch.languages, CreatorVector.languages)
                .join(CreatorVector, CreatorVector.creator_id == CreatorSearch.creator_id)
                .where(CreatorSearch.username == name)
            ).one()
        return row[0], row[1]

    assert languages_of("fit_1") == (["en"], ["en"])
    profile = {"username": "fit_1", "full_name": "Fit 1", "followers_count": 20_000, "is_verified": False}
    profile |= {"is_private": False, "avatar": None}
    now_spanish = {
        "profile": profile,
        "insights": {"data": {"audience": {"languages": {"posts": [{"code": "es", "share": 0.9}]}}}},
    }
    with session_scope() as session:
        index.refresh(db_session=session, creator_id=clusters["fit_1"], document=now_spanish)
    assert languages_of("fit_1") == (["es"], ["es"])
    brand = bearer()
    in_spanish = usernames(api.get("/v1/creators/fit_0/lookalikes?languages=es", headers=brand).json)
    in_english = usernames(api.get("/v1/creators/fit_0/lookalikes?languages=en", headers=brand).json)
    assert "fit_1" in in_spanish and "fit_1" not in in_english
