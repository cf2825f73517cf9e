"""The local Cloud Scheduler: fires shared.schedules.SCHEDULES by publishing each entry's payload to its topic
on the Pub/Sub emulator, as Cloud Scheduler's Pub/Sub target does (new message, the payload as data).

    python -m infra.local.scheduler run            # what `make dev` / `make demo` start: cron lines, UTC
    python -m infra.local.scheduler tick NAME      # fire one entry now (`make tick TASK=NAME`)

FA_LOCAL_SCHEDULER_EVERY_S=N fires every entry every N seconds instead of on its cron line (a faster local clock).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from shared.events import publisher
from shared.schedules import SCHEDULES, Schedule, by_name

STATE = Path(__file__).resolve().parents[2] / ".local" / "stack.json"


def fire(schedule: Schedule) -> str:
    """Publish one tick; returns the emulator's message id."""
    data = json.dumps(schedule.payload).encode()
    message_id = publisher.publish_raw(schedule.topic.value, data, {"scheduler_job": schedule.name}).result(timeout=30)
    print(f"{datetime.now(UTC):%H:%M:%S} fired {schedule.name} -> {schedule.topic.value} ({message_id})", flush=True)
    return str(message_id)


def next_times(now: float, every_s: float | None) -> dict[str, float]:
    from croniter import croniter

    if every_s:
        return {s.name: now + every_s for s in SCHEDULES}
    start = datetime.fromtimestamp(now, UTC)
    return {s.name: croniter(s.cron, start).get_next(float) for s in SCHEDULES}


def run(every_s: float | None, stop_after_s: float | None = None) -> None:
    """Fire every entry when it is due, forever (or for `stop_after_s`)."""
    started = time.time()
    due = next_times(started, every_s)
    print(
        f"scheduler: {len(SCHEDULES)} entries, " + (f"every {every_s:g} s" if every_s else "on their cron lines (UTC)")
    )
    while stop_after_s is None or time.time() - started < stop_after_s:
        now = time.time()
        for schedule in SCHEDULES:
            if due[schedule.name] <= now:
                try:
                    fire(schedule)
                except Exception as exc:  # the emulator restarting: try again next time
                    print(f"could not fire {schedule.name}: {exc}", file=sys.stderr, flush=True)
                due[schedule.name] = next_times(now, every_s)[schedule.name]
        time.sleep(max(0.2, min(due.values()) - time.time()))


def _use_running_stack() -> None:
    """`tick` from a shell: take the emulator address and project from the running stack."""
    if "FA_PUBSUB__EMULATOR_HOST" in os.environ or not STATE.exists():
        return
    env = json.loads(STATE.read_text())["env"]
    for key in ("FA_PUBSUB__EMULATOR_HOST", "FA_PUBSUB__PROJECT_ID", "FA_PROFILE"):
        os.environ.setdefault(key, env[key])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["run", "tick"])
    parser.add_argument("name", nargs="?", help="with tick: a schedule name or maintenance task")
    args = parser.parse_args()
    if args.command == "tick":
        if not args.name:
            parser.error("tick needs a name: " + ", ".join(s.name for s in SCHEDULES))
        _use_running_stack()
        try:
            fire(by_name(args.name))
        except KeyError as exc:
            print(exc.args[0], file=sys.stderr)
            return 2
        return 0
    every = os.environ.get("FA_LOCAL_SCHEDULER_EVERY_S")
    run(float(every) if every else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
