"""Every scheduled job, in one table: Cloud Scheduler publishes each entry's payload to its topic on its cron
(UTC). Terraform creates the Cloud Scheduler jobs from the generated manifest (infra/manifest.json), and
the local scheduler (infra/local/scheduler.py) fires the same table against the emulator."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.events.topics import Topic


@dataclass(frozen=True)
class Schedule:
    name: str  # also the Cloud Scheduler job id
    cron: str  # five fields, UTC
    topic: Topic
    payload: dict[str, Any] = field(default_factory=dict)
    description: str = ""


def _maintenance(task: str, cron: str, description: str) -> Schedule:
    return Schedule(
        f"maintenance-{task.replace('_', '-')}", cron, Topic.MAINTENANCE_REQUESTED, {"task": task}, description
    )


SCHEDULES: tuple[Schedule, ...] = (
    # Discovery keeps at most 3 system scrapes in flight (a scrape takes about a minute), so a tick every
    # 5 minutes can use most of the 1,000-a-day budget; each tick queues only what the limits leave.
    Schedule("discovery", "*/5 * * * *", Topic.DISCOVERY_REQUESTED, {"mode": "discover"},
             "grow the catalogue from related profiles and mentions, within the daily budget"),
    Schedule("refresh", "2-59/10 * * * *", Topic.DISCOVERY_REQUESTED, {"mode": "refresh"},
             "re-scrape unlocked and watchlisted creators on their cadence, for follower history"),
    _maintenance("reap_stale_jobs", "*/5 * * * *", "end jobs stuck in flight (partial or failed, with a refund)"),
    _maintenance("relay_outbox", "* * * * *", "send outbox rows a crash or a broker outage left unsent"),
    _maintenance("expire_pending_signups", "*/30 * * * *", "close payment-first signups whose checkout expired"),
    _maintenance("start_due_periods", "5 * * * *", "open the next monthly allowance period of due wallets"),
    _maintenance("reconcile_wallets", "17 3 * * *", "check every wallet's balance against its ledger"),
    _maintenance("prune_processed_messages", "40 3 * * *", "forget dedupe records past the retention window"),
)  # fmt: skip


def by_name(name: str) -> Schedule:
    for schedule in SCHEDULES:
        if schedule.name == name or schedule.payload.get("task") == name:
            return schedule
    raise KeyError(f"no schedule named {name!r}; known: {[s.name for s in SCHEDULES]}")
