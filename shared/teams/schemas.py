"""Team requests and responses. Request bodies forbid extra fields: nobody sets a plan or balance here."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from shared.text import EMAIL_RULE

Role = Literal["owner", "admin", "member"]


class TeamCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=80)


class MemberAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: EmailStr = Field(description=EMAIL_RULE)
    role: Literal["admin", "member"] = "member"


class MemberRoleChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role


class TeamOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    is_personal: bool
    plan: str
    created_at: datetime


class MembershipOut(BaseModel):
    team: TeamOut
    role: Role


class MemberOut(BaseModel):
    user_id: uuid.UUID
    email: str | None
    role: Role
    joined_at: datetime
