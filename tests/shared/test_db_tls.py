"""The database is reached over verified TLS only (shared.db.tls_connect_args): through a TLS front that relays to
the real test cluster, as Supabase's pooler terminates TLS (infra.local.tls_front)."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import text

from infra.local.components import REPO, Postgres
from infra.local.tls_front import Authority, TlsFront
from shared import errors
from shared.db import read_scope, session_scope

pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture(scope="module")
def authority() -> Authority:
    return Authority.create()


@pytest.fixture
def front(postgres: Postgres, authority: Authority) -> Iterator[Callable[..., TlsFront]]:
    started: list[TlsFront] = []

    def start(
        names: tuple[str, ...] = ("127.0.0.1",), issuer: Authority = authority, offer_tls: bool = True
    ) -> TlsFront:
        tls_front = TlsFront(postgres.port, issuer.issue(names), offer_tls=offer_tls)
        tls_front.start()
        started.append(tls_front)
        return tls_front

    yield start
    for tls_front in started:
        tls_front.stop()


def through(settings_env: Callable[..., None], postgres: Postgres, tls_front: TlsFront, ca_cert: str) -> None:
    settings_env(
        DATABASE__URL=postgres.url.replace(f":{postgres.port}/", f":{tls_front.port}/"), DATABASE__CA_CERT=ca_cert
    )


def test_the_pool_and_the_hot_read_path_go_over_verified_tls(
    settings_env: Callable[..., None], postgres: Postgres, front: Callable[..., TlsFront], authority: Authority
) -> None:
    tls_front = front()
    through(settings_env, postgres, tls_front, authority.pem)
    with session_scope() as session:
        assert session.execute(text("SELECT count(*) FROM credit_pricing_rules")).scalar_one() > 0
    big = "x" * 300_000  # a statement longer than a TLS record: pg8000's buffered writes over the TLS socket
    with read_scope() as reader:
        assert reader.one("SELECT length(%s)", (big,))[0] == len(big)
    assert tls_front.tls_connections >= 1


@pytest.mark.parametrize(
    "case",
    ["another CA", "another host name"],
)
def test_a_certificate_not_from_the_ca_or_not_for_the_host_is_refused(
    case: str,
    settings_env: Callable[..., None],
    postgres: Postgres,
    front: Callable[..., TlsFront],
    authority: Authority,
) -> None:
    if case == "another CA":
        tls_front = front(issuer=Authority.create("Someone else's CA"))
    else:
        tls_front = front(names=("db.elsewhere.example",))  # our CA's, but for another host than 127.0.0.1
    through(settings_env, postgres, tls_front, authority.pem)
    with pytest.raises(errors.Unavailable) as raised, session_scope() as session:
        session.execute(text("SELECT 1"))
    assert isinstance(raised.value.__cause__, ssl.SSLCertVerificationError), raised.value.__cause__
    assert tls_front.tls_connections == 0


def test_a_server_that_declines_tls_is_not_spoken_to_in_plaintext(
    settings_env: Callable[..., None], postgres: Postgres, front: Callable[..., TlsFront], authority: Authority
) -> None:
    """pg8000's default would go on in plaintext here; a man in the middle answers "N" to downgrade."""
    tls_front = front(offer_tls=False)
    through(settings_env, postgres, tls_front, authority.pem)
    with pytest.raises(errors.Unavailable) as raised, session_scope() as session:
        session.execute(text("SELECT 1"))
    assert "Server refuses SSL" in str(raised.value.__cause__)


@pytest.mark.parametrize("trusted", ["the CA", "another CA"])
def test_cloud_builds_migration_step_goes_over_verified_tls(
    trusted: str, postgres: Postgres, front: Callable[..., TlsFront], authority: Authority
) -> None:
    """`alembic -x database_url=… -x database_ca_cert=…` run as cloudbuild.yaml runs it: the alembic command, the
    PEM's lines in one argument, no settings (the process has no FA_ variables)."""
    tls_front = front()
    url = postgres.url.replace(f":{postgres.port}/", f":{tls_front.port}/")
    ca_cert = authority.pem if trusted == "the CA" else Authority.create("Someone else's CA").pem
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FA_")}
    ran = subprocess.run(
        [sys.executable, "-m", "alembic", "-x", f"database_url={url}", "-x", f"database_ca_cert={ca_cert}", "current"],
        cwd=REPO, env=environment, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if trusted == "the CA":
        assert ran.returncode == 0 and tls_front.tls_connections == 1, ran.stderr[-2000:]
    else:
        assert ran.returncode != 0 and "CERTIFICATE_VERIFY_FAILED" in ran.stderr, ran.stderr[-2000:]
