"""The outbox: nothing leaves before its transaction commits, nothing is lost when the broker fails."""

from __future__ import annotations

import socket
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
from google.api_core.exceptions import DeadlineExceeded
from sqlalchemy import select

from infra.local import provision
from infra.local.components import PubSubEmulator
from shared.db import session_scope
from shared.events import outbox, publisher, tasks
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


def test_a_broker_that_does_not_answer_holds_the_commit_one_deadline_not_one_per_message(  # type: ignore[no-untyped-def]
    pull, settings_env, monkeypatch
) -> None:
    """Pub/Sub and Cloud Tasks accept the connection and never answer (a brownout). Each message waited up to 30 s
    in turn (20 s for a task): six messages held the committing worker 140 s. Now every wait of the batch ends by
    one deadline, SEND_DEADLINE_S after it began, and every row stays for the relay. Checked on the waits' own
    deadlines, not on a stopwatch."""
    monkeypatch.setattr(outbox, "SEND_DEADLINE_S", 1.5)
    calls: list[float] = []  # when each wait began
    ends: list[float] = []  # when each wait would give up, had the broker stayed silent

    class Watched:
        def __init__(self, future: Any) -> None:
            self._future = future

        def result(self, timeout: float | None = None) -> Any:
            calls.append(time.monotonic())
            ends.append(calls[-1] + (timeout if timeout is not None else float("inf")))
            return self._future.result(timeout=timeout)

    real_publish, real_enqueue = publisher.publish_raw, tasks.enqueue_http
    monkeypatch.setattr(publisher, "publish_raw", lambda *a, **k: Watched(real_publish(*a, **k)))

    def enqueue(**kwargs: Any) -> bool:
        calls.append(time.monotonic())
        ends.append(calls[-1] + kwargs.get("timeout_s", 20.0))  # 20 s: the client's own default
        return real_enqueue(**kwargs)

    monkeypatch.setattr(tasks, "enqueue_http", enqueue)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # the kernel completes each handshake; nothing ever reads or answers
        host = f"127.0.0.1:{silent.getsockname()[1]}"
        settings_env(PUBSUB__EMULATOR_HOST=host, TASKS__EMULATOR_HOST=host)
        monkeypatch.setenv("PUBSUB_EMULATOR_HOST", host)
        with session_scope() as db_session:
            for _ in range(4):
                outbox.add_event(db_session, _event())
            for n in range(2):
                url, payload = "http://127.0.0.1:1/v1/analyze", {"job_id": str(uuid.uuid4())}
                outbox.add_task(db_session, queue="inference", url=url, payload=payload, dedupe_key=f"k{n}")
    rows = _rows()
    assert len(rows) == 6 and all(row.sent_at is None and row.attempts == 1 for row in rows)
    # The batch began before its first wait: no wait may end later than 1.5 s after that.
    assert ends and max(ends) <= min(calls) + 1.5, [round(end - min(calls), 2) for end in ends]
