"""The one engine and session factory (SQLAlchemy 2 + pg8000); the tables map onto shared.orm.Base."""

from __future__ import annotations

import collections
import functools
import logging
import ssl
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, ExceptionContext
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

import shared.schema  # noqa: F401  (every mapper known before the first flush, or foreign keys fail)
from shared import errors, pgwire
from shared.config import get_settings, per_instance
from shared.events import outbox

pgwire.install()
log = logging.getLogger("db")
_RETURNED_AT = "fa_returned_at"  # in a pooled connection's info: when it last came back to the pool


def database_url() -> str:
    """The configured SQLAlchemy URL; a clear error when none is set."""
    secret = get_settings().database.url
    if secret is None:
        raise RuntimeError("FA_DATABASE__URL is not set (postgresql+pg8000://user:pass@host:port/db)")
    return secret.get_secret_value()


def tls_connect_args(ca_cert: str | None) -> dict[str, Any]:
    """pg8000's TLS argument. With a CA: TLS required, the certificate chained to that CA alone and issued for the
    host in the URL (libpq's verify-full). Without one: plaintext, for the local stack (shared.config refuses it
    elsewhere). pg8000's own default is neither: it asks for TLS but accepts any certificate, and goes on in
    plaintext when the server declines, so anyone on the path could read or downgrade the connection."""
    if ca_cert is None:
        return {"ssl_context": False}
    return {"ssl_context": ssl.create_default_context(cadata=ca_cert.strip())}


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
        connect_args={
            "timeout": db.connect_timeout_s,
            "application_name": get_settings().service_name,
            **tls_connect_args(db.ca_cert),
        },
    )

    @event.listens_for(engine, "do_connect")
    def _connect(dialect: Any, _record: ConnectionPoolEntry, cargs: Any, cparams: dict[str, Any]) -> Any:
        """A connection that cannot be opened (refused, timed out, a certificate not verified, the server's FATAL at
        startup) is a 503 to retry, its cause logged for operators; pg8000 raises some of these (ssl's) unwrapped,
        and none of them is a lost connection the router could retry on."""
        try:
            return dialect.connect(*cargs, **cparams)
        except Exception as exc:
            log.error("cannot connect to the database", extra={"error": repr(exc)})
            raise errors.Unavailable("the database cannot be reached; retry shortly", retry_after_s=5) from exc

    @event.listens_for(engine, "handle_error")
    def _busy_is_unavailable(context: ExceptionContext) -> None:
        unavailable = busy(context.original_exception)
        if unavailable is not None:
            raise unavailable from context.original_exception

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
    except PoolTimeout as exc:
        outbox.discard(session)
        raise _no_free_connection() from exc
    except BaseException:
        outbox.discard(session)
        raise
    finally:
        session.close()
    outbox.committed(session)  # messages and tasks of this transaction go out only now


class Reader:
    """Statements sent through the driver itself, with `%s` placeholders: no Session, no Core Connection, no
    Result. On the hot read path SQLAlchemy's layers cost about as much as the statement (0.25-0.5 ms against
    0.25 ms on loopback, measured). Rows are named tuples (row.version). Statements show up in
    shared.pgwire.recorded(), not in the engine's events."""

    def __init__(self, dbapi_connection: Any) -> None:
        self._dbapi = dbapi_connection

    @classmethod
    def on(cls, db_session: Session) -> Reader:
        """A Reader inside a session's transaction (the same connection, so it sees what the session wrote)."""
        return cls(db_session.connection().connection.dbapi_connection)

    def one(self, statement: str, params: Sequence[Any] = ()) -> Any | None:
        """The first row (None when there is none); the statement must return rows."""
        cursor = self._execute(statement, params)
        try:
            if cursor.description is None:
                raise TypeError(f"Reader.one needs a statement that returns rows (use run): {statement[:60]!r}")
            row = cursor.fetchone()
            return None if row is None else _row_type(tuple(column[0] for column in cursor.description))(*row)
        finally:
            cursor.close()

    def run(self, statement: str, params: Sequence[Any] = ()) -> None:
        """A statement whose rows, if any, are not wanted."""
        self._execute(statement, params).close()

    def _execute(self, statement: str, params: Sequence[Any]) -> Any:
        """An open cursor on the executed statement; a busy database raised as the engine's events would (busy)."""
        cursor = self._dbapi.cursor()
        try:
            cursor.execute(statement, params)
        except Exception as exc:
            cursor.close()
            unavailable = busy(exc)
            if unavailable is not None:
                raise unavailable from exc
            raise
        return cursor


