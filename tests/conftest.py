"""Session fixtures: real Postgres and the real emulators, started once per run; each test starts clean."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from infra.local import provision
from infra.local.components import Postgres, PubSubEmulator, ToolProcess, moto_s3, tasks_emulator, wait_healthy
from infra.local.services import Function
from shared.config import get_settings
from shared.db import dispose_engine, get_engine
from shared.events.topics import DEAD_LETTER_TOPIC, Topic
from tests.fixtures.tokens import HS256_SECRET, SUPABASE_SERVICE_KEY, JwksServer, SigningKey

PROJECT = "following-test"
os.environ["FA_PROFILE"] = "test"
os.environ["FA_PUBSUB__PROJECT_ID"] = PROJECT
os.environ["FA_TASKS__PROJECT_ID"] = PROJECT


def _reset_settings() -> None:
    get_settings.cache_clear()
    dispose_engine()


@pytest.fixture(scope="session")
def stack_root() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="fa-test-"))
    root.chmod(0o755)  # the postgres OS user must reach its data folder
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres(stack_root: Path) -> Iterator[Postgres]:
    pg = Postgres(stack_root)
    pg.start()
    wait_healthy(pg)
    provision.migrate(pg.url)
    os.environ.update(pg.env())
    _reset_settings()
    yield pg
    dispose_engine()
    pg.stop()


@pytest.fixture
def db(postgres: Postgres) -> Iterator[None]:
    """Every table empty before the test, but the seeded reference data (plans, pricing).

    Truncation, not rollback, so that rows written by function processes are cleared too."""
    with get_engine().begin() as connection:
        tables = connection.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                " AND tablename NOT IN ('alembic_version', 'credit_packages', 'credit_pricing_rules')"
            )
        ).scalars()
        connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    yield


@pytest.fixture(scope="session")
def pubsub(stack_root: Path) -> Iterator[PubSubEmulator]:
    emulator = PubSubEmulator(stack_root / "logs")
    emulator.start()
    wait_healthy(emulator, timeout_s=90)
    os.environ.update(emulator.env())
    os.environ["PUBSUB_EMULATOR_HOST"] = emulator.env()["FA_PUBSUB__EMULATOR_HOST"]
    _reset_settings()
    yield emulator
    emulator.stop()


@pytest.fixture(scope="session")
def cloud_tasks(stack_root: Path) -> Iterator[ToolProcess]:
    emulator = tasks_emulator(stack_root / "logs")
    emulator.start()
    wait_healthy(emulator, timeout_s=90)
    os.environ.update(emulator.env())
    _reset_settings()
    yield emulator
    emulator.stop()


@pytest.fixture
def unique() -> str:
    """A short unique suffix for topic and subscription names."""
    return uuid.uuid4().hex[:10]


@pytest.fixture
def serve_function(postgres: Postgres, pubsub: PubSubEmulator, stack_root: Path) -> Iterator[Callable[..., Function]]:
    """Start functions-framework processes (real HTTP servers) for this test; stopped afterwards."""
    started: list[Function] = []

    def start(target: str, source: str, **extra_env: str) -> Function:
        env = {k: v for k, v in os.environ.items() if k.startswith("FA_")} | extra_env
        function = Function(target, Path(source).resolve(), stack_root / "logs", env)
        function.start()
        started.append(function)
        wait_healthy(function)
        return function

    yield start
    for function in started:
        function.stop()


@pytest.fixture(scope="session")
def jwks() -> Iterator[JwksServer]:
    """A JWKS endpoint with one ES256 key, and the auth settings that trust it (plus an HS256 secret)."""
    server = JwksServer()
    server.publish(SigningKey("key-1"))
    os.environ["FA_AUTH__JWKS_URL"] = server.url
    os.environ["FA_AUTH__JWT_ISSUER"] = server.issuer
    os.environ["FA_AUTH__HS256_SECRET"] = HS256_SECRET
    os.environ["FA_AUTH__SUPABASE_URL"] = server.base
    os.environ["FA_AUTH__SUPABASE_SERVICE_KEY"] = SUPABASE_SERVICE_KEY
    _reset_settings()
    from functions.api import deps

    deps.verifier.cache_clear()
    yield server
    server.close()


@pytest.fixture(scope="session")
def apify_standin() -> Iterator[Any]:
    """The Apify stand-in, in this process (tests queue faults on it directly)."""
    from infra.local.apify.server import TOKEN, StandIn

    standin = StandIn().start()
    host_port = standin.base.removeprefix("http://")
    os.environ.update(
        {
            "FA_APIFY__API_URL": standin.base,
            "FA_APIFY__TOKEN": TOKEN,
            "FA_APIFY__RETRY_DELAY_S": "0.05",
            "FA_CDN__LOCAL_HOSTS": json.dumps([host_port]),
        }
    )
    _reset_settings()
    yield standin
    standin.stop()


@pytest.fixture(scope="session")
def s3(stack_root: Path) -> Iterator[ToolProcess]:
    server = moto_s3(stack_root / "logs")
    server.start()
    wait_healthy(server, timeout_s=90)
    env = server.env()
    os.environ.update(env)
    provision.ensure_bucket(
        env["FA_STORAGE__ENDPOINT_URL"],
        "thumbnails",
        env["FA_STORAGE__ACCESS_KEY_ID"],
        env["FA_STORAGE__SECRET_ACCESS_KEY"],
    )
    _reset_settings()
    yield server
    server.stop()


WEBHOOK_SECRET = "whsec_test_only_0a1b2c3d4e5f"
STRIPE_KEY = "sk_test_only_localstripe_51Hk"


@pytest.fixture(scope="session")
def stripe_standin(postgres: Postgres, stack_root: Path, pubsub: PubSubEmulator, jwks: JwksServer) -> Iterator[Any]:
    """localstripe behind the Checkout/Portal stand-in (Stripe's seam), our plans created in it."""
    from infra.local.components import localstripe
    from infra.local.stripe_standin import StripeStandin

    server = localstripe(stack_root / "logs")
    server.start()
    wait_healthy(server, timeout_s=60)
    standin = StripeStandin(0, f"http://127.0.0.1:{server.port}").start()
    provision.ensure_stripe_plans(standin.base, STRIPE_KEY, postgres.url)
    host = pubsub.env()["FA_PUBSUB__EMULATOR_HOST"]
    for topic in [*Topic, DEAD_LETTER_TOPIC]:
        provision.ensure_topic(host, PROJECT, str(topic))
    os.environ.update(
        {
            "FA_STRIPE__API_BASE": standin.base,
            "FA_STRIPE__SECRET_KEY": STRIPE_KEY,
            "FA_STRIPE__WEBHOOK_SECRET": WEBHOOK_SECRET,
            "FA_STRIPE__PRICES": json.dumps(provision.local_stripe_prices(postgres.url)),
            "FA_STRIPE__NETWORK_RETRIES": "0",
        }
    )
    _reset_settings()
    from shared.billing import stripe_api

    stripe_api.client.cache_clear()
    yield standin
    standin.stop()
    server.stop()


@pytest.fixture(scope="session")
def pipeline(
    postgres: Postgres,
    pubsub: PubSubEmulator,
    cloud_tasks: ToolProcess,
    s3: ToolProcess,
    apify_standin: Any,
    jwks: JwksServer,
) -> dict[str, str]:
    """Everything the search pipeline touches; topics and the inference queue exist."""
    host = pubsub.env()["FA_PUBSUB__EMULATOR_HOST"]
    for topic in [*Topic, DEAD_LETTER_TOPIC]:
        provision.ensure_topic(host, PROJECT, str(topic))
    provision.ensure_queue(cloud_tasks.env()["FA_TASKS__EMULATOR_HOST"], PROJECT, "europe-west4", "inference")
    os.environ["FA_TASKS__INFERENCE_URL"] = "http://127.0.0.1:9"  # no inference service yet: tasks wait
    _reset_settings()
    from shared.media import storage

    storage.s3_client.cache_clear()
    return {"pubsub": host}
