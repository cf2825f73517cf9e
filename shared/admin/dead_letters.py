"""Dead letters: what waits in the dead-letter topic's pull subscription (`pubsub.dead_letter_hold`), replayed to
the topic it was first published on, or discarded; each action in admin_actions.

Looking is not taking: a listing pulls messages and hands them straight back (ack deadline 0). A replay publishes
the same data and attributes (its business key included, so a consumer that already did the work skips it), then
acknowledges the dead letter."""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from shared.admin.schemas import DeadLetterOut, DeadLetterOutcome, DeadLettersPage
from shared.admin.service import record
from shared.config import get_settings, per_instance
from shared.errors import NotFound, Unavailable
from shared.events.publisher import publish_raw, use_emulator_if_configured
from shared.events.topics import SUBSCRIPTIONS

log = logging.getLogger("admin.dead_letters")
SOURCE = "CloudPubSubDeadLetterSourceSubscription"
ATTEMPTS = "CloudPubSubDeadLetterSourceDeliveryCount"
BATCH = 100
OUR_SUBSCRIPTIONS = {sub.name: sub.topic.value for sub in SUBSCRIPTIONS}
PULL_WAIT_S = 2.0  # how long one pull waits for messages before we call the subscription drained
RETRY_S = 10.0  # how long the client retries a call Pub/Sub refused as transient (its default: 60 s)
T = TypeVar("T")


def _retry() -> Any:
    from google.api_core.retry import Retry

    return Retry(timeout=RETRY_S)


def _pubsub_answers(action: Callable[..., T]) -> Callable[..., T]:
    """Pub/Sub out of reach, refusing, or past a deadline: a 503 to retry. It was a 500, after the client's 60 s of
    retries (an operator opening the console during an outage waited 49 s for it)."""

    @functools.wraps(action)
    def wrapped(*args: Any, **kwargs: Any) -> T:
        from google.api_core.exceptions import GoogleAPICallError, RetryError

        try:
            return action(*args, **kwargs)
        except (GoogleAPICallError, RetryError, TimeoutError) as exc:
            log.warning("Pub/Sub call failed", extra={"error": repr(exc)})
            raise Unavailable(
                f"Pub/Sub could not be reached ({type(exc).__name__}); retry shortly", retry_after_s=10
            ) from exc

    return wrapped


@per_instance()
def _subscriber() -> Any:
    use_emulator_if_configured()
    from google.cloud import pubsub_v1

    return pubsub_v1.SubscriberClient()


def _hold() -> str:
    settings = get_settings().pubsub
    return f"projects/{settings.project_id}/subscriptions/{settings.dead_letter_hold}"


def _pull(max_messages: int = BATCH) -> list[Any]:
    """Up to `max_messages` waiting dead letters, leased to us until released or acknowledged. Pulls again until
    one comes back empty: a single pull may hand out only part of what waits."""
    from google.api_core.exceptions import DeadlineExceeded

    leased: list[Any] = []
    while len(leased) < max_messages:
        try:
            response = _subscriber().pull(
                request={"subscription": _hold(), "max_messages": max_messages - len(leased)},
                timeout=PULL_WAIT_S,
                retry=_retry(),
            )
        except DeadlineExceeded:
            break
        if not response.received_messages:
            break
        leased += list(response.received_messages)
    return leased


def _release(received: list[Any]) -> None:
    if received:
        _subscriber().modify_ack_deadline(
            request={"subscription": _hold(), "ack_ids": [r.ack_id for r in received], "ack_deadline_seconds": 0},
            retry=_retry(),
        )


def _topic_of(message: Any) -> str | None:
    """The topic the message was first published on: that of the subscription it died in (ours are named
    `<consumer>.<topic>`; others are asked of Pub/Sub), else the event type it carries."""
    source = str(message.attributes.get(SOURCE) or "")
    name = source.rsplit("/", 1)[-1]
    if name in OUR_SUBSCRIPTIONS:
        return OUR_SUBSCRIPTIONS[name]
    if source:
        from google.api_core.exceptions import GoogleAPICallError

        if "/" not in source:  # the emulator names the subscription alone; Pub/Sub gives its full path
            source = f"projects/{get_settings().pubsub.project_id}/subscriptions/{source}"
        try:
            return str(_subscriber().get_subscription(request={"subscription": source}).topic).rsplit("/", 1)[-1]
        except GoogleAPICallError as exc:  # gone, or not ours to read: what the message says of itself
            log.info("dead letter's source subscription unreadable", extra={"subscription": source, "error": str(exc)})
    return message.attributes.get("event_type")


def _out(received: Any) -> DeadLetterOut:
    message = received.message
    published = message.publish_time
    attempts = message.attributes.get(ATTEMPTS) or received.delivery_attempt or None
    return DeadLetterOut(
        message_id=message.message_id,
        topic=_topic_of(message),
        source_subscription=message.attributes.get(SOURCE),
        attempts=int(attempts) if attempts else None,
        published_at=datetime.fromtimestamp(published.timestamp(), UTC) if published else None,  # with its offset
        business_key=message.attributes.get("business_key"),
        attributes=dict(message.attributes),
        payload=message.data.decode("utf-8", errors="replace")[:300],
    )


@_pubsub_answers
def peek(*, max_messages: int = 50) -> DeadLettersPage:
    received = _pull(max_messages)
    try:
        return DeadLettersPage(subscription=_hold(), items=[_out(r) for r in received])
    finally:
        _release(received)


@_pubsub_answers
def act(*, db_session: Session, actor: uuid.UUID, message_id: str, action: str, reason: str) -> DeadLetterOutcome:
    """Replay or discard one dead letter, found by its message id among those waiting."""
    seen: set[str] = set()
    while True:
        received = _pull()
        target = next((r for r in received if r.message.message_id == message_id), None)
        _release([r for r in received if r is not target])
        if target is not None:
            break
        fresh = {r.message.message_id for r in received} - seen
        if not fresh:
            raise NotFound(f"no dead letter {message_id} is waiting in {get_settings().pubsub.dead_letter_hold}")
        seen |= fresh
    message = target.message
    topic = _topic_of(message)
    replayed = None
    if action == "replay":
        if topic is None:
            _release([target])
            raise NotFound(f"dead letter {message_id} does not say which topic it came from: discard it instead")
        attributes = {k: v for k, v in message.attributes.items() if not k.startswith("CloudPubSub")}
        replayed = publish_raw(topic, message.data, attributes).result(timeout=RETRY_S)
    _subscriber().acknowledge(request={"subscription": _hold(), "ack_ids": [target.ack_id]}, retry=_retry())
    record(
        db_session, actor=actor, action=f"dead_letter_{action}", target=("dead_letter", message_id), reason=reason,
        topic=topic, replayed_as=replayed, payload=message.data.decode("utf-8", errors="replace")[:300],
    )  # fmt: skip
    return DeadLetterOutcome(message_id=message_id, action=action, topic=topic, replayed_as=replayed)  # type: ignore[arg-type]
