"""Publishes typed events with google-cloud-pubsub; one client per instance, created on first use."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from shared.config import get_settings, per_instance
from shared.events.schemas import Event

if TYPE_CHECKING:
    from concurrent.futures import Future

    from google.cloud.pubsub_v1 import PublisherClient


def use_emulator_if_configured() -> None:
    """Point google-cloud-pubsub at the local emulator when settings name one (local/test only)."""
    host = get_settings().pubsub.emulator_host
    if host:
        os.environ["PUBSUB_EMULATOR_HOST"] = host


@per_instance()
def publisher_client() -> PublisherClient:
    use_emulator_if_configured()
    from google.cloud import pubsub_v1

    return pubsub_v1.PublisherClient()


def topic_path(topic: str) -> str:
    return f"projects/{get_settings().pubsub.project_id}/topics/{topic}"


def envelope(event: Event) -> tuple[str, bytes, dict[str, str]]:
    """Topic, data and attributes of one event, as they go on the wire."""
    attributes = {"event_type": event.topic.value, "schema_version": str(event.schema_version)}
    key = event.key()
    if key:
        attributes["business_key"] = key
    return event.topic.value, event.model_dump_json().encode("utf-8"), attributes


def publish_raw(topic: str, data: bytes, attributes: dict[str, str]) -> Future[str]:
    """Start publishing one message; the future resolves to the server's message id."""
    future: Future[str] = publisher_client().publish(topic_path(topic), data, **attributes)
    return future


def publish(event: Event, *, timeout_s: float = 30.0) -> str:
    """Publish one event now and wait for its message id.

    Domain code does not call this: it writes to the outbox (shared.events.outbox), which sends
    after the transaction commits. This is for the outbox itself, tools and tests.
    """
    return str(publish_raw(*envelope(event)).result(timeout=timeout_s))
