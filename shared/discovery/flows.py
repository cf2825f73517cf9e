"""One scheduler tick of system scrapes: pick candidates, queue what the shared limits allow as system jobs
(no team, no charge), and record the run."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from shared.config import get_settings
from shared.discovery import service as discovery_service
from shared.discovery.models import DiscoveryRun
from shared.events import outbox
from shared.events.schemas import CreatorScrapeRequested, DiscoveryRequested
from shared.jobs import service as jobs_service

log = logging.getLogger("discovery")


def run(*, db_session: Session, event: DiscoveryRequested, message_key: str) -> dict[str, Any]:
    """Queue up to the limits' worth of candidates; the limits' lock is held until this transaction commits."""
    settings = get_settings().discovery
    if not settings.enabled:
        return {"mode": event.mode, "disabled": True}
    limits = discovery_service.system_limits(db_session=db_session)
    if event.mode == "discover":
        candidates, skipped = discovery_service.discovery_candidates(db_session=db_session)
    else:
        candidates, skipped = discovery_service.refresh_candidates(db_session=db_session)
    slots, binding = limits.slots(event.max_profiles or settings.max_profiles_per_run)
    queued: list[str] = []
    for position, candidate in enumerate(candidates):
        if len(queued) >= slots:
            skipped[binding] += len(candidates) - position
            break
        job, created = jobs_service.create_or_join(
            db_session=db_session,
            username=candidate.username,
            refresh=event.mode == "refresh",
            user_id=None,
            team_id=None,
            origin="discovery" if event.mode == "discover" else "refresh",
        )
        if not created:  # a brand's search started it since we looked
            skipped["joined_search"] += 1
            continue
        outbox.add_event(
            db_session,
            CreatorScrapeRequested(job_id=job.id, username=candidate.username, refresh=event.mode == "refresh"),
        )
        queued.append(candidate.username)
    record = DiscoveryRun(
        mode=event.mode,
        message_key=message_key,
        candidates_seen=len(candidates) + _screened_out(skipped, binding),
        queued=queued,
        skipped=dict(skipped),
        budget_per_day=limits.per_day,
        budget_left=limits.budget_left - len(queued),
        in_flight=limits.in_flight + len(queued),
        finished_at=datetime.now(UTC),
    )
    db_session.add(record)
    log.info("system scrapes queued", extra={"mode": event.mode, "queued": queued, "skipped": dict(skipped)})
    return {
        "mode": event.mode,
        "candidates_seen": record.candidates_seen,
        "queued": queued,
        "skipped": dict(skipped),
        "budget_left": record.budget_left,
    }


def _screened_out(skipped: Counter[str], binding: str) -> int:
    """Candidates set aside before ranking (the limit and late in-flight skips are among the ranked ones)."""
    return sum(n for reason, n in skipped.items() if reason not in (binding, "joined_search"))
