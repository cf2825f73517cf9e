"""Typed event payloads, one per topic. A payload's `key` is its business key for dedupe."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.events.topics import Topic

BIGINT_MAX = 2**63 - 1  # the ids' column type: a larger one reached Postgres as a 500 on every delivery


class Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    topic: ClassVar[Topic]
    schema_version: Literal[1] = 1

    def key(self) -> str | None:
        """A business key that makes two different messages the same effect (None: the message id)."""
        return None


class CreatorScrapeRequested(Event):
    topic = Topic.CREATOR_SCRAPE_REQUESTED
    job_id: uuid.UUID
    username: str = Field(min_length=1, max_length=30)
    refresh: bool = False

    def key(self) -> str:
        return f"job:{self.job_id}"


class PostScrapeRequested(Event):
    """One post or reel to scrape and analyse (post analytics by URL)."""

    topic = Topic.POST_SCRAPE_REQUESTED
    job_id: uuid.UUID
    url: str = Field(min_length=20, max_length=200)  # canonical https://www.instagram.com/{p|reel}/{code}/
    shortcode: str = Field(pattern=r"^[A-Za-z0-9_-]{5,40}$")

    def key(self) -> str:
        return f"job:{self.job_id}"


class CdnImageRequested(Event):
    topic = Topic.CDN_IMAGE_REQUESTED
    job_id: uuid.UUID | None = None
    asset_id: int = Field(gt=0, le=BIGINT_MAX)
    source_url: str = Field(min_length=1, max_length=4096)

    def key(self) -> str:
        return f"asset:{self.asset_id}"


class CreatorAnalyzed(Event):
    topic = Topic.CREATOR_ANALYZED
    job_id: uuid.UUID
    creator_id: int = Field(gt=0, le=BIGINT_MAX)

    def key(self) -> str:
        return f"job:{self.job_id}"


class DiscoveryRequested(Event):
    """A scheduler tick for system scrapes: `discover` grows the catalogue, `refresh` re-scrapes for history."""

    topic = Topic.DISCOVERY_REQUESTED
    mode: Literal["discover", "refresh"] = "discover"
    max_profiles: int | None = Field(default=None, ge=1, le=1000)


MaintenanceTask = Literal[
    "prune_processed_messages",
    "reconcile_wallets",
    "start_due_periods",
    "reap_stale_jobs",
    "relay_outbox",
    "expire_pending_signups",
]


class MaintenanceRequested(Event):
    topic = Topic.MAINTENANCE_REQUESTED
    task: MaintenanceTask
    requested_at: datetime | None = None


class NotificationRequested(Event):
    topic = Topic.NOTIFICATION_REQUESTED
    kind: Literal["payment_failed", "subscription_ending", "credits_low", "signup_invite"]
    team_id: uuid.UUID | None = None
    email: str | None = None  # else: the team's owners
    data: dict[str, str | int | float | bool | None] = Field(default_factory=dict)
    dedupe_key: str = Field(min_length=1, max_length=200)  # one mail per cause, however often it is raised

    def key(self) -> str:
        return f"notify:{self.kind}:{self.dedupe_key}"


EVENT_TYPES: dict[Topic, type[Event]] = {
    cls.topic: cls
    for cls in (
        CreatorScrapeRequested,
        PostScrapeRequested,
        CdnImageRequested,
        CreatorAnalyzed,
        DiscoveryRequested,
        MaintenanceRequested,
        NotificationRequested,
    )
}
