"""The one engine and session factory (SQLAlchemy 2 + pg8000) and the declarative base."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from shared.config import get_settings

# Stable constraint names, so that Alembic migrations can drop what they create.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def database_url() -> str:
    """The configured SQLAlchemy URL; a clear error when none is set."""
    secret = get_settings().database.url
    if secret is None:
        raise RuntimeError("FA_DATABASE__URL is not set (postgresql+pg8000://user:pass@host:port/db)")
    return secret.get_secret_value()


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    """The instance's engine, created once. Pool sizes are explained in shared.config.DatabaseSettings."""
    db = get_settings().database
    engine = create_engine(
        database_url(),
        pool_size=db.pool_size,
        max_overflow=db.max_overflow,
        pool_timeout=db.pool_timeout_s,
        pool_recycle=db.pool_recycle_s,
        pool_pre_ping=True,
        connect_args={"timeout": db.connect_timeout_s, "application_name": get_settings().service_name},
    )

    @event.listens_for(engine, "connect")
    def _set_statement_timeout(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"SET statement_timeout = {int(db.statement_timeout_ms)}")
        cursor.close()
        dbapi_connection.commit()

    return engine


@lru_cache(maxsize=1)
def _session_factory() -> sessionmaker[Session]:
    # Every mapper must be known before the first flush, or foreign keys to unimported tables fail.
    import shared.schema  # noqa: F401

    return sessionmaker(bind=get_engine(), expire_on_commit=False)


@contextmanager
def session_scope() -> Iterator[Session]:
    """One transaction: commit when the block ends, roll back when it raises; then send its outbox."""
    from shared.events import outbox  # the outbox itself opens sessions

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


def dispose_engine() -> None:
    """Close pooled connections and forget the engine (tests, and settings changes)."""
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_engine.cache_clear()
    _session_factory.cache_clear()
