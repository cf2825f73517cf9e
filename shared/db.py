"""The one engine and session factory (SQLAlchemy 2 + pg8000); the tables map onto shared.orm.Base."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

import shared.schema  # noqa: F401  (every mapper known before the first flush, or foreign keys fail)
from shared import pgwire
from shared.config import get_settings, per_instance
from shared.events import outbox

pgwire.install()
_RETURNED_AT = "fa_returned_at"  # in a pooled connection's info: when it last came back to the pool


def database_url() -> str:
    """The configured SQLAlchemy URL; a clear error when none is set."""
    secret = get_settings().database.url
    if secret is None:
        raise RuntimeError("FA_DATABASE__URL is not set (postgresql+pg8000://user:pass@host:port/db)")
    return secret.get_secret_value()


@per_instance(close=lambda engine: engine.dispose())
def get_engine() -> Engine:
    """The instance's engine, created once. Pool sizes are explained in shared.config.DatabaseSettings."""
    db = get_settings().database
    engine = create_engine(
        database_url(),
        pool_size=db.pool_size,
        max_overflow=db.max_overflow,
        pool_timeout=db.pool_timeout_s,
        pool_recycle=db.pool_recycle_s,
        pool_pre_ping=False,  # _ping_if_idle below: the same check, skipped for a connection just used
        connect_args={"timeout": db.connect_timeout_s, "application_name": get_settings().service_name},
    )

    @event.listens_for(engine, "connect")
    def _prepare(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        pgwire.no_delay(dbapi_connection)
        cursor = dbapi_connection.cursor()
        cursor.execute(f"SET statement_timeout = {int(db.statement_timeout_ms)}")
        cursor.close()
        dbapi_connection.commit()
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        """pool_pre_ping's round trip (SELECT 1, a dead connection replaced), but only for a connection that sat
        in the pool longer than ping_after_idle_s: back to back requests skip it. A server restart between two
        such requests is caught by the read's one retry (shared.http.router), or answered 503 for a write."""
        if time.monotonic() - record.info.get(_RETURNED_AT, 0.0) <= db.ping_after_idle_s:
            return
        try:
            dbapi_connection.autocommit = True  # the ping opens no transaction: read_scope's statement goes alone
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            dbapi_connection.autocommit = False
        except Exception as exc:  # the pool discards this connection and checks out another (up to 3 tries)
            raise DisconnectionError(f"pooled connection failed its ping: {exc!r}") from exc

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    return engine


@per_instance()
def _session_factory() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


@contextmanager
def session_scope() -> Iterator[Session]:
    """One transaction: commit when the block ends, roll back when it raises; then send its outbox."""
    session = _session_factory()()
    try:
        with session.begin():
            yield session
    except BaseException:
        outbox.discard(session)
        raise
    finally:
        session.close()
    outbox.committed(session)  # messages and tasks of this transaction go out only now


@contextmanager
def read_scope() -> Iterator[Session]:
    """A session in autocommit: each statement is its own transaction, sent with no BEGIN and followed by no
    COMMIT, so one statement is one round trip (two in session_scope). For the hot read path only: statements that
    stand alone (a read, an idempotent one-row UPDATE). Work whose statements must agree belongs in session_scope;
    the transactional outbox is refused here, since nothing would make its messages atomic with the writes."""
    session = _session_factory()()
    try:
        raw: Any = session.connection().connection.dbapi_connection  # checked out (pinged, if it sat idle)
        raw.autocommit = True
        try:
            yield session
            if session.info.get(outbox.PENDING):
                raise RuntimeError("read_scope cannot send messages: use session_scope")
            session.commit()  # no round trip: pg8000 has no transaction to commit (shared.pgwire.commit_if_open)
        finally:
            raw.autocommit = False  # the pool hands it out transactional again
    finally:
        session.close()


def advisory_lock(db_session: Session, key: str) -> None:
    """Serialize work on one key until the transaction ends (duplicates wait, then see the first result)."""
    db_session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": key})
