"""The launcher brings every component up on loopback, provisions it, and leaves no process behind."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import urllib.request
from pathlib import Path

import boto3
import pytest

from infra.local import provision
from infra.local.components import Postgres
from infra.local.stack import DEAD_LETTER_HOLD, FUNCTIONS, PROJECT, Stack
from shared.events.topics import SUBSCRIPTIONS

pytestmark = pytest.mark.emulator


def test_stack_up_provisions_everything_and_down_stops_everything() -> None:
    root = Path(tempfile.mkdtemp(prefix="fa-stack-"))
    stack = Stack(root=root)
    try:
        env = stack.up()
        assert set(stack.functions) == set(FUNCTIONS)
        with urllib.request.urlopen(stack.functions["api"].url + "/healthz", timeout=5) as response:
            assert json.loads(response.read()) == {"status": "ok", "database": "ok"}
        os.environ["PUBSUB_EMULATOR_HOST"] = env["FA_PUBSUB__EMULATOR_HOST"]
        from google.cloud import pubsub_v1

        subscriber = pubsub_v1.SubscriberClient()
        for sub in SUBSCRIPTIONS:
            found = subscriber.get_subscription(subscription=subscriber.subscription_path(PROJECT, sub.name))
            assert found.push_config.push_endpoint == stack.functions[sub.consumer].url + "/"
            assert found.dead_letter_policy.max_delivery_attempts == 5
            assert found.retry_policy.minimum_backoff.seconds == 1
        assert (
            provision.pull(env["FA_PUBSUB__EMULATOR_HOST"], subscriber.subscription_path(PROJECT, DEAD_LETTER_HOLD))
            == []
        )
        s3 = boto3.client(
            "s3",
            endpoint_url=env["FA_STORAGE__ENDPOINT_URL"],
            region_name="auto",
            aws_access_key_id=env["FA_STORAGE__ACCESS_KEY_ID"],
            aws_secret_access_key=env["FA_STORAGE__SECRET_ACCESS_KEY"],
        )
        assert "thumbnails" in {b["Name"] for b in s3.list_buckets()["Buckets"]}
        assert (root / "stack.env").read_text().count("export FA_") >= 8
        pids = [c.process.pid for c in stack.components if getattr(c, "process", None)]
        # pubsub, tasks, s3, apify, supabase-auth, localstripe, checkout, inference, scheduler, functions
        assert len(pids) == 9 + len(FUNCTIONS)
    finally:
        stack.down()
    time.sleep(0.5)
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert not (Postgres(root).data_dir / "postmaster.pid").exists()
    shutil.rmtree(root, ignore_errors=True)


def test_stack_env_is_valid_shell_and_round_trips(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`source .local/stack.env` must work in bash, JSON values and all (FA_STRIPE__PRICES broke it once)."""
    import json
    import shlex
    import subprocess

    from infra.local.stack import Stack

    env = {"FA_STRIPE__PRICES": json.dumps({"standard_monthly": "price_1"}), "FA_X": "a b'c\"d $HOME `x`"}
    stack = Stack(root=tmp_path, env=env)
    stack._write_state()
    show = f"import json, os; print(json.dumps({{k: os.environ[k] for k in {sorted(env)!r}}}))"
    script = f"source {tmp_path / 'stack.env'} && python3 -c {shlex.quote(show)}"
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == env
