"""GET /v1/discovery/creators: catalogue search over the creators we hold.

Every filter is a column of `creator_search` (B-tree, GIN on the arrays and the trigram text); sorts are
`value DESC NULLS LAST, creator_id DESC`, paged by keyset (the last hit's value and id), so a page never repeats
or skips a creator when rows are inserted between requests. Each hit is a preview: no report field."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Float, and_, case, cast, exists, func, literal, or_, select, tablesample, text, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.util import ClauseAdapter

from shared.catalogue import cursor
from shared.catalogue.models import CreatorSearch as T
from shared.catalogue.schemas import CataloguePage, CatalogueQuery, Facet, Facets, Filters, Hit
from shared.creators.report import ProfileOut, UnlockPrice, freshness_at
from shared.credits import service as credits_service
from shared.credits.models import UnlockedInfluencer
from shared.credits.unlocks import UNLOCK_ACTION
from shared.teams import service as teams_service
from shared.teams.scope import TeamScope

# Free text: trigram word similarity of q to the username and full name (typos forgiven, 0..1), a fixed
# bonus when q's words are in the bio (full-text: exact words, any language, index-only matching), and a little
# popularity (log followers, at most POPULARITY) so that equally good matches rank the better-known first.
BIO_MATCH = 0.3
POPULARITY = 0.05
# Facets count every matching creator up to this many; beyond, a block sample of the table (flagged approximate):
# a 5% sample of 100,000 creators estimates a facet of 1,000 within about 10%.
FACET_EXACT_LIMIT = 5_000
# Up to this many matches, a page is found filter-first and then sorted; beyond, by walking the sort's index.
FILTER_FIRST_LIMIT = 2_000
SORT_COLUMNS: dict[str, Any] = {
    "followers": T.followers,
    "er": T.median_er,
    "quality": T.quality_score,
    "growth": T.growth_30d,
}


def conditions(filters: Filters) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a filter set (shared with lookalikes)."""
    f, out = filters, []
    bounds = (
        (f.min_followers, T.followers, ">="),
        (f.max_followers, T.followers, "<="),
        (f.min_er, T.median_er, ">="),
        (f.max_er, T.median_er, "<="),
        (f.max_sponsored_share, T.sponsored_share, "<="),
        (f.min_quality, T.quality_score, ">="),
        (f.min_growth_30d, T.growth_30d, ">="),
    )
    out += [column >= value if op == ">=" else column <= value for value, column, op in bounds if value is not None]
    if f.categories:
        out.append(
            T.categories.contains(f.categories) if f.categories_match == "all" else T.categories.overlap(f.categories)
        )
    if f.languages:
        out.append(T.languages.overlap(f.languages))
    out += [
        column == value
        for value, column in (
            (f.country, T.country),
            (f.verified, T.verified),
            (f.business, T.business),
            (f.quality_state, T.quality_state),
        )
        if value is not None
    ]
    if f.scraped_within_days is not None:
        out.append(T.scraped_at >= func.now() - func.make_interval(0, 0, 0, f.scraped_within_days))
    return out


def unlocked_for(scope: TeamScope) -> ColumnElement[bool]:
    return exists().where(
        UnlockedInfluencer.team_id == scope.team_id,
        UnlockedInfluencer.creator_id == T.creator_id,
        UnlockedInfluencer.expires_at > func.now(),
    )


def unlock_price(*, db_session: Session, scope: TeamScope) -> UnlockPrice:
    plan = teams_service.get_plan(db_session=db_session, team_id=scope.team_id)
    rule = credits_service.pricing_rule(db_session=db_session, action=UNLOCK_ACTION, plan=plan)
    return UnlockPrice(action=UNLOCK_ACTION, credits=rule.credits_cost)


def hit_of(row: Any, price: UnlockPrice, **extra: Any) -> dict[str, Any]:
    return {
        "profile": ProfileOut.model_validate(row.profile),
        "posts_count": row.posts_count,
        "locked": not row.unlocked,
        "unlock_price": price,
        "freshness": freshness_at(row.scraped_at),
        **extra,
    }


