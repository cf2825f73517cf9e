"""Verified token claims and the authenticated caller."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict


class Claims(BaseModel):
    """The claims we rely on from a verified Supabase access token."""

    model_config = ConfigDict(frozen=True)

    sub: uuid.UUID
    email: str | None = None
    role: str
    is_anonymous: bool = False


class Caller(BaseModel):
    """Who is calling: the provisioned user, with their personal team as the default team."""

    model_config = ConfigDict(frozen=True)

    user_id: uuid.UUID
    email: str | None
    is_admin: bool
    is_anonymous: bool
    personal_team_id: uuid.UUID
