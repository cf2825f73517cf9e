"""What the operators' console reads and sends."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.jobs.schemas import JobOut

Window = Literal["1h", "24h", "7d", "30d"]


class StatsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    window: Window = "24h"


class Count(BaseModel):
    key: str
    count: int


class Durations(BaseModel):
    stage: str  # a job stage, or "job" for creation to the end
    jobs: int
    p50_s: float | None
    p95_s: float | None


class CreditsFlow(BaseModel):
    granted: int
    spent: int
    refunded: int


class Revenue(BaseModel):
    revenue_cents: int  # in the window: top-ups paid, and subscription invoices paid at their package's list price
    active_subscriptions: dict[str, int]  # by plan
    mrr_cents: int  # monthly recurring revenue of active subscriptions at list prices (annual / 12)


class StatsOut(BaseModel):
    window: Window
    since: datetime
    jobs_by_status: list[Count]
    failing_stages: list[Count]
    top_failure_reasons: list[Count]
    durations: list[Durations]
    jobs_by_origin: list[Count]  # search (a brand's new scrape), discovery, refresh; cache hits are not jobs
    active_teams: int  # teams that searched or were charged in the window
    credits: CreditsFlow
    revenue: Revenue
    notifications: dict[str, int]  # queued, sent, waiting (outbox)
    searches: Searches


class JobsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["queued", "running", "complete", "partial", "failed"] | None = None
    stage: Literal["scrape", "cdn", "analysis", "insights"] | None = Field(None, description="a stage that failed")
    username: str | None = Field(None, max_length=30, pattern=r"^[a-z0-9._]+$")
    team_id: uuid.UUID | None = None
    max_age_hours: float | None = Field(None, gt=0, le=24 * 90)
    limit: int = Field(50, ge=1, le=200)


class AdminJobOut(JobOut):
    origin: str
    requested_by_team_id: uuid.UUID | None


class JobsPage(BaseModel):
    items: list[AdminJobOut]


class RetryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=3, max_length=500)


class RetryOut(BaseModel):
    retried: uuid.UUID
    job: JobOut
    already_retried: bool


class LedgerLine(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    amount: int
    balance_after: int
    action: str | None
    created_at: datetime


class MemberLine(BaseModel):
    user_id: uuid.UUID
    email: str | None
    role: str


class AccountOut(BaseModel):
    team_id: uuid.UUID
    name: str
    plan: str
    personal: bool
    members: list[MemberLine]
    balance: int
    frozen: bool
    ledger: list[LedgerLine]  # the latest 20 entries


# No @, whitespace or control character on either side. `\s` alone differs by dialect: beyond what all three
# share, Python's re counts U+001C-U+001F and U+0085, pydantic's Rust engine U+0085, and the ECMA dialect of the
# OpenAPI document U+FEFF. Each is named here, so the document, the server and a client accept the same strings.
_ADDRESS_PART = r"[^@\s\x00-\x1f\x7f-\x9f\ufeff]+"


class AccountsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str | None = Field(None, min_length=3, max_length=254, pattern=f"^{_ADDRESS_PART}@{_ADDRESS_PART}$")
    team_id: uuid.UUID | None = None


class AccountsPage(BaseModel):
    items: list[AccountOut]


class FreezeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    frozen: bool
    reason: str = Field(min_length=3, max_length=500)


class DeadLetterOut(BaseModel):
    message_id: str
    topic: str | None  # where it was published: the subscription it died in names it
    source_subscription: str | None
    attempts: int | None  # deliveries before it was dead-lettered
    published_at: datetime | None
    business_key: str | None
    attributes: dict[str, str]
    payload: str  # the first 300 characters


class DeadLettersQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(50, ge=1, le=100)


class DeadLettersPage(BaseModel):
    subscription: str
    items: list[DeadLetterOut]


class DeadLetterAction(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["replay", "discard"]
    reason: str = Field(min_length=3, max_length=500)


class DeadLetterOutcome(BaseModel):
    message_id: str
    action: Literal["replay", "discard"]
    topic: str | None
    replayed_as: str | None  # the new message id on the original topic


class SpendQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days: int = Field(30, ge=1, le=366)


class SpendDay(BaseModel):
    day: str  # YYYY-MM-DD (UTC)
    apify_runs: int
    apify_results: int
    apify_usd: float
    inference_busy_s: float
    inference_usd: float
    creators_analysed: int  # creator jobs that completed that day
    usd_per_creator: float | None


class SpendOut(BaseModel):
    prices: dict[str, float]
    days: list[SpendDay]
    total_usd: float


class Searches(BaseModel):
    cached: int  # served from a stored report (no scrape)
    scraped: int  # started a scrape job
    discovery_budget_used_today: int
    discovery_budget_per_day: int
