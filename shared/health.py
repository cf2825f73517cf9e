"""Dependency checks for health endpoints."""

from __future__ import annotations

from sqlalchemy import text

from shared.db import session_scope


def database_ok() -> bool:
    """True when Postgres answers a trivial query within the statement timeout."""
    try:
        with session_scope() as session:
            return session.execute(text("SELECT 1")).scalar_one() == 1
    except Exception:
        return False
