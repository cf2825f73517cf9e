"""The schedule table: every maintenance task and both system scrapes have a valid entry; the manifest is current."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import get_args

import pytest
from croniter import croniter

from infra.manifest import PATH, manifest, render
from shared.events.schemas import DiscoveryRequested, MaintenanceRequested, MaintenanceTask
from shared.events.topics import Topic
from shared.maintenance.flows import TASKS
from shared.schedules import SCHEDULES, by_name

ROOT = Path(__file__).resolve().parents[2]


def test_every_maintenance_task_has_a_schedule() -> None:
    scheduled = {s.payload["task"] for s in SCHEDULES if s.topic == Topic.MAINTENANCE_REQUESTED}
    assert scheduled == set(TASKS) == set(get_args(MaintenanceTask))


def test_discovery_and_refresh_are_scheduled() -> None:
    modes = {s.payload["mode"] for s in SCHEDULES if s.topic == Topic.DISCOVERY_REQUESTED}
    assert modes == {"discover", "refresh"}


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: s.name)
def test_each_entry_is_a_valid_cron_line_and_payload(schedule) -> None:  # type: ignore[no-untyped-def]
    assert croniter.is_valid(schedule.cron) and len(schedule.cron.split()) == 5
    assert croniter(schedule.cron, datetime(2026, 1, 1, tzinfo=UTC)).get_next(datetime).year == 2026
    event = MaintenanceRequested if schedule.topic == Topic.MAINTENANCE_REQUESTED else DiscoveryRequested
    event.model_validate(schedule.payload)  # what the worker will parse
    assert by_name(schedule.name) is schedule


def test_names_are_unique_cloud_scheduler_ids() -> None:
    names = [s.name for s in SCHEDULES]
    assert len(names) == len(set(names)) and all(n.replace("-", "").isalnum() and n.islower() for n in names)


def test_committed_manifest_is_current() -> None:
    committed = (ROOT / PATH).read_text()
    assert committed == render(), "run `make tf-manifest` and commit infra/manifest.json"
    assert set(json.loads(committed)["schedules"]) == {s.name for s in SCHEDULES}


def test_the_manifest_names_every_subscription_with_its_consumer() -> None:
    subscriptions = {s["consumer"]: s["topic"] for s in manifest()["subscriptions"].values()}
    assert (
        subscriptions["discovery"] == "discovery.requested" and subscriptions["maintenance"] == "maintenance.requested"
    )
