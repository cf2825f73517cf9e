"""Job status as the API shows it (no team or user ids)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict


class StageOut(BaseModel):
    status: Literal["pending", "running", "done", "failed", "skipped"]
    done: int = 0
    total: int = 0
    error: str | None = None
    started_at: datetime | None = None  # when the stage began running
    ended_at: datetime | None = None  # when it reached done, failed or skipped


class JobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    kind: Literal["creator", "post"] = "creator"
    username: str | None  # a post job's owner, once the scrape found it
    post_shortcode: str | None = None
    status: Literal["queued", "running", "complete", "partial", "failed"]
    reason: str | None
    stages: dict[str, StageOut]
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
