import json

import pytest

from shared.errors import InvalidEnvelope
from shared.events.envelope import decode_push, parse_event
from shared.events.schemas import MaintenanceRequested
from tests.fixtures.envelopes import BAD, JSON, binary_cloudevent_headers, pubsub_body, structured_cloudevent

PAYLOAD = {"task": "prune_processed_messages"}


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
