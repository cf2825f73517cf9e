"""POST /v1/creators/{username}/search: serve a fresh stored creator, or create-or-join a scrape job.

Charging: a team without an active unlock pays for the search as an unlock, keyed by job and team, and
gets the unlock when the scrape succeeds (a refund when it fails). A team that has the creator unlocked
pays nothing for an automatic re-scrape of stale data, and a refresh price for an explicit ?refresh=true.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.admin import meters
from shared.config import get_settings
from shared.creators import misses, reads
from shared.creators import report as reports
from shared.creators.models import Creator
from shared.creators.report import PreviewOut, ReportOut
from shared.credits import unlocks
from shared.db import advisory_lock
from shared.errors import RateLimited
from shared.events import outbox
from shared.events.schemas import CreatorScrapeRequested
from shared.jobs import service as jobs_service
from shared.jobs.schemas import JobOut
from shared.teams import service as teams_service
from shared.teams.scope import TeamScope

REFRESH_ACTION = "profile_refresh"
RATE_WINDOW = timedelta(hours=1)


class SearchOut(BaseModel):
    kind: Literal["report", "preview", "job"]
    report: ReportOut | None = None
    preview: PreviewOut | None = None
    job: JobOut | None = None


def _limit_new_scrapes(db_session: Session, scope: TeamScope) -> None:
    """RateLimited (429 with Retry-After) past the plan's new scrapes per hour; serialized per team."""
    advisory_lock(db_session, f"new-scrapes:{scope.team_id}")
    plan = teams_service.get_plan(db_session=db_session, team_id=scope.team_id)
    limits = get_settings().discovery.new_scrapes_per_hour
    allowed = limits.get(plan, limits.get("free", 30))
    now = datetime.now(UTC)
    started, oldest = jobs_service.count_created_by_team(
        db_session=db_session, team_id=scope.team_id, since=now - RATE_WINDOW
    )
    if started >= allowed:
        wait = max(1, int(((oldest or now) + RATE_WINDOW - now).total_seconds()) + 1)
        raise RateLimited(
            f"this team started {started} new creator scrapes in the last hour (the {plan} plan allows {allowed}); "
            f"try again in {wait} s or search creators we already hold",
            retry_after_s=wait,
        )


def search(*, db_session: Session, scope: TeamScope, username: str, refresh: bool) -> SearchOut | reads.ReportView:
    """Fresh data: the stored report (or its preview) at once; else create or join the scrape job."""
    # Remembered not_found/private endings answer at once: no Apify run, no charge, the same problem.
    misses.refuse_if_missing(db_session=db_session, username=username)
    creator = db_session.scalar(select(Creator).where(Creator.username == username))
    fresh = creator is not None and reports.freshness(creator).fresh
    if creator is not None and fresh and not refresh:
        meters.add(db_session, "searches_cached")
        return reads.scoped_view(db_session=db_session, scope=scope, creator_id=creator.id)
    unlocked = creator is not None and unlocks.has_access(db_session=db_session, scope=scope, creator_id=creator.id)
    if jobs_service.get_in_flight(db_session=db_session, username=username) is None:
        _limit_new_scrapes(db_session, scope)  # a new scrape costs an Apify run even when the caller is refunded
    job, created = jobs_service.create_or_join(
        db_session=db_session, username=username, refresh=refresh, user_id=scope.user_id, team_id=scope.team_id
    )
    jobs_service.watch(db_session=db_session, job_id=job.id, team_id=scope.team_id)
    if not unlocked:
        unlocks.charge_search(db_session=db_session, scope=scope, job_id=job.id)
    elif refresh and fresh:
        unlocks.charge_search(db_session=db_session, scope=scope, job_id=job.id, action=REFRESH_ACTION)
    if created:
        outbox.add_event(db_session, CreatorScrapeRequested(job_id=job.id, username=username, refresh=refresh))
        meters.add(db_session, "searches_scraped")
    return SearchOut(kind="job", job=JobOut.model_validate(job))
