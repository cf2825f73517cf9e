"""GET /v1/discovery/creators: catalogue search over the creators we hold.

Every filter is a column of `creator_search` (B-tree, GIN on the arrays and the trigram text); sorts are
`value DESC NULLS LAST, creator_id DESC`, paged by keyset (the last hit's value and id), so a page never repeats
or skips a creator when rows are inserted between requests. Each hit is a preview: no report field."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, and_, cast, exists, func, literal, or_, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from shared.catalogue import cursor
from shared.catalogue.models import CreatorSearch as T
from shared.catalogue.schemas import CataloguePage, CatalogueQuery, Facet, Facets, Filters, Hit
from shared.creators.report import Freshness, ProfileOut, UnlockPrice, freshness_at
from shared.credits import service as credits_service
from shared.credits.models import UnlockedInfluencer
from shared.credits.unlocks import UNLOCK_ACTION
from shared.teams import service as teams_service
from shared.teams.scope import TeamScope

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
        "freshness": freshness_at(row.scraped_at)
        if row.scraped_at
        else Freshness(scraped_at=None, age_hours=None, fresh=False, stale_after=None),
        **extra,
    }


def search(*, db_session: Session, scope: TeamScope, query: CatalogueQuery) -> CataloguePage:
    where = conditions(query)
    sort = query.order
    if query.q:
        text = query.q.strip().lower()
        # `search_text %> q`: q's word similarity to some part of username, name or bio passes pg_trgm's
        # threshold (0.6); the GIN trigram index serves it. `%%` is pg8000's escape for a literal `%`.
        where.append(T.search_text.op("%%>")(text))
        relevance = cast(
            func.greatest(func.similarity(T.username, text), func.word_similarity(text, T.search_text)), Float
        )
    key = relevance if sort == "relevance" else SORT_COLUMNS[sort]
    digest = cursor.filters_digest(query.model_dump(mode="json", exclude={"cursor", "limit"}))
    page_where = list(where)
    if query.cursor:
        value, last_id = cursor.decode(query.cursor, sort=sort, digest=digest)
        page_where.append(_after(key, value, last_id))
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
    rows = db_session.execute(
        select(*columns)
        .where(*page_where)
        .order_by(key.desc().nulls_last(), T.creator_id.desc())
        .limit(query.limit + 1)
    ).all()
    more, rows = len(rows) > query.limit, rows[: query.limit]
    price = unlock_price(db_session=db_session, scope=scope)
    items = [Hit(**hit_of(row, price, relevance=round(row.relevance, 4) if query.q else None)) for row in rows]
    next_cursor = (
        cursor.encode(sort=sort, value=rows[-1].sort_value, creator_id=rows[-1].creator_id, digest=digest)
        if more
        else None
    )
    return CataloguePage(items=items, next_cursor=next_cursor, facets=_facets(db_session, where), sort=sort)


def _after(key: Any, value: float | int | None, last_id: int) -> ColumnElement[bool]:
    """Rows after (value, id) in `key DESC NULLS LAST, creator_id DESC` order."""
    if value is None:
        return and_(key.is_(None), T.creator_id < last_id)
    return or_(key < value, and_(key == value, T.creator_id < last_id), key.is_(None))


def _facets(db_session: Session, where: list[ColumnElement[bool]]) -> Facets:
    """How many creators under the current filters have each category and each language (one statement)."""
    matching = select(T.categories, T.languages).where(*where).cte("matching")
    parts = []
    for name, column in (("categories", matching.c.categories), ("languages", matching.c.languages)):
        value = func.unnest(column).label("value")
        inner = select(value).select_from(matching).subquery()
        parts.append(
            select(literal(name).label("facet"), inner.c.value, func.count().label("n")).group_by(inner.c.value)
        )
    found: dict[str, list[Facet]] = {"categories": [], "languages": []}
    for facet, value, n in db_session.execute(union_all(*parts)):
        found[facet].append(Facet(value=value, creators=n))
    for values in found.values():
        values.sort(key=lambda f: (-f.creators, f.value))
    return Facets(**found)
