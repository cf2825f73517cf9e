"""Pruning dedupe records: in batches, so that a backlog of any size goes without a statement past its timeout."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from shared import pruning
from shared.db import session_scope
from shared.events import consumer
from shared.pgwire import recorded

pytestmark = pytest.mark.usefixtures("db")


def _seed(old: int, fresh: int) -> None:
    with session_scope() as session:
        session.execute(
            text(
                "INSERT INTO processed_messages (consumer, message_key, processed_at)"
                " SELECT 'scrape', 'old-' || n, now() - interval '30 days' FROM generate_series(1, :old) AS n"
                " UNION ALL SELECT 'scrape', 'fresh-' || n, now() FROM generate_series(1, :fresh) AS n"
            ),
            {"old": old, "fresh": fresh},
        )


def _left() -> list[str]:
    with session_scope() as session:
        return list(session.execute(text("SELECT message_key FROM processed_messages ORDER BY 1")).scalars())


def test_a_backlog_goes_in_batches_and_fresh_records_stay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pruning, "PRUNE_BATCH", 1000)
    _seed(old=2500, fresh=3)
    with recorded() as statements, session_scope() as session:
        assert consumer.prune_processed(db_session=session, older_than=timedelta(days=14)) == 2500
    assert sum(s.startswith("DELETE FROM processed_messages") for s in statements) == 3  # 1000, 1000, 500
    assert _left() == ["fresh-1", "fresh-2", "fresh-3"]


def test_a_run_out_of_time_stops_after_a_batch_and_the_next_run_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pruning, "PRUNE_BATCH", 1000)
    monkeypatch.setattr(pruning, "PRUNE_BUDGET_S", -1.0)  # past its budget after the first batch
    _seed(old=1500, fresh=0)
    with session_scope() as session:
        assert consumer.prune_processed(db_session=session, older_than=timedelta(days=14)) == 1000
    with session_scope() as session:
        assert consumer.prune_processed(db_session=session, older_than=timedelta(days=14)) == 500
    assert _left() == []
