"""Credit responses and the admin grant request. No request can set a balance."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from shared.text import MULTILINE


class WalletOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    team_id: uuid.UUID
    balance: int
    lifetime_earned: int
    lifetime_spent: int
    current_period_start: datetime | None
    current_period_end: datetime | None
    is_frozen: bool


class TransactionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    amount: int
    balance_before: int
    balance_after: int
    action: str | None
    reference_type: str | None
    reference_id: str | None
    description: str | None
    created_at: datetime


class TransactionPage(BaseModel):
    items: list[TransactionOut]
    next_before_id: int | None


class TransactionQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(default=50, ge=1, le=200)
    before_id: int | None = Field(default=None, ge=1, le=2**63 - 1)  # a bigint id


class UsageOut(BaseModel):
    action: str
    free_used: int
    paid_used: int
    credits_spent: int


class UsagePage(BaseModel):
    period_start: date | None
    items: list[UsageOut]


class PricingRuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    action: str
    plan: str
    credits_cost: int
    free_allowance_per_month: int


class GrantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    team_id: uuid.UUID
    amount: int = Field(gt=0, le=1_000_000)
    reason: str = Field(min_length=3, max_length=500, json_schema_extra=MULTILINE)
    idempotency_key: str = Field(min_length=8, max_length=200)


class UnlockOut(BaseModel):
    creator_username: str
    unlocked_at: datetime
    expires_at: datetime
    charged_credits: int
    already_unlocked: bool


class UnlockedCreatorOut(BaseModel):
    username: str
    full_name: str | None
    followers_count: int | None
    unlocked_at: datetime
    expires_at: datetime
    active: bool


class UnlocksQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    include_expired: bool = False
    limit: int = Field(100, ge=1, le=500)


class UnlocksPage(BaseModel):
    items: list[UnlockedCreatorOut]
    total: int  # matching unlocks, of which `items` holds the latest-expiring `limit`
