"""The idempotent-consumer helper: the (consumer, key) record and the effect commit in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Generic, TypeVar

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.db import session_scope
from shared.events.envelope import PushMessage
from shared.events.models import ProcessedMessage
from shared.events.schemas import Event
from shared.pruning import delete_in_batches

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    duplicate: bool
    result: T | None = None


def message_key(message: PushMessage, event: Event) -> str:
    """The event's business key when it has one, else the Pub/Sub message id."""
    return event.key() or f"msg:{message.message_id}"


def already_processed(*, consumer: str, key: str) -> bool:
    """A cheap look before slow work; consume_once still decides under its lock."""
    with session_scope() as session:
        return session.get(ProcessedMessage, (consumer, key)) is not None


def consume_once(*, consumer: str, key: str, effect: Callable[[Session], T]) -> Outcome[T]:
    """Run `effect` at most once per (consumer, key): a duplicate, even a concurrent one, is skipped.

    The marker row and the effect share one transaction, so an effect that raises leaves no marker
    and the redelivery runs it again; a concurrent duplicate waits on the row lock, then skips.
    """
    with session_scope() as session:
        claimed = session.execute(
            insert(ProcessedMessage)
            .values(consumer=consumer, message_key=key)
            .on_conflict_do_nothing(index_elements=["consumer", "message_key"])
            .returning(ProcessedMessage.message_key)
        ).first()
        if claimed is None:
            return Outcome(duplicate=True)
        return Outcome(duplicate=False, result=effect(session))


def prune_processed(*, db_session: Session, older_than: timedelta) -> int:
    """Forget dedupe records older than any redelivery can be (Pub/Sub keeps messages ≤ 7 days), in batches."""
    table = ProcessedMessage.__table__
    return delete_in_batches(db_session, table, table.c.processed_at < func.now() - older_than)  # type: ignore[arg-type]
