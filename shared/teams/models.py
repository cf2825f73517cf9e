"""Users (Supabase `sub`), teams and memberships. Teams own wallets, unlocks and subscriptions."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Text, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from shared.columns import created_at, uuid_pk
from shared.orm import Base


class User(Base):
    __tablename__ = "users"
    __table_args__ = (Index("ix_users_email_lower", text("lower(email)")),)

    # The Supabase auth user id (JWT `sub`), not generated here.
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    # Not unique: Supabase owns identity, and a re-created account keeps its email under a new id.
    email: Mapped[str | None] = mapped_column(Text)
    is_admin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[created_at]
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[uuid_pk]
    name: Mapped[str] = mapped_column(Text)
    is_personal: Mapped[bool] = mapped_column(default=False)
    plan: Mapped[str] = mapped_column(Text, default="free")
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[created_at]


class TeamMember(Base):
    __tablename__ = "team_members"
    __table_args__ = (CheckConstraint("role IN ('owner', 'admin', 'member')", name="role_known"),)

    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(Text, default="member")
    joined_at: Mapped[created_at]


class SupabaseInvite(Base):
    """The Supabase user an invite created, committed on its own the moment Supabase answers: a later
    rollback of the signup transaction must not lose it (a second invite would only say "exists")."""

    __tablename__ = "supabase_invites"

    email: Mapped[str] = mapped_column(Text, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column()
    invited_at: Mapped[created_at]
