"""`make demo`: bring the local stack up, push one event through emulator -> function -> Postgres, show it.

The creator-search issue turns this into a full creator search on the bundled sample data.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.request

from sqlalchemy import select

from infra.local.processes import StackError
from infra.local.stack import Stack


def _get_json(url: str) -> tuple[int, dict]:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
        return response.status, json.loads(response.read())


def run_demo(stack: Stack) -> None:
    started = time.monotonic()
    env = stack.up()
    os.environ.update(env)
    # Imported after the env is set: settings are read once per process.
    from shared.config import get_settings
    from shared.db import session_scope
    from shared.events.models import ProcessedMessage
    from shared.events.publisher import publish
    from shared.events.schemas import MaintenanceRequested
    from shared.maintenance.models import MaintenanceRun

    get_settings.cache_clear()
    api = stack.functions["api"].url
    status, body = _get_json(f"{api}/healthz")
    print(f"\nGET {api}/healthz -> {status} {json.dumps(body)}")

    print("\nPublishing maintenance.requested {task: prune_processed_messages} to the Pub/Sub emulator…")
    message_id = publish(MaintenanceRequested(task="prune_processed_messages"))
    print(f"  published message {message_id}; the emulator pushes it to the maintenance function")
    key = f"msg:{message_id}"
    deadline = time.monotonic() + 30
    run = None
    while time.monotonic() < deadline and run is None:
        with session_scope() as session:
            run = session.scalars(select(MaintenanceRun).where(MaintenanceRun.message_key == key)).first()
            marker = session.get(ProcessedMessage, ("maintenance", key))
        time.sleep(0.2)
    if run is None:
        raise StackError(f"no maintenance run recorded for {key} within 30s; see {stack.logs}/fn-maintenance.log")
    print("  Postgres now holds:")
    print(f"    maintenance_runs    id={run.id} task={run.task} result={json.dumps(run.result)}")
    print(f"    processed_messages  consumer={marker.consumer if marker else '?'} key={key}")
    print(f"\nThe function's own log line ({stack.logs}/fn-maintenance.log):")
    for line in (stack.logs / "fn-maintenance.log").read_text().splitlines():
        if line.startswith("{") and key in line:
            print("   ", line)
    print(f"\nDemo complete: emulator -> push -> function -> Postgres in {time.monotonic() - started:.1f}s.")


def main() -> int:
    stack = Stack()
    try:
        run_demo(stack)
    except StackError as exc:
        print(f"\nDemo failed:\n{exc}", file=sys.stderr)
        return 1
    finally:
        stack.down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
