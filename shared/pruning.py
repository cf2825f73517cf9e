"""Deleting many rows without one long statement: the retention prunes of dedupe records and sent outbox rows."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, literal_column, select
from sqlalchemy.orm import Session

PRUNE_BATCH = 10_000  # rows per DELETE: each statement stays far inside statement_timeout
PRUNE_BUDGET_S = 60.0  # a run's share of the maintenance function's 300 s; what is left goes at the next run


def delete_in_batches(db_session: Session, table: Table, condition: ColumnElement[bool]) -> int:
    """Delete the rows of `table` matching `condition`, PRUNE_BATCH at a time for PRUNE_BUDGET_S at most; returns
    how many went. One DELETE for a whole backlog could pass statement_timeout, and would then fail on every run
    while the backlog grew. All in the caller's transaction."""
    row: ColumnElement[Any] = literal_column("ctid")  # where the row lies: every table has one, no key needed
    statement = delete(table).where(row.in_(select(row).select_from(table).where(condition).limit(PRUNE_BATCH)))
    deadline = time.monotonic() + PRUNE_BUDGET_S
    deleted = 0
    while True:
        gone = int(db_session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]
        deleted += gone
        if gone < PRUNE_BATCH or time.monotonic() > deadline:
            return deleted
