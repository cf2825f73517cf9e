"""The deployment manifest, generated from the Python definitions (`make tf-manifest` writes infra/manifest.json).

Terraform reads it, so functions, topics, push subscriptions, secrets, queues and schedules are never copied by
hand; a test fails when the committed file is stale, and another when Terraform's side differs.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from infra.functions import FUNCTIONS, INFERENCE_PUBLISHES, INFERENCE_SECRETS, QUEUES
from shared.events.topics import DEAD_LETTER_TOPIC, SUBSCRIPTIONS, Topic
from shared.schedules import SCHEDULES
from shared.secrets import SECRET_IDS

PATH = "infra/manifest.json"


def _secret_ids(keys: tuple[str, ...]) -> list[str]:
    return [SECRET_IDS[tuple(k.split(".", 1))] for k in keys]  # type: ignore[index]


def manifest() -> dict[str, Any]:
    return {
        "functions": {
            f.target: {
                "source": f.source,
                "public": f.public,
                "secrets": _secret_ids(f.secrets),
                "secret_keys": ",".join(f.secrets),
                "publishes": sorted(t.value for t in f.publishes),
                "enqueues_tasks": f.enqueues_tasks,
                "reads_dead_letters": f.reads_dead_letters,
                "memory": f.memory,
                "cpu": f.cpu,
                "timeout_s": f.timeout_s,
                "max_instances": f.max_instances,
                "concurrency": f.concurrency,
            }
            for f in FUNCTIONS
        },
        "inference": {
            "secrets": _secret_ids(INFERENCE_SECRETS),
            "secret_keys": ",".join(INFERENCE_SECRETS),
            "publishes": sorted(t.value for t in INFERENCE_PUBLISHES),
        },
        "queues": {
            q.name: {
                "max_dispatches_per_second": q.max_dispatches_per_second,
                "max_concurrent_dispatches": q.max_concurrent_dispatches,
                "max_attempts": q.max_attempts,
            }
            for q in QUEUES
        },
        "topics": sorted(t.value for t in Topic),
        "dead_letter_topic": DEAD_LETTER_TOPIC,
        "subscriptions": {s.name: {"topic": s.topic.value, "consumer": s.consumer} for s in SUBSCRIPTIONS},
        "secrets": {secret_id: f"{group}.{name}" for (group, name), secret_id in SECRET_IDS.items()},
        "schedules": {
            s.name: {
                "cron": s.cron,
                "time_zone": "Etc/UTC",
                "topic": s.topic.value,
                "payload": json.dumps(s.payload, sort_keys=True),
                "description": s.description,
            }
            for s in SCHEDULES
        },
    }


def render() -> str:
    return json.dumps(manifest(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
