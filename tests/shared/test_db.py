"""The engine's connections: what shared.db sets on each one as it opens."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from sqlalchemy import text

from shared.db import get_engine

pytestmark = pytest.mark.usefixtures("db")


def test_every_connection_sends_at_once_and_has_the_statement_timeout() -> None:
    with get_engine().connect() as connection:
        raw: Any = connection.connection.dbapi_connection
        sock = raw._usock  # pg8000's socket: the attribute shared.db.no_delay relies on
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        assert connection.execute(text("SHOW statement_timeout")).scalar() not in (None, "0")


STATEMENTS = [
    "SELECT a FROM t WHERE b = %s AND c = %s",
    "SELECT '%%s is not a parameter', \"col%%\" FROM t WHERE x = %s -- %s in a comment\n AND y = %s",
    "SELECT $$ %%s $$, E'it''s %%', mod(a, 2) FROM t WHERE a %% 2 = %s",
    "SELECT 1",
]


@pytest.mark.parametrize("statement", STATEMENTS)
def test_remembered_placeholders_are_what_pg8000_makes(statement: str) -> None:
    import pg8000.legacy

    from shared import db

    args = tuple(range(statement.count("%s")))
    assert pg8000.legacy.convert_paramstyle is db._remembered_paramstyle
    for _ in range(2):  # computed, then remembered
        assert db._remembered_paramstyle("format", statement, args) == db._scan_paramstyle("format", statement, args)


def test_statements_still_bind_their_values() -> None:
    with get_engine().connect() as connection:
        row = connection.execute(text("SELECT CAST(:a AS int) + 1, CAST(:b AS text) || '%'"), {"a": 41, "b": "x"}).one()
    assert tuple(row) == (42, "x%")
