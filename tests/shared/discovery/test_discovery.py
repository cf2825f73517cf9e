"""Discovery on a seeded catalogue whose right answers are known: ranking, screening, and the shared limits."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from functions_framework import create_app
from sqlalchemy import func, select, text

from shared.auth import service as auth_service
from shared.auth.schemas import Claims
from shared.credits.models import CreditTransaction
from shared.db import session_scope
from shared.discovery import flows as discovery_flows
from shared.discovery.models import DiscoveryRun
from shared.events.schemas import DiscoveryRequested
from shared.jobs.models import Job, JobWatcher
from tests.fixtures.envelopes import pubsub_body

pytestmark = [pytest.mark.emulator, pytest.mark.usefixtures("db", "pipeline")]
NOW = datetime.now(UTC)
# (username, followers, scraped days ago, private): the catalogue creators that point at candidates.
CATALOGUE = [("lead.a", 50_000, 1, False), ("lead.b", 80_000, 2, False), ("lead.c", 20_000, 1, False),
             ("tiny.lead", 40, 1, False), ("fresh.one", 9_000, 0, False), ("stale.one", 9_000, 30, False)]  # fmt: skip
RELATED = {  # candidate -> [(pointing creator, verified, private)]
    "cand.alpha": [("lead.a", False, False), ("lead.b", False, False), ("lead.c", False, False)],
    "cand.beta": [("lead.a", True, False)],
    "cand.gamma": [("lead.b", False, False)],
    "stale.one": [("lead.c", False, False)],
    "fresh.one": [("lead.a", False, False)],
    "cand.private": [("lead.a", False, True)],
    "missing.one": [("lead.b", False, False)],
    "only.tiny": [("tiny.lead", False, False)],  # its only pointer is under the follower band: no candidate
    **{f"cand.more{n}": [("lead.c", False, False)] for n in range(3)},
}
MENTIONS = {"lead.a": ["cand.beta", "cand.delta"], "lead.c": ["cand.beta"]}
# score = 3 x related + 1 x mentions + 2 x demanding teams + 1 x verified; lead.b is unlocked by one team.
EXPECTED = [("cand.alpha", 9 + 2), ("cand.gamma", 3 + 2), ("cand.beta", 3 + 2 + 1), ("stale.one", 3),
            ("cand.more0", 3), ("cand.more1", 3), ("cand.more2", 3), ("cand.delta", 1)]  # fmt: skip
EXPECTED_ORDER = [name for name, _ in sorted(EXPECTED, key=lambda e: (-e[1], e[0]))]


def seed() -> None:
    with session_scope() as db:
        ids = {}
        for name, followers, days, private in CATALOGUE:
            ids[name] = db.execute(
                text(
                    "INSERT INTO creators (username, followers_count, is_verified, is_private, is_business, source,"
                    " scraped_at) VALUES (:u, :f, false, :p, false, 'apify', :s) RETURNING id"
                ),
                {"u": name, "f": followers, "p": private, "s": NOW - timedelta(days=days)},
            ).scalar_one()
        for candidate, pointers in RELATED.items():
            for leader, verified, private in pointers:
                db.execute(
                    text(
                        "INSERT INTO related_profiles (creator_id, username, is_verified, is_private, position)"
                        " VALUES (:c, :u, :v, :p, 0)"
                    ),
                    {"c": ids[leader], "u": candidate, "v": verified, "p": private},
                )
        for n, (leader, mentioned) in enumerate(MENTIONS.items()):
            db.execute(
                text(
                    "INSERT INTO posts (creator_id, ig_id, short_code, post_type, mentions, hashtags, likes_hidden,"
                    " is_sponsored, is_pinned, latest_comments) VALUES (:c, :i, :s, 'Image', :m, '{}', false, false,"
                    " false, '[]')"
                ),
                {"c": ids[leader], "i": f"ig{n}", "s": f"sc{n}", "m": mentioned},
            )
        db.execute(
            text("INSERT INTO search_misses (username, reason, detail, until) VALUES ('missing.one', 'not_found',"
                 " 'no Instagram account is called @missing.one', now() + interval '1 day')")
        )  # fmt: skip
        caller = auth_service.provision(db_session=db, claims=Claims(sub=uuid.uuid4(), role="authenticated"))
        db.execute(
            text("INSERT INTO unlocked_influencers (team_id, creator_id, expires_at, extra) VALUES (:t, :c, :e, '{}')"),
            {"t": caller.personal_team_id, "c": ids["lead.b"], "e": NOW + timedelta(days=30)},
        )


def run(**event: Any) -> dict[str, Any]:
    with session_scope() as db:
        return discovery_flows.run(db_session=db, event=DiscoveryRequested(**event), message_key=uuid.uuid4().hex)


def system_jobs() -> list[Job]:
    with session_scope() as db:
        return list(db.scalars(select(Job).where(Job.origin == "discovery").order_by(Job.created_at, Job.username)))


def test_one_run_queues_the_expected_candidates_in_score_order(settings_env) -> None:  # type: ignore[no-untyped-def]
    settings_env(DISCOVERY__MAX_IN_FLIGHT="50")
    seed()
    result = run()
    assert result["queued"] == EXPECTED_ORDER
    assert result["skipped"] == {"private": 1, "fresh": 1, "known_missing": 1}
    assert result["candidates_seen"] == len(EXPECTED) + 3
    assert {j.username for j in system_jobs()} == set(EXPECTED_ORDER)
    with session_scope() as db:
        record = db.scalars(select(DiscoveryRun)).one()
        watchers = db.scalar(select(func.count()).select_from(JobWatcher))
        charges = db.scalar(
            select(func.count()).select_from(CreditTransaction).where(CreditTransaction.kind == "debit")
        )
    assert record.queued == EXPECTED_ORDER and record.budget_left == 1_000 - len(EXPECTED)
    assert (watchers, charges) == (0, 0), "system jobs belong to no team and cost nothing"


def test_a_run_with_five_left_in_the_budget_queues_five(settings_env) -> None:  # type: ignore[no-untyped-def]
    settings_env(DISCOVERY__MAX_IN_FLIGHT="50", DISCOVERY__MAX_PROFILES_PER_DAY="5")
    seed()
    result = run()
    assert result["queued"] == EXPECTED_ORDER[:5]
    assert result["skipped"]["daily_budget"] == len(EXPECTED) - 5 and result["budget_left"] == 0
    assert run()["queued"] == [], "the budget is spent for the day"


def test_overlapping_runs_and_a_redelivered_tick_never_exceed_the_limits(settings_env) -> None:  # type: ignore[no-untyped-def]
    settings_env(DISCOVERY__MAX_IN_FLIGHT="3", DISCOVERY__MAX_PROFILES_PER_DAY="4")
    seed()
    client = create_app("discovery", "functions/discovery/main.py").test_client()
    ticks = [("tick-1", {"mode": "discover"}), ("tick-2", {"mode": "discover"}), ("tick-1", {"mode": "discover"})]

    def deliver(tick: tuple[str, dict[str, str]]) -> int:
        return int(client.post("/", json=pubsub_body(tick[1], tick[0])).status_code)

    with ThreadPoolExecutor(max_workers=3) as pool:
        assert list(pool.map(deliver, ticks)) == [204, 204, 204]
    jobs = system_jobs()
    assert len(jobs) == 3, "three in flight at most, however the ticks interleave"
    with session_scope() as db:
        runs = db.scalars(select(DiscoveryRun).order_by(DiscoveryRun.started_at)).all()
    assert len(runs) == 2, "the redelivered tick was processed once"
    assert sum(len(r.queued) for r in runs) == 3
    with session_scope() as db:  # two finish: the budget (4 a day) now binds before the in-flight limit
        db.execute(text("UPDATE jobs SET status = 'complete', finished_at = now() WHERE origin = 'discovery'"))
    assert len(run()["queued"]) == 1 and run()["queued"] == []


def test_disabled_discovery_queues_nothing(settings_env) -> None:  # type: ignore[no-untyped-def]
    settings_env(DISCOVERY__ENABLED="false")
    seed()
    assert run() == {"mode": "discover", "disabled": True} and system_jobs() == []
