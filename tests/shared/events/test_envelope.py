import base64
import json

import pytest

from shared.errors import InvalidEnvelope
from shared.events.envelope import decode_push, parse_event
from shared.events.schemas import MaintenanceRequested
from tests.fixtures.envelopes import binary_cloudevent_headers, pubsub_body, structured_cloudevent

PAYLOAD = {"task": "prune_processed_messages"}
JSON = {"Content-Type": "application/json"}


def test_raw_pubsub_push_camel_case() -> None:
    message = decode_push(JSON, json.dumps(pubsub_body(PAYLOAD, "m-1")).encode())
    assert message.message_id == "m-1"
    assert json.loads(message.data) == PAYLOAD
    assert message.attributes == {"event_type": "x"}
    assert message.delivery_attempt == 2
    assert message.subscription == "projects/p/subscriptions/s"
    assert message.envelope == "pubsub"


def test_raw_pubsub_push_snake_case() -> None:
    message = decode_push(JSON, json.dumps(pubsub_body(PAYLOAD, "m-2", snake=True)).encode())
    assert (message.message_id, message.delivery_attempt, message.publish_time) == (
        "m-2",
        2,
        "2026-11-25T00:00:00Z",
    )


def test_structured_cloudevent() -> None:
    body = json.dumps(structured_cloudevent(PAYLOAD, "ce-9")).encode()
    message = decode_push({"Content-Type": "application/cloudevents+json; charset=utf-8"}, body)
    assert message.envelope == "cloudevent-structured"
    assert message.message_id == "ce-9"
    assert parse_event(message, MaintenanceRequested).task == "prune_processed_messages"


def test_binary_cloudevent() -> None:
    body = json.dumps(pubsub_body(PAYLOAD, "b-7")).encode()
    message = decode_push(binary_cloudevent_headers("b-7"), body)
    assert message.envelope == "cloudevent-binary"
    assert message.message_id == "b-7"
    assert parse_event(message, MaintenanceRequested).task == "prune_processed_messages"


def test_binary_cloudevent_without_inner_message_id_takes_ce_id() -> None:
    body = pubsub_body(PAYLOAD)
    del body["message"]["messageId"]
    assert decode_push(binary_cloudevent_headers("ce-only"), json.dumps(body).encode()).message_id == "ce-only"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


BAD = {
    "not json": (JSON, b"not json"),
    "json array": (JSON, b"[1, 2]"),
    "no message": (JSON, b'{"subscription": "s"}'),
    "message not object": (JSON, b'{"message": "hi"}'),
    "no message id": (JSON, json.dumps({"message": {"data": _b64("{}")}}).encode()),
    "data not base64": (JSON, json.dumps({"message": {"data": "%%%", "messageId": "1"}}).encode()),
    "data not string": (JSON, json.dumps({"message": {"data": 5, "messageId": "1"}}).encode()),
    "attributes not strings": (
        JSON,
        json.dumps({"message": {"data": "", "messageId": "1", "attributes": {"a": 1}}}).encode(),
    ),
    "structured CE of another type": (
        {"Content-Type": "application/cloudevents+json"},
        json.dumps({**structured_cloudevent(PAYLOAD), "type": "google.cloud.storage.object.v1.finalized"}).encode(),
    ),
    "structured CE missing source": (
        {"Content-Type": "application/cloudevents+json"},
        json.dumps({k: v for k, v in structured_cloudevent(PAYLOAD).items() if k != "source"}).encode(),
    ),
    "structured CE without pubsub data": (
        {"Content-Type": "application/cloudevents+json"},
        json.dumps({**structured_cloudevent(PAYLOAD), "data": {"bucket": "b"}}).encode(),
    ),
    "binary CE missing ce-type": (
        {k: v for k, v in binary_cloudevent_headers().items() if k != "ce-type"},
        json.dumps(pubsub_body(PAYLOAD)).encode(),
    ),
    "binary CE of another type": (
        {**binary_cloudevent_headers(), "ce-type": "com.example.other"},
        json.dumps(pubsub_body(PAYLOAD)).encode(),
    ),
    "binary CE with bare payload": (binary_cloudevent_headers(), json.dumps(PAYLOAD).encode()),
    "empty body": (JSON, b""),
    "utf-16 garbage": (JSON, "{}".encode("utf-16")),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_anything_else_is_refused(case: str) -> None:
    headers, body = BAD[case]
    with pytest.raises(InvalidEnvelope):
        decode_push(headers, body)


def test_payload_that_does_not_match_the_topic_schema_is_refused() -> None:
    message = decode_push(JSON, json.dumps(pubsub_body({"task": "drop_database"})).encode())
    with pytest.raises(InvalidEnvelope, match="task"):
        parse_event(message, MaintenanceRequested)


def test_unknown_payload_fields_are_refused() -> None:
    message = decode_push(JSON, json.dumps(pubsub_body({**PAYLOAD, "extra": 1})).encode())
    with pytest.raises(InvalidEnvelope, match="extra"):
        parse_event(message, MaintenanceRequested)
