"""Our own local processes: the Apify and Stripe stand-ins, one functions-framework process per
function target, and the inference service. Same shape as `infra.local.components`."""

from __future__ import annotations

import secrets
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from infra.local.components import REPO
from infra.local.processes import ManagedProcess, free_port, http_ok, tcp_open


@dataclass
class ModuleProcess:
    """A Python module of this repository run as a server (the Apify stand-in)."""

    name: str
    module: str
    logs: Path
    health_path: str
    env_vars: tuple[tuple[str, str], ...] = ()
    args: tuple[str, ...] = ()
    port: int = field(default_factory=free_port)
    process: ManagedProcess | None = None

    def start(self) -> None:
        argv = [sys.executable, "-m", self.module, "--port", str(self.port), *self.args]
        env = {"PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
        self.process = ManagedProcess(self.name, argv, self.logs / f"{self.name}.log", env=env, cwd=REPO)
        self.process.start()

    def healthy(self) -> bool:
        return bool(
            self.process and self.process.check_alive() and http_ok(f"http://127.0.0.1:{self.port}{self.health_path}")
        )

    def env(self) -> dict[str, str]:
        return {key: value.format(port=self.port) for key, value in self.env_vars}

    def stop(self) -> None:
        if self.process:
            self.process.stop()


def apify_standin(logs: Path) -> ModuleProcess:
    from infra.local.apify.server import TOKEN

    return ModuleProcess(
        "apify",
        "infra.local.apify.server",
        logs,
        "/img/health.jpg",
        env_vars=(
            ("FA_APIFY__API_URL", "http://127.0.0.1:{port}"),
            ("FA_APIFY__TOKEN", TOKEN),
            ("FA_CDN__LOCAL_HOSTS", '["127.0.0.1:{port}"]'),
        ),
    )


def supabase_auth_standin(logs: Path, jwt_secret: str, issuer: str) -> ModuleProcess:
    """GoTrue's admin API and sign-in (invites, user lookups, sessions signed with this run's HS256 secret)."""
    service_key = "local-supabase-service-key-" + secrets.token_hex(12)
    return ModuleProcess(
        "supabase-auth",
        "infra.local.supabase_standin",
        logs,
        "/health",
        env_vars=(
            ("FA_AUTH__SUPABASE_URL", "http://127.0.0.1:{port}"),
            ("FA_AUTH__SUPABASE_SERVICE_KEY", service_key),
        ),
        # --name=value: a generated secret may begin with "-", which argparse would take for an option.
        args=(f"--jwt-secret={jwt_secret}", f"--issuer={issuer}", f"--service-key={service_key}"),
    )


def stripe_checkout_standin(logs: Path, localstripe_port: int) -> ModuleProcess:
    """Checkout and Portal at Stripe's seam, forwarding the rest to localstripe; a webhook secret per run."""
    return ModuleProcess(
        "stripe-checkout",
        "infra.local.stripe_standin",
        logs,
        "/_standin/requests",
        env_vars=(
            ("FA_STRIPE__API_BASE", "http://127.0.0.1:{port}"),
            ("FA_STRIPE__SECRET_KEY", "sk_test_local_stack_" + secrets.token_hex(8)),
            ("FA_STRIPE__WEBHOOK_SECRET", "whsec_local_" + secrets.token_hex(16)),
        ),
        args=("--localstripe", f"http://127.0.0.1:{localstripe_port}"),
    )


@dataclass
class Function:
    """One functions-framework process serving one target."""

    target: str
    source: Path
    logs: Path
    env_vars: dict[str, str]
    port: int = field(default_factory=free_port)
    process: ManagedProcess | None = None

    @property
    def name(self) -> str:
        return f"fn-{self.target}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        framework = Path(sys.executable).parent / "functions-framework"
        argv = [
            str(framework),
            "--source",
            str(self.source),
            "--target",
            self.target,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        env = {**self.env_vars, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
        self.process = ManagedProcess(self.name, argv, self.logs / f"{self.name}.log", env=env, cwd=REPO)
        self.process.start()

    def healthy(self) -> bool:
        return bool(self.process and self.process.check_alive() and tcp_open(self.port))

    def env(self) -> dict[str, str]:
        return {}

    def stop(self) -> None:
        if self.process:
            self.process.stop()


@dataclass
class InferenceService:
    """The inference service (lite profile: real offline weights on the CPU), served by uvicorn."""

    logs: Path
    env_vars: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: ManagedProcess | None = None
    name: str = "inference"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {
            **self.env_vars,
            "PORT": str(self.port),
            "FA_INFERENCE__MODEL_PROFILE": "lite",
            "PYTHONPATH": str(REPO),
            "PYTHONUNBUFFERED": "1",
            "HF_HUB_OFFLINE": "1",
        }
        argv = [sys.executable, "-m", "gpu_inference"]
        self.process = ManagedProcess(self.name, argv, self.logs / f"{self.name}.log", env=env, cwd=REPO)
        self.process.start()

    def healthy(self) -> bool:
        """Ready only once /readyz says the models are loaded and warmed."""
        if not (self.process and self.process.check_alive() and tcp_open(self.port)):
            return False
        try:
            with urllib.request.urlopen(self.url + "/readyz", timeout=2) as response:  # noqa: S310 - loopback
                return bool(response.status == 200)
        except OSError:
            return False

    def env(self) -> dict[str, str]:
        return {"FA_TASKS__INFERENCE_URL": self.url}

    def stop(self) -> None:
        if self.process:
            self.process.stop()


@dataclass
class Scheduler:
    """The local Cloud Scheduler (infra.local.scheduler): fires the schedule table at the Pub/Sub emulator."""

    logs: Path
    env_vars: dict[str, str]
    process: ManagedProcess | None = None
    name: str = "scheduler"

    def start(self) -> None:
        env = {**self.env_vars, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
        argv = [sys.executable, "-m", "infra.local.scheduler", "run"]
        self.process = ManagedProcess(self.name, argv, self.logs / f"{self.name}.log", env=env, cwd=REPO)
        self.process.start()

    def healthy(self) -> bool:
        return bool(self.process and self.process.check_alive())

    def env(self) -> dict[str, str]:
        return {}

    def stop(self) -> None:
        if self.process:
            self.process.stop()
