"""A statement the server gives up on because the data is busy (statement_timeout, a lock not available, a deadlock,
a serialization failure) is errors.Unavailable, on the engine's path and on the Reader's: a 503 to retry, not 500."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from shared import errors
from shared.db import Reader, get_engine, read_scope, session_scope

pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture
def holder() -> Iterator[Connection]:
    """Another session, holding a lock on a credit_pricing_rules row (seeded reference data) until the test ends."""
    engine = create_engine(get_engine().url, poolclass=NullPool)
    with engine.connect() as connection:
        connection.execute(text("SELECT id FROM credit_pricing_rules ORDER BY id LIMIT 1 FOR UPDATE"))
        yield connection
        connection.rollback()
    engine.dispose()


LOCKED = "SELECT id FROM credit_pricing_rules ORDER BY id LIMIT 1 FOR UPDATE"


def test_a_lock_not_available_is_unavailable(holder: Connection) -> None:
    with pytest.raises(errors.Unavailable, match="a lock was not available") as raised, session_scope() as session:
        session.execute(text(LOCKED + " NOWAIT"))
    assert raised.value.extra["retry_after_s"] == 2


@pytest.mark.parametrize("path", ["session", "reader in a session", "read_scope"])
def test_a_statement_past_its_time_limit_is_unavailable(
    path: str, holder: Connection, settings_env: Callable[..., None]
) -> None:
    settings_env(DATABASE__STATEMENT_TIMEOUT_MS="200")
    with pytest.raises(errors.Unavailable, match="ran past its time limit"):
        if path == "read_scope":
            with read_scope() as reader:
                reader.one(LOCKED)
        else:
            with session_scope() as session:
                session.execute(text(LOCKED)) if path == "session" else Reader.on(session).one(LOCKED)
    with session_scope() as session:  # the pool's connection is usable again
        assert session.execute(text("SELECT 1")).scalar_one() == 1


def test_other_database_errors_are_left_as_they_are() -> None:
    with pytest.raises(Exception) as raised, session_scope() as session:
        session.execute(text("SELECT 1/0"))
    assert not isinstance(raised.value, errors.DomainError)


def test_a_pool_with_no_free_connection_is_unavailable(settings_env: Callable[..., None]) -> None:
    """SQLAlchemy's TimeoutError when every pooled connection stayed in use past pool_timeout was a 500."""
    settings_env(DATABASE__POOL_SIZE="1", DATABASE__MAX_OVERFLOW="0", DATABASE__POOL_TIMEOUT_S="0.2")
    with session_scope() as holding:
        holding.execute(text("SELECT 1"))  # the pool's one connection, held until the block ends
        with pytest.raises(errors.Unavailable, match="no database connection was free"), session_scope() as waiting:
            waiting.execute(text("SELECT 1"))
        with pytest.raises(errors.Unavailable, match="no database connection was free"), read_scope() as reader:
            reader.one("SELECT 1")
