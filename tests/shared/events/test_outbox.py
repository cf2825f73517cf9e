"""The outbox: nothing leaves before its transaction commits, nothing is lost when the broker fails."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from google.api_core.exceptions import DeadlineExceeded
from sqlalchemy import select

from infra.local import provision
from infra.local.components import PubSubEmulator
from shared.db import session_scope
from shared.events import outbox, publisher
from shared.events.models import OutboxMessage
from shared.events.schemas import CreatorScrapeRequested
from shared.events.topics import Topic
from tests.conftest import PROJECT

pytestmark = [pytest.mark.emulator, pytest.mark.usefixtures("db")]


@pytest.fixture
def pull(pubsub: PubSubEmulator, unique: str):  # type: ignore[no-untyped-def]
    host = pubsub.env()["FA_PUBSUB__EMULATOR_HOST"]
    topic = Topic.CREATOR_SCRAPE_REQUESTED.value
    provision.ensure_topic(host, PROJECT, topic)
    sub = provision.ensure_pull_subscription(host, PROJECT, name=f"outbox-{unique}", topic=topic)

    def received(wait_s: float) -> list[CreatorScrapeRequested]:
        found: list[CreatorScrapeRequested] = []
        deadline = time.monotonic() + wait_s
        while not found and time.monotonic() < deadline:
            try:
                messages = provision.pull(host, sub, timeout_s=0.5)
            except DeadlineExceeded:  # the emulator long-polls until a message comes or the deadline passes
                continue
            found += [CreatorScrapeRequested.model_validate_json(m[1]) for m in messages]
        return found

    return received


def _event() -> CreatorScrapeRequested:
    return CreatorScrapeRequested(job_id=uuid.uuid4(), username="natgeo")


def _rows() -> list[OutboxMessage]:
    with session_scope() as db_session:
        return list(db_session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_message_leaves_only_after_its_transaction_commits(pull) -> None:  # type: ignore[no-untyped-def]
    event = _event()
    with session_scope() as db_session:
        outbox.add_event(db_session, event)
        db_session.flush()
        assert pull(1.0) == []  # written, not sent: a consumer cannot see it yet
    assert pull(10.0) == [event]
    [row] = _rows()
    assert row.sent_at is not None and row.attempts == 1


def test_a_rolled_back_transaction_sends_nothing(pull) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuntimeError), session_scope() as db_session:
        outbox.add_event(db_session, _event())
        db_session.flush()
        raise RuntimeError("the cause failed")
    assert pull(1.5) == []
    assert _rows() == []


def test_a_broker_failure_keeps_the_row_and_the_relay_sends_it(pull, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    event = _event()
    real = publisher.publish_raw

    def down(*_args: object, **_kwargs: object) -> None:
        raise ConnectionError("pubsub unavailable")

    monkeypatch.setattr(publisher, "publish_raw", down)
    with session_scope() as db_session:  # the cause commits even though sending fails
        outbox.add_event(db_session, event)
    [row] = _rows()
    assert row.sent_at is None and row.attempts == 1 and "pubsub unavailable" in (row.last_error or "")
    assert pull(1.0) == []

    monkeypatch.setattr(publisher, "publish_raw", real)
    with session_scope() as db_session:
        assert outbox.relay(db_session=db_session, older_than=timedelta(hours=1)) == {"found": 0, "sent": 0}
    with session_scope() as db_session:
        assert outbox.relay(db_session=db_session, older_than=timedelta(0)) == {"found": 1, "sent": 1}
    assert pull(10.0) == [event]
    with session_scope() as db_session:  # sent rows are not sent again
        assert outbox.relay(db_session=db_session, older_than=timedelta(0)) == {"found": 0, "sent": 0}
        assert outbox.prune(db_session=db_session, older_than=timedelta(0)) == 1
