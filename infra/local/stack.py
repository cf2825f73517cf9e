"""The local stack launcher: `python -m infra.local.stack up|dev|down`.

Starts Postgres, the Pub/Sub emulator, the Cloud Tasks emulator, moto (R2), localstripe and one
functions-framework process per function target, all on 127.0.0.1 with free ports; provisions topics,
push subscriptions (retry + dead-letter), the bucket, the queue and the schema; writes the env to
`.local/stack.env`; keeps every log in `.local/logs/`.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shlex
import shutil
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.functions import FUNCTIONS as DEPLOYED
from infra.local import provision
from infra.local.components import REPO, Postgres, PubSubEmulator, localstripe, moto_s3, tasks_emulator, wait_healthy
from infra.local.processes import StackError
from infra.local.services import (
    Function,
    InferenceService,
    Scheduler,
    apify_standin,
    stripe_checkout_standin,
    supabase_auth_standin,
)
from shared.events.topics import DEAD_LETTER_TOPIC, SUBSCRIPTIONS, Topic

PROJECT = "following-local"
LOCAL_ISSUER = "http://127.0.0.1/local-auth/v1"
LOCATION = "europe-west4"
DEAD_LETTER_HOLD = "dead-letter-hold"
# function target -> source file: every function of infra/functions.py.
FUNCTIONS: dict[str, str] = {f.target: f.source for f in DEPLOYED}


def _server_threads(target: str) -> dict[str, str]:
    """The local API's gunicorn threads: one per CPU (at least 2), or FA_LOCAL_API_THREADS from the caller's shell.

    functions-framework starts 4 per CPU. Deployed, each instance takes one request at a time (concurrency 1), so
    the count does not matter there. Here one API process stands in for many instances, and threads beyond the CPUs
    only queue for Python's interpreter lock. p99 with bench-search's 32 clients on 2 CPUs, over the runs of
    2026-11-27 (docs/benchmarks.md): 8 threads 153-297 ms, 4 threads 91-138 ms, 2 threads 73-91 ms. A job's event
    stream holds a thread while it is open (until the job ends, at most 5 minutes): to follow several jobs at once,
    set FA_LOCAL_API_THREADS higher."""
    if target != "api":
        return {}
    return {"THREADS": os.environ.get("FA_LOCAL_API_THREADS") or str(max(2, os.cpu_count() or 1))}


def _scheduler_pace() -> dict[str, str]:
    """FA_LOCAL_SCHEDULER_EVERY_S from the caller's shell reaches the scheduler (a faster local clock)."""
    every = os.environ.get("FA_LOCAL_SCHEDULER_EVERY_S")
    return {"FA_LOCAL_SCHEDULER_EVERY_S": every} if every else {}


def step(index: int, total: int, name: str, detail: str, started: float) -> None:
    print(f"  [{index:>2}/{total}] {name:<16} {detail}  ({time.monotonic() - started:.1f}s)", flush=True)


