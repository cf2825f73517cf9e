"""Watchlist requests and responses."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class WatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=100, description="a creator we hold; @name and profile URLs work")


class WatchOut(BaseModel):
    username: str
    added_at: datetime
    last_scraped_at: datetime | None
    refresh_every_days: float


class WatchlistPage(BaseModel):
    items: list[WatchOut]
    limit: int
