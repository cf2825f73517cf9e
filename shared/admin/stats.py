"""GET /v1/admin/stats: the system's figures over a window, each from one indexed, aggregated query.

Jobs are read through `ix_jobs_created_at` (a range scan of the window, never the whole table); stage durations
come from the timestamps each stage records as it starts and ends (shared.jobs.service.update_stage)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from shared.admin.schemas import Count, CreditsFlow, Durations, Revenue, Searches, StatsOut, Window
from shared.billing import catalog
from shared.config import get_settings

WINDOWS = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}

_COUNTS = {
    "jobs_by_status": "SELECT status, count(*) FROM jobs WHERE created_at >= :since GROUP BY 1 ORDER BY 2 DESC, 1",
    "jobs_by_origin": "SELECT origin, count(*) FROM jobs WHERE created_at >= :since GROUP BY 1 ORDER BY 2 DESC, 1",
    "failing_stages": (
        "SELECT stage.key, count(*) FROM jobs, jsonb_each(jobs.stages) stage WHERE jobs.created_at >= :since "
        "AND stage.value ->> 'status' = 'failed' GROUP BY 1 ORDER BY 2 DESC, 1"
    ),
    "top_failure_reasons": (
        "SELECT reason, count(*) FROM jobs WHERE created_at >= :since AND status IN ('failed', 'partial') "
        "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5"
    ),
}
_DURATIONS = """
SELECT stage.key AS stage, count(*) AS jobs,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM
           CAST(stage.value ->> 'ended_at' AS timestamptz) - CAST(stage.value ->> 'started_at' AS timestamptz))) AS p50,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM
           CAST(stage.value ->> 'ended_at' AS timestamptz) - CAST(stage.value ->> 'started_at' AS timestamptz))) AS p95
FROM jobs, jsonb_each(jobs.stages) stage
WHERE jobs.created_at >= :since AND stage.value ? 'started_at' AND stage.value ? 'ended_at'
GROUP BY 1
UNION ALL
SELECT 'job', count(*),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - created_at)),
       percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - created_at))
FROM jobs WHERE created_at >= :since AND finished_at IS NOT NULL
"""
_CREDITS = """
SELECT coalesce(sum(amount) FILTER (WHERE kind = 'grant'), 0) AS granted,
       coalesce(-sum(amount) FILTER (WHERE kind = 'debit'), 0) AS spent,
       coalesce(sum(amount) FILTER (WHERE kind = 'refund'), 0) AS refunded,
       count(DISTINCT wallet_id) FILTER (WHERE kind = 'debit') AS paying_wallets
FROM credit_transactions WHERE created_at >= :since
"""
_ACTIVE_TEAMS = """
SELECT count(*) FROM (
    SELECT requested_by_team_id FROM jobs WHERE created_at >= :since AND requested_by_team_id IS NOT NULL
    UNION
    SELECT wallet.team_id FROM credit_transactions entry JOIN credit_wallets wallet ON wallet.id = entry.wallet_id
    WHERE entry.created_at >= :since AND entry.kind = 'debit'
) teams
"""
_SUBSCRIPTIONS = (
    "SELECT plan, billing_interval, count(*) FROM subscriptions "
    "WHERE status IN ('active', 'trialing', 'past_due') AND plan <> 'free' GROUP BY 1, 2"
)
_SEARCHES = (
    "SELECT coalesce(sum(quantity) FILTER (WHERE meter = 'searches_cached'), 0), "
    "coalesce(sum(quantity) FILTER (WHERE meter = 'searches_scraped'), 0) FROM usage_meters WHERE day >= :day"
)
_DISCOVERY_TODAY = (
    "SELECT count(*) FROM jobs WHERE origin IN ('discovery', 'refresh') AND created_at >= date_trunc('day', now())"
)
_REVENUE = """
SELECT coalesce((SELECT sum(amount_cents) FROM credit_top_up_orders
                  WHERE status = 'paid' AND completed_at >= :since), 0)
     + coalesce((SELECT sum(package.price_cents) FROM credit_transactions entry
                 JOIN credit_packages package ON package.code = entry.action
                 WHERE entry.reference_type = 'invoice' AND entry.kind = 'grant' AND entry.created_at >= :since), 0)
"""
_NOTIFICATIONS = """
SELECT count(*) AS queued, count(sent_at) AS sent, count(*) - count(sent_at) AS waiting
FROM outbox_messages WHERE created_at >= :since AND body ->> 'topic' = 'notification.requested'
"""


def stats(*, db_session: Session, window: Window, now: datetime | None = None) -> StatsOut:
    since = (now or datetime.now(UTC)) - WINDOWS[window]
    values = {"since": since}
    counts = {
        name: [Count(key=str(key), count=n) for key, n in db_session.execute(text(sql), values)]
        for name, sql in _COUNTS.items()
    }
    durations = [
        Durations(stage=row.stage, jobs=row.jobs, p50_s=_round(row.p50), p95_s=_round(row.p95))
        for row in db_session.execute(text(_DURATIONS), values)
        if row.jobs
    ]
    credits = db_session.execute(text(_CREDITS), values).one()
    notifications = db_session.execute(text(_NOTIFICATIONS), values).one()
    return StatsOut(
        window=window,
        since=since,
        durations=durations,
        active_teams=int(db_session.scalar(text(_ACTIVE_TEAMS), values) or 0),
        credits=CreditsFlow(granted=credits.granted, spent=credits.spent, refunded=credits.refunded),
        revenue=_revenue(db_session, since),
        notifications={"queued": notifications.queued, "sent": notifications.sent, "waiting": notifications.waiting},
        searches=_searches(db_session, since),
        **counts,
    )


def _revenue(db_session: Session, since: datetime) -> Revenue:
    """Revenue in the window (top-ups paid, subscription invoices paid at their package's list price), active
    subscriptions by plan, and their monthly value at the prices we sell them for."""
    by_plan: dict[str, int] = {}
    mrr = 0.0
    for plan, interval, n in db_session.execute(text(_SUBSCRIPTIONS)):
        by_plan[plan] = by_plan.get(plan, 0) + n
        offer = catalog.offer_for_plan(db_session=db_session, plan=plan, interval=interval)
        if offer is not None:
            mrr += n * offer.price_cents / (12 if interval == "year" else 1)
    revenue = int(db_session.scalar(text(_REVENUE), {"since": since}) or 0)
    return Revenue(revenue_cents=revenue, active_subscriptions=by_plan, mrr_cents=round(mrr))


def _searches(db_session: Session, since: datetime) -> Searches:
    """Searches from the daily meters (whole UTC days that overlap the window), and today's discovery budget."""
    cached, scraped = db_session.execute(text(_SEARCHES), {"day": since.date()}).one()
    return Searches(
        cached=int(cached),
        scraped=int(scraped),
        discovery_budget_used_today=int(db_session.scalar(text(_DISCOVERY_TODAY)) or 0),
        discovery_budget_per_day=get_settings().discovery.max_profiles_per_day,
    )


def _round(value: Any) -> float | None:
    return round(float(value), 3) if value is not None else None
