"""Dead letters on the real emulator: a poison message lands in the hold subscription, the console lists it,
replay after fixing the cause completes the work once, discard removes one; each action leaves an audit row."""

from __future__ import annotations

import socket
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from infra.local import provision
from shared.db import session_scope
from shared.events import publisher
from shared.events.schemas import MaintenanceRequested
from shared.maintenance.models import MaintenanceRun
from tests.conftest import PROJECT
from tests.fixtures.stacks import wait_for

pytestmark = [pytest.mark.emulator, pytest.mark.usefixtures("db")]


def runs() -> int:
    with session_scope() as db:
        return int(db.scalar(select(func.count()).select_from(MaintenanceRun)) or 0)


def test_a_poison_message_is_listed_replayed_once_after_the_fix_and_another_discarded(  # type: ignore[no-untyped-def]
    api, bearer, serve_function, pubsub, unique, settings_env, tmp_path
) -> None:
    host = pubsub.env()["FA_PUBSUB__EMULATOR_HOST"]
    topic, dead, hold = f"maint-{unique}", f"dlq-{unique}", f"hold-{unique}"
    for name in (topic, dead):
        provision.ensure_topic(host, PROJECT, name)
    provision.ensure_pull_subscription(host, PROJECT, name=hold, topic=dead)
    settings_env(PUBSUB__DEAD_LETTER_HOLD=hold)
    broken = tmp_path / "broken"
    broken.touch()  # the cause: the consumer fails until this file is gone
    function = serve_function(
        "broken_until_fixed",
        "tests/fixtures/push_targets.py",
        FA_TEST_ATTEMPTS_FILE=str(tmp_path / "attempts"),
        FA_TEST_BROKEN_FLAG=str(broken),
    )
    provision.ensure_push_subscription(
        host, PROJECT, name=f"sub-{unique}", topic=topic, endpoint=function.url + "/", dead_letter_topic=dead,
        max_delivery_attempts=5, min_backoff_s=1, max_backoff_s=1,
    )  # fmt: skip
    _, data, attributes = publisher.envelope(MaintenanceRequested(task="prune_processed_messages"))
    publisher.publish_raw(topic, data, attributes).result(timeout=10)

    operator = uuid.uuid4()
    admin = bearer(operator, "ops@following.example")
    api.get("/v1/me", headers=admin)
    with session_scope() as db:
        db.execute(text("UPDATE users SET is_admin = true WHERE id = :u"), {"u": operator})

    def listed() -> dict[str, dict]:  # type: ignore[type-arg]
        return {m["message_id"]: m for m in api.get("/v1/admin/dead-letters", headers=admin).json["items"]}

    attempts = tmp_path / "attempts"
    assert wait_for(lambda: attempts.exists() and attempts.read_text().count("x") >= 5, 60), attempts.read_text()
    # A second dead letter, as the dead-letter topic receives them, to be discarded.
    other = publisher.publish_raw(dead, b'{"not": "an event"}', {"event_type": topic}).result(timeout=10)
    assert wait_for(lambda: len(listed()) == 2, 30), listed()
    # Dead-lettering republishes the message on the dead-letter topic, under a new id.
    [poison] = [m for m in listed().values() if m["source_subscription"]]
    assert poison["topic"] == topic and poison["attempts"] == 5 and "prune_processed_messages" in poison["payload"]
    assert set(listed()) == {poison["message_id"], other}  # looking does not take them
    assert all(m["published_at"].endswith("Z") for m in listed().values())  # a date-time carries its offset
    poison = poison["message_id"]
    assert runs() == 0

    Path(broken).unlink()  # the fix
    replay = {"action": "replay", "reason": "the consumer is fixed"}
    outcome = api.post(f"/v1/admin/dead-letters/{poison}", json=replay, headers=admin).json
    assert outcome["action"] == "replay" and outcome["topic"] == topic and outcome["replayed_as"]
    assert wait_for(lambda: runs() == 1, 30)
    time.sleep(2)
    assert runs() == 1  # once
    discard = {"action": "discard", "reason": "not an event: a test publisher's mistake"}
    assert api.post(f"/v1/admin/dead-letters/{other}", json=discard, headers=admin).status_code == 200
    assert not {poison, other} & set(listed())
    gone = api.post(f"/v1/admin/dead-letters/{other}", json=discard, headers=admin)
    assert gone.status_code == 404
    with session_scope() as db:
        audit = db.execute(text("SELECT action, target_id FROM admin_actions ORDER BY id")).all()
    assert [tuple(a) for a in audit] == [("dead_letter_replay", poison), ("dead_letter_discard", other)]


def test_pubsub_out_of_reach_is_a_503_to_retry(api, bearer, settings_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The client retried 60 s, then the console answered 500 (49 s measured)."""
    operator = uuid.uuid4()
    admin = bearer(operator, "ops@following.example")
    api.get("/v1/me", headers=admin)
    with session_scope() as db:
        db.execute(text("UPDATE users SET is_admin = true WHERE id = :u"), {"u": operator})
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        host = f"127.0.0.1:{closed.getsockname()[1]}"
        settings_env(PUBSUB__EMULATOR_HOST=host)
        monkeypatch.setenv("PUBSUB_EMULATOR_HOST", host)
        listed = api.get("/v1/admin/dead-letters", headers=admin)
        acted = api.post("/v1/admin/dead-letters/123", json={"action": "discard", "reason": "not ours"}, headers=admin)
    for answer in (listed, acted):
        assert answer.status_code == 503 and answer.headers["Retry-After"] == "10", answer.get_data(as_text=True)
        assert "Pub/Sub could not be reached" in answer.json["detail"]