def search(*, db_session: Session, scope: TeamScope, query: CatalogueQuery) -> CataloguePage:
    where = conditions(query)
    sort = query.order
    if query.q:
        words = query.q.strip().lower()
        name_match = T.name_text.op("%%>")(words)  # pg8000 escapes a literal % as %%
        bio_match = T.bio_tsv.op("@@")(func.plainto_tsquery("simple", words))
        where.append(or_(name_match, bio_match))
        relevance = cast(
            func.word_similarity(words, T.name_text)
            + case((bio_match, BIO_MATCH), else_=0.0)
            + POPULARITY * func.ln(1 + func.coalesce(T.followers, 0)) / math.log(1e9),
            Float,
        )
    key = relevance if sort == "relevance" else SORT_COLUMNS[sort]
    digest = cursor.filters_digest(query.model_dump(mode="json", exclude={"cursor", "limit"}))
    page_where = list(where)
    if query.cursor:
        value, last_id = cursor.decode(query.cursor, sort=sort, digest=digest)
        page_where.append(_after(key, value, last_id))
    matches = _bounded_count(db_session, where)
    source: Any = T
    if matches <= FILTER_FIRST_LIMIT:
        # Few matches: find them first (bitmap on the filters' indexes), then sort them. Walking the sort's index
        # would read the whole table to find a handful, or none.
        found = select(T.creator_id).where(*page_where).cte("found").prefix_with("MATERIALIZED")
        source = T.__table__.join(found, found.c.creator_id == T.creator_id)
    columns = [
        T.creator_id,
        T.profile,
        T.posts_count,
        T.scraped_at,
        key.label("sort_value"),
        unlocked_for(scope).label("unlocked"),
    ]
    if query.q:
        columns.append(relevance.label("relevance"))
    statement = select(*columns).select_from(source)
    if source is T:
        statement = statement.where(*page_where)
    rows = db_session.execute(
        statement.order_by(key.desc().nulls_last(), T.creator_id.desc()).limit(query.limit + 1)
    ).all()
    more, rows = len(rows) > query.limit, rows[: query.limit]
    price = unlock_price(db_session=db_session, scope=scope)
    items = [Hit(**hit_of(row, price, relevance=round(row.relevance, 4) if query.q else None)) for row in rows]
    next_cursor = (
        cursor.encode(sort=sort, value=rows[-1].sort_value, creator_id=rows[-1].creator_id, digest=digest)
        if more
        else None
    )
    return CataloguePage(items=items, next_cursor=next_cursor, facets=_facets(db_session, where, matches), sort=sort)


def _after(key: Any, value: float | int | None, last_id: int) -> ColumnElement[bool]:
    """Rows after (value, id) in `key DESC NULLS LAST, creator_id DESC` order."""
    if value is None:
        return and_(key.is_(None), T.creator_id < last_id)
    return or_(key < value, and_(key == value, T.creator_id < last_id), key.is_(None))


def _bounded_count(db_session: Session, where: list[ColumnElement[bool]]) -> int:
    """How many creators match, counted up to FACET_EXACT_LIMIT + 1 (past it, only "many" matters)."""
    bounded = select(literal(1)).select_from(T).where(*where).limit(FACET_EXACT_LIMIT + 1).subquery()
    return db_session.scalar(select(func.count()).select_from(bounded)) or 0


def _facets(db_session: Session, where: list[ColumnElement[bool]], matches: int) -> Facets:
    """How many creators under the current filters have each category and each language (exact up to
    FACET_EXACT_LIMIT matches; beyond, counted on a block sample and scaled, flagged approximate)."""
    source: Any = T.__table__
    scale, approximate = 1.0, False
    if matches > FACET_EXACT_LIMIT:
        rows = db_session.scalar(text("SELECT reltuples FROM pg_class WHERE oid = 'creator_search'::regclass")) or 1
        share = min(100.0, 100.0 * FACET_EXACT_LIMIT / max(float(rows), 1.0))
        source = tablesample(T.__table__, func.system(share), name="sampled", seed=literal(7))
        where = [ClauseAdapter(source).traverse(clause) for clause in where]
        scale, approximate = 100.0 / share, True
    matching = select(source.c.categories, source.c.languages).where(*where).cte("matching")
    parts = []
    for name, column in (("categories", matching.c.categories), ("languages", matching.c.languages)):
        value = func.unnest(column).label("value")
        inner = select(value).select_from(matching).subquery()
        parts.append(
            select(literal(name).label("facet"), inner.c.value, func.count().label("n")).group_by(inner.c.value)
        )
    found: dict[str, list[Facet]] = {"categories": [], "languages": []}
    for facet, value, n in db_session.execute(union_all(*parts)):
        found[facet].append(Facet(value=value, creators=round(n * scale)))
    for values in found.values():
        values.sort(key=lambda f: (-f.creators, f.value))
    return Facets(**found, approximate=approximate)
