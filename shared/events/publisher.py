"""Publishes typed events with google-cloud-pubsub; one client per instance, created on first use."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import TYPE_CHECKING

from shared.config import get_settings
from shared.events.schemas import Event

if TYPE_CHECKING:
    from google.cloud.pubsub_v1 import PublisherClient


def use_emulator_if_configured() -> None:
    """Point google-cloud-pubsub at the local emulator when settings name one (local/test only)."""
    host = get_settings().pubsub.emulator_host
    if host:
        os.environ["PUBSUB_EMULATOR_HOST"] = host


@lru_cache(maxsize=1)
def publisher_client() -> PublisherClient:
    use_emulator_if_configured()
    from google.cloud import pubsub_v1

    return pubsub_v1.PublisherClient()


def topic_path(topic: str) -> str:
    return f"projects/{get_settings().pubsub.project_id}/topics/{topic}"


def publish(event: Event, *, timeout_s: float = 30.0) -> str:
    """Publish one event to its topic and wait for the server's message id."""
    attributes = {"event_type": event.topic.value, "schema_version": str(event.schema_version)}
    key = event.key()
    if key:
        attributes["business_key"] = key
    future = publisher_client().publish(
        topic_path(event.topic.value), event.model_dump_json().encode("utf-8"), **attributes
    )
    return str(future.result(timeout=timeout_s))
