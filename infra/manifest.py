"""The deployment manifest, generated from the Python definitions (`make tf-manifest` writes infra/manifest.json).

Terraform reads it, so topics, push subscriptions, secrets and schedules are never copied by hand; a test
fails when the committed file is stale.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from shared.events.topics import DEAD_LETTER_TOPIC, SUBSCRIPTIONS, Topic
from shared.schedules import SCHEDULES
from shared.secrets import SECRET_IDS

PATH = "infra/manifest.json"


def manifest() -> dict[str, Any]:
    return {
        "topics": sorted(t.value for t in Topic),
        "dead_letter_topic": DEAD_LETTER_TOPIC,
        "subscriptions": [{"name": s.name, "topic": s.topic.value, "consumer": s.consumer} for s in SUBSCRIPTIONS],
        "secrets": [{"id": secret_id, "setting": f"{group}.{name}"} for (group, name), secret_id in SECRET_IDS.items()],
        "schedules": [
            {
                "name": s.name,
                "cron": s.cron,
                "time_zone": "Etc/UTC",
                "topic": s.topic.value,
                "payload": json.dumps(s.payload, sort_keys=True),
                "description": s.description,
            }
            for s in SCHEDULES
        ],
    }


def render() -> str:
    return json.dumps(manifest(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
