"""The transactional outbox: a message or task is written with the change that causes it and sent
only once that change has committed.

Publishing inside a transaction lets a fast consumer see the message before the rows it names
exist (a CDN worker that finds no media row), and a rollback after publishing leaves a message
about something that never happened. So domain code calls `add_event` / `add_task` on its session;
`shared.db.session_scope` calls `committed` right after the commit (which sends in a new transaction on
the same engine, so this module needs no session factory of its own), and the `relay_outbox` maintenance
task sends whatever a crash or a broker outage left behind. Delivery is at least once: every
consumer is idempotent (shared.events.consumer), and tasks are named by their dedupe key.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from shared.events import publisher, tasks
from shared.events.models import OutboxMessage
from shared.events.schemas import Event
from shared.pruning import delete_in_batches

log = logging.getLogger("outbox")
PENDING = "outbox_pending"  # key in Session.info: rows this transaction added
# How long one batch may wait on the brokers in all, Pub/Sub and Cloud Tasks together: a broker that does not answer
# holds the request or worker that committed at most this long, however many messages it wrote, and what was not
# sent stays for the relay. (Each message waited up to 30 s in turn before: a scrape's fan-out of image messages held
# its worker past its 300 s timeout during a Pub/Sub outage.)
SEND_DEADLINE_S = 10.0
RELAY_DEADLINE_S = 120.0  # the relay's batch of up to 500 rows, well within the maintenance function's 300 s


def add_event(db_session: Session, event: Event) -> None:
    topic, data, attributes = publisher.envelope(event)
    _add(db_session, "pubsub", {"topic": topic, "data": data.decode("utf-8"), "attributes": attributes})


def add_task(db_session: Session, *, queue: str, url: str, payload: dict[str, Any], dedupe_key: str) -> None:
    _add(db_session, "task", {"queue": queue, "url": url, "payload": payload, "dedupe_key": dedupe_key})


def _add(db_session: Session, kind: str, body: dict[str, Any]) -> None:
    row = OutboxMessage(kind=kind, body=body)
    db_session.add(row)
    db_session.info.setdefault(PENDING, []).append(row)


def committed(db_session: Session) -> None:
    """Called by session_scope after a commit: send what this transaction added (failures wait for the relay)."""
    rows = db_session.info.pop(PENDING, [])
    if rows:
        send([row.id for row in rows], bind=db_session.get_bind())


def discard(db_session: Session) -> None:
    """Called after a rollback: the rows are gone with the transaction, so forget them."""
    db_session.info.pop(PENDING, None)


def send(ids: list[int], *, bind: Engine | Connection) -> int:
    """Send the given unsent rows; returns how many went out. Never raises for a broker failure."""
    with Session(bind=bind) as db_session, db_session.begin():
        rows = db_session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.sent_at.is_(None))
            .order_by(OutboxMessage.id)
            .with_for_update(skip_locked=True)  # a relay already sending a row keeps it
        ).all()
        return _send_rows(rows, deadline_s=SEND_DEADLINE_S)


def _send_rows(rows: Sequence[OutboxMessage], *, deadline_s: float) -> int:
    deadline = time.monotonic() + deadline_s
    # Start every publish first, then wait: one round trip for a fan-out of many messages.
    pending: dict[int, Future[str] | Exception] = {}
    for row in rows:
        if row.kind == "pubsub":
            try:
                pending[row.id] = publisher.publish_raw(**_pubsub_args(row.body))
            except Exception as exc:  # recorded on the row below
                pending[row.id] = exc
    sent = 0
    for row in rows:
        row.attempts += 1
        left_s = deadline - time.monotonic()
        try:
            if row.kind == "task":
                if left_s <= 0:
                    raise TimeoutError(f"not sent within the batch's {deadline_s:.0f} s")
                tasks.enqueue_http(**row.body, timeout_s=left_s)
            elif isinstance(started := pending[row.id], Exception):
                raise started
            else:
                started.result(timeout=max(left_s, 0.0))  # 0: taken if it has already landed
        except Exception as exc:  # any failure leaves the row for the relay
            row.last_error = f"{type(exc).__name__}: {exc}"[:1000]
            log.warning("outbox send failed; the relay retries", extra={"outbox_id": row.id, "error": row.last_error})
            continue
        row.sent_at = datetime.now(UTC)
        sent += 1
    return sent


def _pubsub_args(body: dict[str, Any]) -> dict[str, Any]:
    return {"topic": body["topic"], "data": body["data"].encode("utf-8"), "attributes": body["attributes"]}


def relay(*, db_session: Session, older_than: timedelta, limit: int = 500) -> dict[str, int]:
    """Send rows that stayed unsent longer than `older_than` (the sender crashed or the broker failed)."""
    rows = db_session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.created_at < datetime.now(UTC) - older_than)
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    sent = _send_rows(rows, deadline_s=RELAY_DEADLINE_S)
    return {"found": len(rows), "sent": sent}


def prune(*, db_session: Session, older_than: timedelta) -> int:
    """Forget sent rows older than the retention window, in batches (shared.pruning)."""
    table = OutboxMessage.__table__
    return delete_in_batches(db_session, table, table.c.sent_at < datetime.now(UTC) - older_than)  # type: ignore[arg-type]
