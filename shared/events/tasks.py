"""Cloud Tasks enqueuer: named tasks for dedupe, OIDC tokens in prod, the emulator locally."""

from __future__ import annotations

import hashlib
import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from shared.config import get_settings, per_instance

if TYPE_CHECKING:
    from google.cloud import tasks_v2
    from google.cloud.tasks_v2 import CloudTasksClient


@per_instance()
def tasks_client() -> CloudTasksClient:
    from google.cloud import tasks_v2

    host = get_settings().tasks.emulator_host
    if host:
        import grpc
        from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcTransport

        return tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=grpc.insecure_channel(host)))
    return tasks_v2.CloudTasksClient()


def queue_path(queue: str) -> str:
    tasks = get_settings().tasks
    return f"projects/{tasks.project_id}/locations/{tasks.location}/queues/{queue}"


def task_id(dedupe_key: str) -> str:
    """A valid task id for a business key: readable prefix plus a hash (ids allow [A-Za-z0-9_-], ≤ 500)."""
    readable = re.sub(r"[^A-Za-z0-9_-]", "-", dedupe_key)[:80]
    return f"{readable}-{hashlib.sha256(dedupe_key.encode()).hexdigest()[:16]}"


def oidc_audience(url: str) -> str:
    """Cloud Run checks a token's audience against the service URL: scheme and host, no path."""
    return "{0.scheme}://{0.netloc}".format(urlsplit(url))


def build_task(*, queue: str, url: str, payload: dict[str, Any], dedupe_key: str) -> tasks_v2.Task:
    """A named HTTP task; with an invoker account configured (prod) it carries an OIDC token."""
    from google.cloud import tasks_v2

    settings = get_settings().tasks
    oidc = None
    if settings.invoker_service_account:
        oidc = tasks_v2.OidcToken(
            service_account_email=settings.invoker_service_account,
            audience=oidc_audience(url),
        )
    return tasks_v2.Task(
        name=f"{queue_path(queue)}/tasks/{task_id(dedupe_key)}",
        http_request=tasks_v2.HttpRequest(
            http_method=tasks_v2.HttpMethod.POST,
            url=url,
            headers={"Content-Type": "application/json"},
            body=json.dumps(payload).encode("utf-8"),
            oidc_token=oidc,
        ),
    )


def enqueue_http(*, queue: str, url: str, payload: dict[str, Any], dedupe_key: str, timeout_s: float = 20.0) -> bool:
    """Enqueue a POST of `payload` to `url`; False when a task with this key already exists. `timeout_s` bounds
    the call (the client's own default for CreateTask is 20 s)."""
    from google.api_core.exceptions import AlreadyExists

    task = build_task(queue=queue, url=url, payload=payload, dedupe_key=dedupe_key)
    try:
        tasks_client().create_task(parent=queue_path(queue), task=task, timeout=timeout_s)
    except AlreadyExists:
        return False
    return True
