"""GET /v1/creators/{username}/lookalikes (and ?like=a,b for "more like these"): the nearest creators by content.

The target is the seeds' content vectors averaged and normalised (one seed: its own vector); neighbours come from
an HNSW index on `creator_vectors` (cosine distance) with the catalogue's filters applied during the index scan
(pgvector's iterative scan, so a selective filter still fills the page) and the seeds left out: the index for all
creators, or, filtered to languages that have one, each language's own (models.INDEXED_LANGUAGES). Each hit says
why: the cosine similarity and the top categories it shares with the seeds."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import CompoundSelect, Float, Select, literal_column, select, text, union_all
from sqlalchemy.orm import Session

from shared.catalogue.models import INDEXED_LANGUAGES, language_array
from shared.catalogue.models import CreatorSearch as T
from shared.catalogue.models import CreatorVector as V
from shared.catalogue.schemas import Lookalike, LookalikesOut, LookalikesQuery, Why
from shared.catalogue.search import conditions, hit_of, unlock_price, unlocked_for
from shared.errors import Conflict, NotFound
from shared.teams.scope import TeamScope

EF_SEARCH = 200  # HNSW candidates per query (pgvector's default 40): 100 gave recall@10 0.946 at 100k in the bench


def lookalikes(*, db_session: Session, scope: TeamScope, seeds: list[str], query: LookalikesQuery) -> LookalikesOut:
    found = {
        row.username: row
        for row in db_session.execute(
            select(T.creator_id, T.username, V.embedding, T.categories)
            .outerjoin(V, V.creator_id == T.creator_id)
            .where(T.username.in_(seeds))
        )
    }
    missing = [name for name in seeds if name not in found]
    if missing:
        raise NotFound(f"not in the catalogue yet: {', '.join('@' + m for m in missing)} (search for them first)")
    unready = [name for name in seeds if found[name].embedding is None]
    if unready:
        raise Conflict(f"no analysed posts yet for {', '.join('@' + u for u in unready)}: lookalikes need them")
    target = _mean([found[name].embedding for name in seeds])
    seed_categories = {c for name in seeds for c in found[name].categories}
    db_session.execute(text(f"SET LOCAL hnsw.ef_search = {EF_SEARCH}"))
    # A filter the nearest creators fail makes the index scan go on past its first candidates (iterative scan);
    # relaxed order is faster and may return them slightly out of order, so they are sorted again here.
    db_session.execute(text("SET LOCAL hnsw.iterative_scan = relaxed_order"))
    exclude = [found[name].creator_id for name in seeds]
    nearest = sorted(
        db_session.execute(neighbours(target, exclude=exclude, scope=scope, query=query)).all(),
        key=lambda row: (row.distance, row.creator_id),
    )
    rows = list({row.creator_id: row for row in nearest}.values())[: query.limit]  # once each, nearest first
    price = unlock_price(db_session=db_session, scope=scope)
    items = [
        Lookalike(
            **hit_of(row, price),
            why=Why(
                similarity=round(1 - float(row.distance), 4),
                shared_categories=[c for c in row.categories if c in seed_categories],
            ),
        )
        for row in rows
    ]
    return LookalikesOut(seeds=seeds, items=items)


def _mean(vectors: list[list[float]]) -> list[float]:
    total = [sum(values) for values in zip(*vectors, strict=True)]
    norm = math.sqrt(sum(x * x for x in total)) or 1.0
    return [x / norm for x in total]


def neighbours(
    target: list[float], *, exclude: list[int], scope: TeamScope, query: LookalikesQuery
) -> CompoundSelect | Select[Any]:
    """Nearest creators to `target` by cosine distance (an HNSW index's order), filtered, seeds left out. Filtered
    to languages that each have their own index: one walk per language, in that language's graph (a creator in
    two of them may come twice: the caller keeps one)."""
    if query.languages and set(query.languages) <= set(INDEXED_LANGUAGES):
        return union_all(*(_nearest(target, exclude, scope, query, language) for language in query.languages))
    return _nearest(target, exclude, scope, query, None)


def _nearest(
    target: list[float], exclude: list[int], scope: TeamScope, query: LookalikesQuery, language: str | None
) -> Select[Any]:
    distance = V.embedding.op("<=>", return_type=Float)(target)
    # The partial index's own WHERE, with its constant: a bound parameter would hide which index fits.
    in_language = [V.languages.op("@>")(literal_column(language_array(language)))] if language else []
    return (
        select(
            T.creator_id,
            T.profile,
            T.posts_count,
            T.scraped_at,
            T.categories,
            distance.label("distance"),
            unlocked_for(scope).label("unlocked"),
        )
        .select_from(V)
        .join(T, T.creator_id == V.creator_id)
        .where(V.creator_id.not_in(exclude), *in_language, *conditions(query))
        .order_by(distance)
        .limit(query.limit)
    )
