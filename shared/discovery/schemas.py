"""Watchlist requests and responses."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from shared.creators.schemas import USERNAME_PATTERN


class WatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(
        min_length=1,
        max_length=100,
        # Documented narrower than accepted: normalize_username also takes "@name" and profile URLs.
        json_schema_extra={"pattern": USERNAME_PATTERN, "maxLength": 30},
        description="a creator we hold",
    )


class WatchOut(BaseModel):
    username: str
    added_at: datetime
    last_scraped_at: datetime | None
    refresh_every_days: float


class WatchlistPage(BaseModel):
    items: list[WatchOut]
    limit: int
