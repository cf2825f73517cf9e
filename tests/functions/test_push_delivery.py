"""End to end on the real Pub/Sub emulator: publish -> push -> functions-framework process -> Postgres."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from google.cloud import pubsub_v1
from sqlalchemy import func, select

from infra.local import provision
from infra.local.components import PubSubEmulator
from shared.db import session_scope
from shared.events.models import ProcessedMessage
from shared.events.publisher import publish, topic_path
from shared.events.schemas import MaintenanceRequested
from shared.events.topics import Topic
from shared.maintenance.models import MaintenanceRun
from tests.conftest import PROJECT
from tests.fixtures.stacks import wait_for

pytestmark = [pytest.mark.emulator, pytest.mark.usefixtures("db")]


@pytest.fixture
def subscriptions(pubsub: PubSubEmulator) -> Iterator[Callable[..., str]]:
    """Create push subscriptions for one test and delete them after it."""
    host = pubsub.env()["FA_PUBSUB__EMULATOR_HOST"]
    made: list[str] = []

    def make(name: str, topic: str, endpoint: str, dead_letter_topic: str) -> str:
        for t in (topic, dead_letter_topic):
            provision.ensure_topic(host, PROJECT, t)
        path = provision.ensure_push_subscription(
            host,
            PROJECT,
            name=name,
            topic=topic,
            endpoint=endpoint,
            dead_letter_topic=dead_letter_topic,
            max_delivery_attempts=5,
            min_backoff_s=1,
            max_backoff_s=1,
        )
        made.append(path)
        return path

    yield make
    subscriber = pubsub_v1.SubscriberClient()
    for path in made:
        subscriber.delete_subscription(subscription=path)


def counts() -> tuple[int, int]:
    with session_scope() as session:
        runs = session.scalar(select(func.count()).select_from(MaintenanceRun))
        markers = session.scalar(select(func.count()).select_from(ProcessedMessage))
    return int(runs or 0), int(markers or 0)


def attempts(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def test_published_event_reaches_postgres_through_the_emulator(serve_function, subscriptions, unique, pubsub) -> None:  # type: ignore[no-untyped-def]
    function = serve_function("maintenance", "functions/maintenance/main.py")
    provision.ensure_topic(pubsub.env()["FA_PUBSUB__EMULATOR_HOST"], PROJECT, Topic.MAINTENANCE_REQUESTED.value)
    subscriptions(f"maintenance-{unique}", Topic.MAINTENANCE_REQUESTED.value, function.url + "/", f"dlq-{unique}")
    message_id = publish(MaintenanceRequested(task="prune_processed_messages"))
    assert wait_for(lambda: counts() == (1, 1), 20), counts()
    with session_scope() as session:
        run = session.scalars(select(MaintenanceRun)).one()
    assert run.message_key == f"msg:{message_id}"
    assert run.result == {"deleted": 0, "retention_days": 14}


def test_redelivered_message_has_one_effect(serve_function, subscriptions, unique, pubsub, tmp_path) -> None:  # type: ignore[no-untyped-def]
    attempts_file = tmp_path / "attempts"
    function = serve_function("lost_ack", "tests/fixtures/push_targets.py", FA_TEST_ATTEMPTS_FILE=str(attempts_file))
    topic = f"lost-ack-{unique}"
    subscriptions(f"lost-ack-{unique}", topic, function.url + "/", f"dlq-{unique}")
    publisher = pubsub_v1.PublisherClient()
    publisher.publish(topic_path(topic), b'{"task": "prune_processed_messages"}').result(timeout=10)
    assert wait_for(lambda: attempts(attempts_file) >= 3, 30), attempts(attempts_file)
    time.sleep(2)  # the third delivery was acked: no fourth may come
    assert attempts(attempts_file) == 3
    assert counts() == (1, 1)


def test_always_failing_handler_dead_letters_after_max_attempts(
    serve_function, subscriptions, unique, pubsub, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    host = pubsub.env()["FA_PUBSUB__EMULATOR_HOST"]
    attempts_file = tmp_path / "attempts"
    function = serve_function(
        "always_fails", "tests/fixtures/push_targets.py", FA_TEST_ATTEMPTS_FILE=str(attempts_file)
    )
    topic, dead_letters = f"doomed-{unique}", f"dlq-{unique}"
    provision.ensure_topic(host, PROJECT, dead_letters)
    hold = provision.ensure_pull_subscription(host, PROJECT, name=f"hold-{unique}", topic=dead_letters)
    subscriptions(f"doomed-{unique}", topic, function.url + "/", dead_letters)
    publisher = pubsub_v1.PublisherClient()
    publisher.publish(topic_path(topic), b'{"task": "prune_processed_messages"}').result(timeout=10)

    dead: list[tuple[str, bytes, dict]] = []
    assert wait_for(lambda: bool(dead.extend(provision.pull(host, hold)) or dead), 60), attempts(attempts_file)
    assert dead[0][1] == b'{"task": "prune_processed_messages"}'
    assert attempts(attempts_file) == 5
    time.sleep(3)  # never loops: after dead-lettering, no further delivery
    assert attempts(attempts_file) == 5
    assert counts() == (0, 0)
