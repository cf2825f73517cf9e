"""What a maintenance run reports."""

from __future__ import annotations

from pydantic import BaseModel


class PruneResult(BaseModel):
    deleted: int
    retention_days: int