@dataclass
class Stack:
    root: Path = REPO / ".local"
    components: list[Any] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)
    stripe: bool = True  # False: no local Stripe, billing reports "not configured"
    overrides: dict[str, str] = field(default_factory=dict)  # settings for every process (fault tests)
    jwt_secret: str = ""  # this run's HS256 secret (Supabase-shaped local tokens), made by `up`

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def up(self) -> dict[str, str]:
        """Start and provision everything; return the env a process needs to use the stack."""
        started = time.monotonic()
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)  # the postgres OS user must reach its data folder
        # Fresh every time: the emulators restart their message ids at 1, so dedupe records kept from
        # an earlier run would swallow new messages.
        postgres = Postgres(self.root)
        shutil.rmtree(self.logs, ignore_errors=True)
        shutil.rmtree(postgres.data_dir, ignore_errors=True)
        self.logs.mkdir(parents=True)
        print(f"Starting the local stack (logs in {self.logs})", flush=True)
        # Local sign-in: Supabase-shaped HS256 tokens with a secret made for this run (see infra.local.demo).
        self.jwt_secret = secrets.token_urlsafe(32)
        services: list[Any] = [
            PubSubEmulator(self.logs),
            tasks_emulator(self.logs),
            moto_s3(self.logs),
            apify_standin(self.logs),
            supabase_auth_standin(self.logs, self.jwt_secret, LOCAL_ISSUER),
        ]
        if self.stripe:
            ledger = localstripe(self.logs)
            services += [ledger, stripe_checkout_standin(self.logs, ledger.port)]
        inference = InferenceService(self.logs)
        total = 2 + len(services) + len(FUNCTIONS) + 2
        for service in services:  # start the slow JVM and Python servers first, in parallel
            self.components.append(service)
            service.start()
        self.components.append(postgres)
        postgres.start()
        if postgres.log_path.parent != self.logs:  # the cluster lives where the postgres user can reach it
            (self.logs / "postgres.log").symlink_to(postgres.log_path)
        wait_healthy(postgres)
        step(1, total, "postgres", f"ready on 127.0.0.1:{postgres.port}", started)
        for i, service in enumerate(services, start=2):
            wait_healthy(service, timeout_s=90)
            step(i, total, service.name, f"ready on 127.0.0.1:{service.port}", started)
        self.env = {**self._env(postgres, services), **inference.env(), **self.overrides}
        inference.env_vars = self.env
        inference.start()  # loads its models while the functions start
        self.components.append(inference)
        provision.migrate(postgres.url)
        if self.stripe:  # our plans in localstripe, their price ids for the functions
            provision.ensure_stripe_plans(
                self.env["FA_STRIPE__API_BASE"], self.env["FA_STRIPE__SECRET_KEY"], postgres.url
            )
            self.env["FA_STRIPE__PRICES"] = json.dumps(provision.local_stripe_prices(postgres.url))
        step(len(services) + 2, total, "schema", "migrated to head", started)
        for i, (target, source) in enumerate(FUNCTIONS.items(), start=len(services) + 3):
            function = Function(target, REPO / source, self.logs, {**self.env, **_server_threads(target)})
            function.start()
            self.components.append(function)
            self.functions[target] = function
            wait_healthy(function)
            step(i, total, function.name, f"ready on {function.url}", started)
        wait_healthy(inference, timeout_s=180)
        step(total - 1, total, "inference", f"ready on {inference.url} (lite models loaded)", started)
        self._provision()
        scheduler = Scheduler(self.logs, {**_scheduler_pace(), **self.env})
        scheduler.start()  # after provisioning: its first ticks need the topics
        self.components.append(scheduler)
        step(total, total, "provisioning", "topics, push subscriptions, bucket, queues; scheduler started", started)
        self._write_state()
        return self.env

    def _env(self, postgres: Postgres, services: list[Any]) -> dict[str, str]:
        env = {
            "FA_PROFILE": "local",
            "FA_AUTH__JWT_ISSUER": LOCAL_ISSUER,
            "FA_AUTH__HS256_SECRET": self.jwt_secret,
            "FA_PUBSUB__PROJECT_ID": PROJECT,
            "FA_TASKS__PROJECT_ID": PROJECT,
            "FA_TASKS__LOCATION": LOCATION,
            # The local functions-framework servers take many requests at once (Cloud Functions: one each).
            "FA_DATABASE__POOL_SIZE": "8",
            # A frontend dev server on its usual ports may call the local API (shared.http.cors).
            "FA_CORS_ORIGINS": json.dumps(
                [f"http://{h}:{p}" for h in ("localhost", "127.0.0.1") for p in (3000, 5173)]
            ),
            **postgres.env(),
        }
        for service in services:
            env.update(service.env())
        return env

    def _provision(self) -> None:
        host = self.env["FA_PUBSUB__EMULATOR_HOST"]
        for topic in [*Topic, DEAD_LETTER_TOPIC]:
            provision.ensure_topic(host, PROJECT, str(topic))
        provision.ensure_pull_subscription(host, PROJECT, name=DEAD_LETTER_HOLD, topic=DEAD_LETTER_TOPIC)
        for sub in SUBSCRIPTIONS:
            provision.ensure_push_subscription(
                host,
                PROJECT,
                name=sub.name,
                topic=sub.topic.value,
                endpoint=self.functions[sub.consumer].url + "/",
                dead_letter_topic=DEAD_LETTER_TOPIC,
            )
        provision.ensure_bucket(
            self.env["FA_STORAGE__ENDPOINT_URL"],
            "thumbnails",
            self.env["FA_STORAGE__ACCESS_KEY_ID"],
            self.env["FA_STORAGE__SECRET_ACCESS_KEY"],
        )
        for queue in ("inference", "inference-system"):
            provision.ensure_queue(self.env["FA_TASKS__EMULATOR_HOST"], PROJECT, LOCATION, queue)

    def _write_state(self) -> None:
        # Quoted: values hold JSON (FA_STRIPE__PRICES) that a bare `export` would break.
        lines = [f"export {key}={shlex.quote(value)}" for key, value in sorted(self.env.items())]
        (self.root / "stack.env").write_text("\n".join(lines) + "\n")
        state = {
            "env": self.env,
            "functions": {t: f.url for t, f in self.functions.items()},
            "pids": {c.name: c.process.pid for c in self.components if getattr(c, "process", None)},
        }
        (self.root / "stack.json").write_text(json.dumps(state, indent=2))

    def down(self) -> None:
        """Stop every component, newest first, each by its own PID (or pg_ctl)."""
        for component in reversed(self.components):
            try:
                component.stop()
            except Exception as exc:  # keep stopping the others
                print(f"  could not stop {component.name}: {exc}", file=sys.stderr)
        self.components.clear()
        (self.root / "stack.json").unlink(missing_ok=True)
        print("Local stack stopped.", flush=True)


def stop_from_state(root: Path = REPO / ".local") -> None:
    """`down` for a stack started by another process (e.g. a `make dev` that was killed)."""
    state_file = root / "stack.json"
    if state_file.exists():
        for name, pid in json.loads(state_file.read_text()).get("pids", {}).items():
            try:
                os.killpg(pid, signal.SIGTERM)
                print(f"  stopped {name} (pid {pid})")
            except ProcessLookupError:
                pass
        state_file.unlink()
    Postgres(root).stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["dev", "down"])
    args = parser.parse_args()
    if args.command == "down":
        stop_from_state()
        return 0
    stack = Stack()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        stack.up()
        print("\nThe stack is up. In another shell: `source .local/stack.env` to use it. Ctrl-C stops it.")
        for target, function in stack.functions.items():
            print(f"  {target:<12} {function.url}")
        while True:
            time.sleep(3600)
    except StackError as exc:
        print(f"\nThe local stack could not start:\n{exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print()
    finally:
        stack.down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
