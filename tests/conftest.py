"""Session fixtures: real Postgres and the real emulators, started once per run; each test starts clean."""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from functions_framework import create_app
from sqlalchemy import text

from infra.local import provision
from infra.local.components import Postgres, PubSubEmulator, ToolProcess, moto_s3, tasks_emulator, wait_healthy
from infra.local.services import Function
from shared.config import reset_caches
from shared.db import get_engine
from shared.events.topics import DEAD_LETTER_TOPIC, Topic
from tests.fixtures.tokens import HS256_SECRET, SUPABASE_SERVICE_KEY, JwksServer, SigningKey, claims, sign

PROJECT = "following-test"


@pytest.fixture(scope="session", autouse=True)
def test_environment() -> Iterator[pytest.MonkeyPatch]:
    """The test profile for the whole run; the session fixtures below add their endpoints to it.

    Set here rather than at import time, and undone at the end, so importing this file changes nothing."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("FA_PROFILE", "test")
        env.setenv("FA_PUBSUB__PROJECT_ID", PROJECT)
        env.setenv("FA_TASKS__PROJECT_ID", PROJECT)
        env.setenv("FA_DATABASE__POOL_SIZE", "20")  # in-process tests serve many threads from one engine
        reset_caches()
        yield env
    reset_caches()


def export(env: pytest.MonkeyPatch, values: dict[str, str]) -> None:
    for name, value in values.items():
        env.setenv(name, value)


@pytest.fixture(scope="session")
def stack_root() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="fa-test-"))
    root.chmod(0o755)  # the postgres OS user must reach its data folder
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres(stack_root: Path, test_environment: pytest.MonkeyPatch) -> Iterator[Postgres]:
    pg = Postgres(stack_root)
    pg.start()
    wait_healthy(pg)
    provision.migrate(pg.url)
    export(test_environment, pg.env())
    reset_caches()
    yield pg
    reset_caches()
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
def pubsub(stack_root: Path, test_environment: pytest.MonkeyPatch) -> Iterator[PubSubEmulator]:
    emulator = PubSubEmulator(stack_root / "logs")
    emulator.start()
    wait_healthy(emulator, timeout_s=90)
    export(test_environment, emulator.env())
    test_environment.setenv("PUBSUB_EMULATOR_HOST", emulator.env()["FA_PUBSUB__EMULATOR_HOST"])
    reset_caches()
    yield emulator
    emulator.stop()


@pytest.fixture(scope="session")
def cloud_tasks(stack_root: Path, test_environment: pytest.MonkeyPatch) -> Iterator[ToolProcess]:
    emulator = tasks_emulator(stack_root / "logs")
    emulator.start()
    wait_healthy(emulator, timeout_s=90)
    export(test_environment, emulator.env())
    reset_caches()
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
def jwks(test_environment: pytest.MonkeyPatch) -> Iterator[JwksServer]:
    """A JWKS endpoint with one ES256 key, and the auth settings that trust it (plus an HS256 secret)."""
    server = JwksServer()
    server.publish(SigningKey("key-1"))
    test_environment.setenv("FA_AUTH__JWKS_URL", server.url)
    test_environment.setenv("FA_AUTH__JWT_ISSUER", server.issuer)
    test_environment.setenv("FA_AUTH__HS256_SECRET", HS256_SECRET)
    test_environment.setenv("FA_AUTH__SUPABASE_URL", server.supabase.base)
    test_environment.setenv("FA_AUTH__SUPABASE_SERVICE_KEY", SUPABASE_SERVICE_KEY)
    reset_caches()
    yield server
    server.close()


@pytest.fixture(scope="session")
def apify_standin(test_environment: pytest.MonkeyPatch) -> Iterator[Any]:
    """The Apify stand-in, in this process (tests queue faults on it directly)."""
    from infra.local.apify.server import TOKEN, StandIn

    standin = StandIn().start()
    host_port = standin.base.removeprefix("http://")
    export(
        test_environment,
        {
            "FA_APIFY__API_URL": standin.base,
            "FA_APIFY__TOKEN": TOKEN,
            "FA_APIFY__RETRY_DELAY_S": "0.05",
            "FA_CDN__LOCAL_HOSTS": json.dumps([host_port]),
        },
    )
    reset_caches()
    yield standin
    standin.stop()


@pytest.fixture(scope="session")
def s3(stack_root: Path, test_environment: pytest.MonkeyPatch) -> Iterator[ToolProcess]:
    server = moto_s3(stack_root / "logs")
    server.start()
    wait_healthy(server, timeout_s=90)
    env = server.env()
    export(test_environment, env)
    provision.ensure_bucket(
        env["FA_STORAGE__ENDPOINT_URL"],
        "thumbnails",
        env["FA_STORAGE__ACCESS_KEY_ID"],
        env["FA_STORAGE__SECRET_ACCESS_KEY"],
    )
    reset_caches()
    yield server
    server.stop()


WEBHOOK_SECRET = "whsec_test_only_0a1b2c3d4e5f"
STRIPE_KEY = "sk_test_only_localstripe_51Hk"


@pytest.fixture(scope="session")
def stripe_standin(
    postgres: Postgres, stack_root: Path, pubsub: PubSubEmulator, jwks: JwksServer, test_environment: pytest.MonkeyPatch
) -> Iterator[Any]:
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
    export(
        test_environment,
        {
            "FA_STRIPE__API_BASE": standin.base,
            "FA_STRIPE__SECRET_KEY": STRIPE_KEY,
            "FA_STRIPE__WEBHOOK_SECRET": WEBHOOK_SECRET,
            "FA_STRIPE__PRICES": json.dumps(provision.local_stripe_prices(postgres.url)),
            "FA_STRIPE__NETWORK_RETRIES": "0",
        },
    )
    reset_caches()
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
    test_environment: pytest.MonkeyPatch,
) -> Iterator[dict[str, str]]:
    """Everything the search pipeline touches; topics and the inference queue exist."""
    host = pubsub.env()["FA_PUBSUB__EMULATOR_HOST"]
    for topic in [*Topic, DEAD_LETTER_TOPIC]:
        provision.ensure_topic(host, PROJECT, str(topic))
    for queue in ("inference", "inference-system"):
        provision.ensure_queue(cloud_tasks.env()["FA_TASKS__EMULATOR_HOST"], PROJECT, "europe-west4", queue)
    # No inference service in these tests: tasks go to a port this run holds closed, so they wait and retry
    # (a test that serves inference points its own setting at it).
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        test_environment.setenv("FA_TASKS__INFERENCE_URL", f"http://127.0.0.1:{closed.getsockname()[1]}")
        reset_caches()
        yield {"pubsub": host}


@pytest.fixture
def api(db: None, jwks: JwksServer) -> Any:
    return create_app("api", "functions/api/main.py").test_client()


@pytest.fixture
def bearer(jwks: JwksServer) -> Callable[..., dict[str, str]]:
    """Authorization headers for a user (a new one unless `sub` is given), optionally for a team."""

    def headers(
        sub: uuid.UUID | None = None, email: str | None = None, team: Any = None, **extra: Any
    ) -> dict[str, str]:
        token = sign(
            jwks.keys[0],
            claims(jwks.issuer, sub=sub or uuid.uuid4(), email=email or f"{uuid.uuid4().hex[:8]}@example.org", **extra),
        )
        out = {"Authorization": f"Bearer {token}"}
        if team is not None:
            out["X-Team-Id"] = str(team)
        return out

    return headers


@pytest.fixture
def closed_url() -> Iterator[str]:
    """An http URL on a port this run holds closed: a vendor pointed at it (`settings_env`) is out of reach."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{closed.getsockname()[1]}"


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Set FA_ variables for one test (`settings_env(DISCOVERY__MAX_IN_FLIGHT="5")`); undone afterwards."""

    def set_env(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"FA_{name}", value)
        reset_caches()

    yield set_env
    monkeypatch.undo()
    reset_caches()
