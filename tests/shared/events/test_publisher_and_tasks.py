"""Publisher and Cloud Tasks enqueuer against the real emulators."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from infra.local import provision
from infra.local.components import PubSubEmulator, ToolProcess
from shared.events import tasks
from shared.events.publisher import publish
from shared.events.schemas import EVENT_TYPES, CreatorScrapeRequested
from shared.events.topics import SUBSCRIPTIONS, Topic
from tests.conftest import PROJECT

pytestmark = pytest.mark.emulator


def test_publish_sends_json_and_typed_attributes(pubsub: PubSubEmulator, unique: str) -> None:
    host = pubsub.env()["FA_PUBSUB__EMULATOR_HOST"]
    topic = Topic.CREATOR_SCRAPE_REQUESTED.value
    provision.ensure_topic(host, PROJECT, topic)
    sub = provision.ensure_pull_subscription(host, PROJECT, name=f"pull-{unique}", topic=topic)
    event = CreatorScrapeRequested(job_id=uuid.uuid4(), username="natgeo")
    message_id = publish(event)
    received = []
    deadline = time.monotonic() + 10
    while not received and time.monotonic() < deadline:
        received = provision.pull(host, sub)
    assert [m[0] for m in received] == [message_id]
    _, data, attributes = received[0]
    assert CreatorScrapeRequested.model_validate_json(data) == event
    assert attributes == {"event_type": topic, "schema_version": "1", "business_key": f"job:{event.job_id}"}


def test_every_topic_has_one_schema_and_subscriptions_name_known_topics() -> None:
    assert set(EVENT_TYPES) == set(Topic)
    assert all(sub.topic in EVENT_TYPES for sub in SUBSCRIPTIONS)
    assert len({sub.name for sub in SUBSCRIPTIONS}) == len(SUBSCRIPTIONS)


class _Sink(BaseHTTPRequestHandler):
    received: list[tuple[str, dict, dict]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Sink.received.append((self.path, body, dict(self.headers)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def sink() -> Iterator[str]:
    _Sink.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_enqueued_task_is_delivered_as_a_post(cloud_tasks: ToolProcess, sink: str, unique: str) -> None:
    provision.ensure_queue(cloud_tasks.env()["FA_TASKS__EMULATOR_HOST"], PROJECT, "europe-west4", f"q-{unique}")
    job_id = str(uuid.uuid4())
    created = tasks.enqueue_http(
        queue=f"q-{unique}", url=f"{sink}/v1/analyze", payload={"job_id": job_id}, dedupe_key=f"analyze:{job_id}"
    )
    assert created is True
    deadline = time.monotonic() + 15
    while not _Sink.received and time.monotonic() < deadline:
        time.sleep(0.1)
    path, body, headers = _Sink.received[0]
    assert (path, body) == ("/v1/analyze", {"job_id": job_id})
    assert headers["Content-Type"] == "application/json"


def test_task_ids_are_valid_and_stable() -> None:
    key = "analyze:job/with spaces & ünicode"
    first, second = tasks.task_id(key), tasks.task_id(key)
    assert first == second
    assert all(c.isalnum() or c in "-_" for c in first)
    assert tasks.task_id("analyze:a") != tasks.task_id("analyze:b")
    assert len(tasks.task_id("x" * 2000)) <= 500


def test_prod_tasks_carry_an_oidc_token_for_the_service_url(monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.config import reset_caches

    monkeypatch.setenv("FA_TASKS__INVOKER_SERVICE_ACCOUNT", "tasks-invoker@following-prod.iam.gserviceaccount.com")
    reset_caches()
    try:
        task = tasks.build_task(
            queue="inference", url="https://inference-abc.a.run.app/v1/analyze", payload={}, dedupe_key="k"
        )
    finally:
        monkeypatch.delenv("FA_TASKS__INVOKER_SERVICE_ACCOUNT")
        reset_caches()
    token = task.http_request.oidc_token
    assert token.service_account_email == "tasks-invoker@following-prod.iam.gserviceaccount.com"
    assert token.audience == "https://inference-abc.a.run.app"
    assert task.name.endswith("/queues/inference/tasks/" + tasks.task_id("k"))


def test_local_tasks_carry_no_token() -> None:
    task = tasks.build_task(queue="inference", url="http://127.0.0.1:8090/v1/analyze", payload={}, dedupe_key="k")
    assert not task.http_request.oidc_token.service_account_email
