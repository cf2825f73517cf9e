"""Faults on the whole local stack (every process real, the scheduler firing every few seconds):

- a worker SIGKILLed in the middle of a message: Pub/Sub redelivers it and the job completes;
- the inference service down: the reaper ends the job `partial` with a reason, and the report still shows
  the profile, the posts and their re-hosted images;
- a poison discovery message: dead-lettered after the subscription's five attempts, never looping.
"""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from infra.local import provision
from infra.local.demo import call, local_token
from infra.local.stack import DEAD_LETTER_HOLD, PROJECT, Stack
from tests.fixtures.stacks import running_stack

pytestmark = pytest.mark.emulator
STALE_MINUTES = 0.5


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    overrides = {
        "FA_LOCAL_SCHEDULER_EVERY_S": "3",  # every maintenance task, reaper included, every 3 s
        "FA_MAINTENANCE__STALE_JOB_MINUTES": str(STALE_MINUTES),
        "FA_DISCOVERY__ENABLED": "false",  # the ticks fire, but queue nothing that competes with the brand
    }
    with running_stack("fa-faults-", stripe=False, overrides=overrides) as running:
        yield running


def wait(check: Callable[[], Any], timeout_s: float, what: str) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}")


def job_when_done(api: str, token: str, job_id: str, timeout_s: float) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        _, job = call("GET", f"{api}/v1/jobs/{job_id}", token)
        return job if job["status"] in ("complete", "partial", "failed") else None

    return dict(wait(done, timeout_s, f"job {job_id} to end"))


def apify_requests(stack: Stack) -> list[list[str]]:
    with urllib.request.urlopen(stack.env["FA_APIFY__API_URL"] + "/_standin/requests", timeout=5) as response:
        return list(json.loads(response.read())["requests"])


def runs_started(stack: Stack) -> int:
    return sum(1 for method, path in apify_requests(stack) if method == "POST" and path.endswith("/runs"))


def test_faults_on_the_local_stack(stack: Stack) -> None:
    api, pubsub = stack.functions["api"].url, stack.env["FA_PUBSUB__EMULATOR_HOST"]
    token = local_token(stack.env["FA_AUTH__HS256_SECRET"])
    assert call("GET", f"{api}/v1/me", token)[0] == 200

    # A poison tick: the discovery worker refuses it (400) on every delivery until Pub/Sub dead-letters it.
    os.environ["PUBSUB_EMULATOR_HOST"] = pubsub
    from google.cloud import pubsub_v1

    publisher = pubsub_v1.PublisherClient()
    publisher.publish(publisher.topic_path(PROJECT, "discovery.requested"), b'{"mode": "bogus"}').result(timeout=10)

    # 1. SIGKILL mid-message: the scrape worker is inside a slow Apify run when it dies.
    scrape = stack.functions["scrape"]
    runs_before = runs_started(stack)
    request = urllib.request.Request(
        stack.env["FA_APIFY__API_URL"] + "/_standin/faults",
        data=json.dumps({"statuses": ["hang:6"]}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=5).close()
    status, body = call("POST", f"{api}/v1/creators/nano_bakes/search", token)
    assert status == 202
    wait(lambda: runs_started(stack) > runs_before, 30, "the scrape worker to start an Apify run")
    assert scrape.process is not None and scrape.process.process is not None
    os.killpg(scrape.process.process.pid, signal.SIGKILL)
    scrape.process.process.wait(timeout=10)
    scrape.start()  # the same port: Pub/Sub's next push attempt reaches the new process
    job = job_when_done(api, token, body["job"]["id"], timeout_s=120)
    assert job["status"] == "complete", job
    # The killed attempt's profile run, then the redelivery's profile and reels runs: no third profile run.
    assert runs_started(stack) - runs_before == 3, "the killed attempt and the redelivery"

    # 2. The inference service is down: the scheduler's reaper ends the job partial, naming what it waited for.
    inference = next(c for c in stack.components if c.name == "inference")
    inference.stop()
    status, body = call("POST", f"{api}/v1/creators/surf.lisboa/search", token)
    assert status == 202
    job = job_when_done(api, token, body["job"]["id"], timeout_s=STALE_MINUTES * 60 + 60)
    assert job["status"] == "partial" and job["reason"] == "timed out waiting for: analysis, insights", job
    assert job["stages"]["scrape"]["status"] == "done" and job["stages"]["cdn"]["status"] == "done"
    status, view = call("GET", f"{api}/v1/creators/surf.lisboa", token)
    report = view["report"]
    assert status == 200 and report["profile"]["username"] == "surf.lisboa" and report["posts"]
    assert all(image["cdn_urls"] for post in report["posts"] for image in post["images"])
    assert report["analysis"]["status"] == "pending"

    # 3. The poison tick is in dead-letter-hold by now (5 attempts, 1-10 s backoff), once.
    hold = f"projects/{PROJECT}/subscriptions/{DEAD_LETTER_HOLD}"
    dead = wait(lambda: provision.pull(pubsub, hold), 60, "the poison message to be dead-lettered")
    assert [data for _, data, _ in dead] == [b'{"mode": "bogus"}']
    discovery_log = (stack.logs / "fn-discovery.log").read_text()
    assert discovery_log.count("message refused") == 5
