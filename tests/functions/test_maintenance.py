"""The maintenance worker through functions-framework's test client: envelopes, dedupe, retry semantics."""

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from functions_framework import create_app
from sqlalchemy import func, select

from shared.db import session_scope
from shared.events.models import ProcessedMessage
from shared.maintenance.models import MaintenanceRun
from tests.fixtures.envelopes import BAD, binary_cloudevent_headers, pubsub_body, structured_cloudevent
from tests.fixtures.instances import instances

PAYLOAD = {"task": "prune_processed_messages"}
pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture
def client():  # type: ignore[no-untyped-def]
    return create_app("maintenance", "functions/maintenance/main.py").test_client()


def counts() -> tuple[int, int]:
    with session_scope() as session:
        runs = session.scalar(select(func.count()).select_from(MaintenanceRun))
        markers = session.scalar(select(func.count()).select_from(ProcessedMessage))
    return int(runs or 0), int(markers or 0)


def test_each_envelope_is_processed(client) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/", json=pubsub_body(PAYLOAD, "a")).status_code == 204
    assert client.post("/", json=pubsub_body(PAYLOAD, "b", snake=True)).status_code == 204
    structured = json.dumps(structured_cloudevent(PAYLOAD, "c"))
    assert client.post("/", data=structured, content_type="application/cloudevents+json").status_code == 204
    binary = json.dumps(pubsub_body(PAYLOAD, "d"))
    assert client.post("/", data=binary, headers=binary_cloudevent_headers("d")).status_code == 204
    assert counts() == (4, 4)


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_envelopes_get_400_problem_and_no_effect(client, case: str) -> None:  # type: ignore[no-untyped-def]
    headers, body = BAD[case]
    response = client.post("/", data=body, headers=headers)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.json["code"] == "invalid_envelope"
    assert response.json["detail"]
    assert counts() == (0, 0)


def test_same_message_delivered_three_times_has_one_effect(client) -> None:  # type: ignore[no-untyped-def]
    body = pubsub_body(PAYLOAD, "same-id")
    statuses = [client.post("/", json=body).status_code for _ in range(3)]
    assert statuses == [204, 204, 204]
    assert counts() == (1, 1)


def test_concurrent_duplicates_have_one_effect() -> None:
    body = pubsub_body(PAYLOAD, "raced")

    def deliver(client: Any) -> int:
        return int(client.post("/", json=body).status_code)

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(deliver, instances("maintenance", 16)))
    assert statuses == [204] * 16
    assert counts() == (1, 1)


def test_a_failing_handler_leaves_no_marker_so_redelivery_runs_it(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FA_TEST_ATTEMPTS_FILE", str(tmp_path / "attempts"))
    failing = create_app("always_fails", "tests/fixtures/push_targets.py").test_client()
    body = pubsub_body(PAYLOAD, "retry-me")
    response = failing.post("/", json=body)
    assert response.status_code == 500
    assert response.json["code"] == "internal_error"
    assert "always fails" not in response.get_data(as_text=True)  # no internals leak
    assert counts() == (0, 0)
    ok = create_app("maintenance", "functions/maintenance/main.py").test_client()
    assert ok.post("/", json=body).status_code == 204
    assert counts() == (1, 1)


def test_reconcile_and_period_tasks_run_through_the_worker(client) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    from shared.auth import service as auth_service
    from shared.auth.schemas import Claims

    with session_scope() as session:
        auth_service.provision(db_session=session, claims=Claims(sub=uuid.uuid4(), role="authenticated"))
        session.execute(text("UPDATE credit_wallets SET current_period_end = now() - interval '1 day', balance = 7"))
    assert client.post("/", json=pubsub_body({"task": "reconcile_wallets"}, "r1")).status_code == 204
    assert client.post("/", json=pubsub_body({"task": "start_due_periods"}, "p1")).status_code == 204
    with session_scope() as session:
        results = {r.task: r.result for r in session.scalars(select(MaintenanceRun))}
    assert results["reconcile_wallets"]["mismatches"][0]["balance"] == 7
    assert results["start_due_periods"] == {"periods_started": 1}


def test_stale_pending_signups_expire_and_live_ones_stay(client) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta

    from shared.billing.models import PendingSignup

    with session_scope() as session:
        session.add_all(
            [
                PendingSignup(
                    email="late@x.example", plan="standard_monthly", expires_at=datetime.now(UTC) - timedelta(hours=1)
                ),
                PendingSignup(
                    email="soon@x.example", plan="standard_monthly", expires_at=datetime.now(UTC) + timedelta(hours=1)
                ),
            ]
        )
    assert client.post("/", json=pubsub_body({"task": "expire_pending_signups"}, "e1")).status_code == 204
    with session_scope() as session:
        states = {p.email: p.status for p in session.scalars(select(PendingSignup))}
    assert states == {"late@x.example": "expired", "soon@x.example": "pending"}