@functools.lru_cache(maxsize=64)
def _row_type(columns: tuple[str, ...]) -> Any:
    return collections.namedtuple("Row", columns, rename=True)  # a name that is no identifier becomes _0, _1…


@contextmanager
def read_scope() -> Iterator[Reader]:
    """A pooled connection in autocommit, through a Reader: each statement is its own transaction, sent with no
    BEGIN and followed by no COMMIT, so one statement is one round trip (two in session_scope). For the hot read
    path only: statements that stand alone (a read, an idempotent one-row UPDATE). Work whose statements must
    agree belongs in session_scope; so does the transactional outbox, which needs a Session (a Reader has none).
    A lost connection is thrown away and raised as ConnectionError (shared.http.router retries a read once)."""
    engine = get_engine()
    try:
        pooled = engine.raw_connection()  # the pool's checkout events run as for a session: the ping if it sat idle
    except PoolTimeout as exc:
        raise _no_free_connection() from exc
    raw: Any = pooled.dbapi_connection
    try:
        raw.autocommit = True
        yield Reader(raw)
    except Exception as exc:
        if _lost(engine, raw, exc):
            pooled.invalidate(exc)  # closed now, replaced at the next checkout
            raise ConnectionError(f"database connection lost: {exc!r}") from exc
        raise
    finally:
        raw.autocommit = False  # whatever happened, the pool hands it out transactional again
        pooled.close()


def _no_free_connection() -> errors.Unavailable:
    """Every connection of the instance's pool stayed in use past pool_timeout: busy, not broken (was a 500)."""
    log.warning("no database connection was free within pool_timeout")
    return errors.Unavailable("no database connection was free; retry shortly", retry_after_s=2)


def _lost(engine: Engine, raw: Any, exc: Exception) -> bool:
    """A socket error, a driver error SQLAlchemy's dialect reads as a disconnect, or the server ending the
    session."""
    if isinstance(exc, ConnectionError):
        return True
    if not isinstance(exc, engine.dialect.loaded_dbapi.Error):
        return False
    return bool(engine.dialect.is_disconnect(exc, raw, None) or server_ended_session(exc))


def _server_fields(exc: BaseException | None) -> dict[str, str]:
    """The fields of the server's ErrorResponse (S severity, C SQLSTATE, M message) that a pg8000 error carries."""
    return exc.args[0] if exc is not None and exc.args and isinstance(exc.args[0], dict) else {}


def server_ended_session(exc: BaseException | None) -> bool:
    """A driver error carrying the server's FATAL (a restart's 'terminating connection', 57P01): the session is gone,
    though SQLAlchemy's pg8000 dialect does not read it as a disconnect."""
    return _server_fields(exc).get("S") == "FATAL"


# SQLSTATEs of a statement the server gave up on because the data was busy. Its transaction is rolled back, so the
# whole request or message may be tried again.
_BUSY = {
    "57014": "a statement ran past its time limit",  # statement_timeout, e.g. waiting on a row another holds
    "40001": "a serialization failure",
    "40P01": "a deadlock",
    "55P03": "a lock was not available",
}


def busy(exc: BaseException | None) -> errors.Unavailable | None:
    """The 503 to answer for a driver error of _BUSY (it was an unmapped 500), with its cause logged; None for any
    other error."""
    what = _BUSY.get(_server_fields(exc).get("C", ""))
    if what is None:
        return None
    log.warning("database busy", extra={"error": repr(exc)})
    return errors.Unavailable(f"the database was busy ({what}); retry shortly", retry_after_s=2)


def advisory_lock(db_session: Session, key: str) -> None:
    """Serialize work on one key until the transaction ends (duplicates wait, then see the first result)."""
    db_session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": key})
