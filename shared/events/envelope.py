"""The ONE push-envelope decoder: raw Pub/Sub push bodies and structured or binary CloudEvents.

Accepted shapes (anything else raises InvalidEnvelope, answered 400):
- Pub/Sub push: ``{"message": {"data", "attributes", "messageId"|"message_id", "publishTime"|...},
  "subscription": ..., "deliveryAttempt": n}``
- structured CloudEvent (``Content-Type: application/cloudevents+json``) of type
  ``google.cloud.pubsub.topic.v1.messagePublished`` whose ``data`` is
  ``{"message": ..., "subscription": ...}``
- binary CloudEvent: ``ce-id``, ``ce-type``, ``ce-source``, ``ce-specversion`` headers, that same body.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from pydantic import ValidationError

from shared.errors import InvalidEnvelope
from shared.events.schemas import Event
from shared.text import parse_json

PUBSUB_CLOUDEVENT_TYPE = "google.cloud.pubsub.topic.v1.messagePublished"
_CE_REQUIRED = ("id", "type", "source", "specversion")
E = TypeVar("E", bound=Event)


@dataclass(frozen=True)
class PushMessage:
    message_id: str
    data: bytes
    attributes: dict[str, str] = field(default_factory=dict)
    publish_time: str | None = None
    subscription: str | None = None
    delivery_attempt: int | None = None
    envelope: Literal["pubsub", "cloudevent-structured", "cloudevent-binary"] = "pubsub"


def _pick(obj: Mapping[str, Any], camel: str, snake: str) -> Any:
    return obj.get(camel, obj.get(snake))


def _parse_json(body: bytes) -> Any:
    try:
        return parse_json(body)
    except ValueError as exc:
        raise InvalidEnvelope(f"body is not JSON: {exc}") from exc


def _from_pubsub(payload: Any, kind: Any, fallback_id: str | None = None) -> PushMessage:
    if not isinstance(payload, dict) or not isinstance(payload.get("message"), dict):
        raise InvalidEnvelope("expected an object with a 'message' object (Pub/Sub push format)")
    message = payload["message"]
    message_id = _pick(message, "messageId", "message_id") or fallback_id
    if not isinstance(message_id, str) or not message_id:
        raise InvalidEnvelope("message has no messageId")
    raw = message.get("data", "")
    if not isinstance(raw, str):
        raise InvalidEnvelope("message.data must be a base64 string")
    try:
        data = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidEnvelope("message.data is not valid base64") from exc
    attributes = message.get("attributes") or {}
    if not isinstance(attributes, dict) or not all(isinstance(v, str) for v in attributes.values()):
        raise InvalidEnvelope("message.attributes must map strings to strings")
    attempt = _pick(payload, "deliveryAttempt", "delivery_attempt")
    return PushMessage(
        message_id=message_id,
        data=data,
        attributes=attributes,
        publish_time=_pick(message, "publishTime", "publish_time"),
        subscription=payload.get("subscription"),
        delivery_attempt=attempt if isinstance(attempt, int) else None,
        envelope=kind,
    )


def decode_push(headers: Mapping[str, str], body: bytes) -> PushMessage:
    """Decode one push delivery into a PushMessage, whatever envelope carried it."""
    lowered = {k.lower(): v for k, v in headers.items()}
    content_type = lowered.get("content-type", "").split(";")[0].strip().lower()
    if "ce-specversion" in lowered:
        missing = [h for h in _CE_REQUIRED if f"ce-{h}" not in lowered]
        if missing:
            raise InvalidEnvelope(f"binary CloudEvent lacks headers: {', '.join('ce-' + m for m in missing)}")
        if lowered["ce-type"] != PUBSUB_CLOUDEVENT_TYPE:
            raise InvalidEnvelope(f"unsupported CloudEvent type {lowered['ce-type']!r}")
        return _from_pubsub(_parse_json(body), "cloudevent-binary", lowered["ce-id"])
    payload = _parse_json(body)
    if content_type == "application/cloudevents+json" or (isinstance(payload, dict) and "specversion" in payload):
        if not isinstance(payload, dict) or any(k not in payload for k in _CE_REQUIRED):
            raise InvalidEnvelope(f"structured CloudEvent needs {', '.join(_CE_REQUIRED)}")
        if payload["type"] != PUBSUB_CLOUDEVENT_TYPE:
            raise InvalidEnvelope(f"unsupported CloudEvent type {payload['type']!r}")
        return _from_pubsub(payload.get("data"), "cloudevent-structured", str(payload["id"]))
    return _from_pubsub(payload, "pubsub")


def parse_event(message: PushMessage, event_type: type[E]) -> E:
    """The typed event inside a decoded message; a wrong shape is InvalidEnvelope (400)."""
    try:
        return event_type.model_validate_json(message.data)
    except ValidationError as exc:
        errors = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
        raise InvalidEnvelope(f"{event_type.topic.value} payload is invalid: {errors}") from exc
