"""GET /v1/discovery/creators: catalogue search over the creators we hold.

Every filter is a column of `creator_search` (B-tree, GIN on the arrays and the trigram text); sorts are
`value DESC NULLS LAST, creator_id DESC`, paged by keyset (the last hit's value and id), so a page never repeats
or skips a creator when rows are inserted between requests. Each hit is a preview: no report field."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Float,
    Select,
    and_,
    any_,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    tablesample,
    text,
    union_all,
)
from sqlalchemy.orm import Session, aliased
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

# Free text: a creator matches q by its username and full name (pg_trgm word similarity over the threshold, typos
# forgiven) or by its bio (full-text words, any language). Relevance is the name's word similarity when the name
# matches (0.6..1), a fixed BIO_MATCH when the bio does, and a little popularity (log followers, at most POPULARITY;
# unknown followers count least) so that equally good matches rank the better-known first. A bio-only match thus
# ranks by followers alone, which lets a broad bio word be paged off the followers index (see _relevance_page).
BIO_MATCH = 0.3
POPULARITY = 0.05
# Up to this many matches, a page is found filter-first and then sorted; beyond, by walking the sort's index.
FILTER_FIRST_LIMIT = 2_000
# Facets count every matching creator up to this many; beyond, a block sample of the table of about FACET_SAMPLE
# rows (flagged approximate): a facet held by 10% of the sampled matches is estimated within about 7%.
FACET_EXACT_LIMIT = FILTER_FIRST_LIMIT
FACET_SAMPLE = 2_000
# A text query's matches come from the trigram and full-text indexes, never from reading every row: pg_trgm costs
# `%>` like `=`, though each call computes a word similarity (~3 µs), so on a small catalogue (10,000 creators) the
# planner preferred scanning the table with it (70 ms for a bio word) to the indexes (14 ms, the same hits). Re-costing
# the extension's function needs its owner, which Supabase keeps; a transaction-local planner setting does not.
INDEXES_ONLY = text("SET LOCAL enable_seqscan = off")
PLANNER_DEFAULT = text("SET LOCAL enable_seqscan TO DEFAULT")
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
    if not query.q:
        return _page(db_session, scope, query)
    db_session.execute(INDEXES_ONLY)
    page = _page(db_session, scope, query)
    db_session.execute(PLANNER_DEFAULT)  # the rest of the caller's transaction plans as usual
    return page


def _page(db_session: Session, scope: TeamScope, query: CatalogueQuery) -> CataloguePage:
    where = conditions(query)
    sort = query.order
    text_match = _TextMatch(query.q) if query.q else None
    sample_where = list(where)
    if text_match:
        where.append(or_(text_match.name, text_match.bio))
        sample_where.append(text_match.on_any_row)
    key = text_match.relevance if text_match and sort == "relevance" else SORT_COLUMNS[sort]
    digest = cursor.filters_digest(query.model_dump(mode="json", exclude={"cursor", "limit"}))
    page_where = list(where)
    after = cursor.decode(query.cursor, sort=sort, digest=digest) if query.cursor else None
    if after:
        page_where.append(_after(key, *after))
    matches, facets = _census(db_session, where)
    columns = [T.creator_id, T.profile, T.posts_count, T.scraped_at, unlocked_for(scope).label("unlocked")]
    if text_match:
        columns.append(text_match.relevance.label("relevance"))
    if matches <= FILTER_FIRST_LIMIT:
        # Few matches: find them first (bitmap on the filters' indexes), then sort them. Walking the sort's index
        # would read the whole table to find a handful, or none. They are fetched back by primary key from an
        # array: joined instead, the planner hashed them against a scan of every row (48 ms for 1,226 of 100,000;
        # 13-19 ms by key).
        found = select(T.creator_id).where(*page_where).cte("found").prefix_with("MATERIALIZED")
        ids = func.array(select(found.c.creator_id).scalar_subquery())
        statement = _in_order(select(*columns, key.label("sort_value")).where(T.creator_id == any_(ids)), key)
    elif text_match and sort == "relevance":
        statement = _relevance_page(text_match, columns, conditions(query), after, query.limit + 1)
    else:
        statement = _in_order(select(*columns, key.label("sort_value")).where(*page_where), key)
    rows = db_session.execute(statement.limit(query.limit + 1)).all()
    more, rows = len(rows) > query.limit, rows[: query.limit]
    price = unlock_price(db_session=db_session, scope=scope)
    items = [Hit(**hit_of(row, price, relevance=round(row.relevance, 4) if query.q else None)) for row in rows]
    next_cursor = (
        cursor.encode(sort=sort, value=rows[-1].sort_value, creator_id=rows[-1].creator_id, digest=digest)
        if more
        else None
    )
    return CataloguePage(
        items=items, next_cursor=next_cursor, facets=facets or _sampled_facets(db_session, sample_where), sort=sort
    )


class _TextMatch:
    """The parts of a free-text query: name match, bio match, and the relevance that ranks them."""

    def __init__(self, q: str) -> None:
        words = q.strip().lower()
        self.name = T.name_text.bool_op("%%>")(words)  # pg8000 escapes a literal % as %%
        self.bio = T.bio_tsv.bool_op("@@")(func.plainto_tsquery("simple", words))
        popularity = POPULARITY * func.ln(2 + func.coalesce(T.followers, -1)) / math.log(1e9 + 2)
        self.relevance = cast(
            case((self.name, func.word_similarity(words, T.name_text)), else_=0.0)
            + case((self.bio, BIO_MATCH), else_=0.0)
            + popularity,
            Float,
        )
        # The same value for a bio-only match, without the name's similarity: (0.0 + BIO_MATCH) + popularity.
        self.bio_relevance = cast(literal(0.0) + BIO_MATCH + popularity, Float)
        # The same match for rows that did not come from an index (a block sample): the name matches are found
        # once through the trigram index, then looked up; word similarity on every sampled row costs ~20 µs each.
        named = aliased(T, name="named")
        self.name_ids = select(named.creator_id).where(named.name_text.bool_op("%%>")(words))
        self.on_any_row = or_(self.bio, T.creator_id.in_(self.name_ids))


def _relevance_page(
    match: _TextMatch, columns: list[Any], filters: list[Any], after: tuple[Any, int] | None, limit: int
) -> Select[Any]:
    """A relevance page over many matches: the name matches (few: the trigram index finds them), ranked by their
    relevance, merged with the first bio-only matches found by walking the followers index, whose relevance grows
    with followers alone (same order, so the walk stops after `limit` of them). Scoring every bio match instead
    costs about 7 µs a row: 100 ms for a word in 15% of 100,000 bios.

    The bio branch is written for that walk: its full-text test is wrapped (`IS true`) so that the planner cannot
    pick the GIN index over it (it estimates a multi-word query as the product of its words' frequencies, 34 rows
    for one that matches 17,500, and would fetch and sort every match), and the name matches it leaves out are
    looked up by id rather than by computing word similarity on every row it walks."""
    by_name = select(*columns, match.relevance.label("sort_value")).where(*filters, match.name)
    by_bio = select(*columns, match.bio_relevance.label("sort_value")).where(
        *filters, match.bio.is_(True), T.creator_id.not_in(match.name_ids)
    )
    if after:
        by_name = by_name.where(_after(match.relevance, *after))
        by_bio = by_bio.where(_after(match.bio_relevance, *after))
    by_bio = by_bio.order_by(T.followers.desc().nulls_last(), T.creator_id.desc()).limit(limit)
    merged = union_all(by_name, by_bio).subquery("matched")
    return select(merged).order_by(merged.c.sort_value.desc().nulls_last(), merged.c.creator_id.desc())


def _in_order(statement: Any, key: Any) -> Select[Any]:
    return statement.order_by(key.desc().nulls_last(), T.creator_id.desc())


def _after(key: Any, value: float | int | None, last_id: int) -> ColumnElement[bool]:
    """Rows after (value, id) in `key DESC NULLS LAST, creator_id DESC` order."""
    if value is None:
        return and_(key.is_(None), T.creator_id < last_id)
    return or_(key < value, and_(key == value, T.creator_id < last_id), key.is_(None))


def _census(db_session: Session, where: list[ColumnElement[bool]]) -> tuple[int, Facets | None]:
    """How many creators match, counted up to the larger limit + 1 (past it, only "many" matters), and, when no
    more than FACET_EXACT_LIMIT do, their exact facets: one scan of the matches serves both."""
    bound = max(FACET_EXACT_LIMIT, FILTER_FIRST_LIMIT) + 1
    matching = select(T.categories, T.languages).where(*where).limit(bound).cte("matching").prefix_with("MATERIALIZED")
    total = select(literal("total").label("facet"), literal(None).label("value"), func.count().label("n"))
    few = select(func.count()).select_from(matching).scalar_subquery() <= FACET_EXACT_LIMIT  # else not unnested
    parts = [part.where(few) for part in _facet_counts(matching)]
    rows: Sequence[Any] = db_session.execute(union_all(total.select_from(matching), *parts)).all()
    matches = next(n for facet, _, n in rows if facet == "total")
    if matches > FACET_EXACT_LIMIT:
        return matches, None
    return matches, _facets_of([row for row in rows if row.facet != "total"], scale=1.0, approximate=False)


def _sampled_facets(db_session: Session, where: list[ColumnElement[bool]]) -> Facets:
    """Facets over many matches: counted on a block sample of about FACET_SAMPLE rows, scaled, flagged approximate."""
    rows: float = db_session.scalar(text("SELECT reltuples FROM pg_class WHERE oid = 'creator_search'::regclass")) or 1
    share = min(100.0, 100.0 * FACET_SAMPLE / max(float(rows), 1.0))
    source = tablesample(T.__table__, func.system(share), name="sampled", seed=literal(7))
    sampled_where = [ClauseAdapter(source).traverse(clause) for clause in where]
    matching = select(source.c.categories, source.c.languages).where(*sampled_where).cte("matching")
    counted = db_session.execute(union_all(*_facet_counts(matching))).all()
    return _facets_of(counted, scale=100.0 / share, approximate=True)


def _facet_counts(matching: Any) -> list[Select[Any]]:
    """Per category and per language of the `matching` rows: (facet, value, creators)."""
    parts = []
    for name, column in (("categories", matching.c.categories), ("languages", matching.c.languages)):
        value = func.unnest(column).label("value")
        inner = select(value).select_from(matching).subquery()
        parts.append(
            select(literal(name).label("facet"), inner.c.value, func.count().label("n")).group_by(inner.c.value)
        )
    return parts


def _facets_of(rows: Sequence[Any], *, scale: float, approximate: bool) -> Facets:
    found: dict[str, list[Facet]] = {"categories": [], "languages": []}
    for facet, value, n in rows:
        found[facet].append(Facet(value=value, creators=round(n * scale)))
    for values in found.values():
        values.sort(key=lambda f: (-f.creators, f.value))
    return Facets(**found, approximate=approximate)
