"""The pg8000 changes in shared.pgwire, checked against the installed pg8000 and a real Postgres."""

from __future__ import annotations

import socket
from typing import Any

import pg8000.core
import pg8000.exceptions
import pg8000.legacy
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.pool import NullPool

from shared import db, pgwire
from shared.db import Reader, get_engine, read_scope, session_scope
from tests.fixtures.wire import round_trips

pytestmark = pytest.mark.usefixtures("db")


def test_every_connection_sends_at_once_and_has_the_statement_timeout() -> None:
    with get_engine().connect() as connection:
        raw: Any = connection.connection.dbapi_connection
        sock = raw._usock  # pg8000's socket: the attribute pgwire.no_delay relies on
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        assert connection.execute(text("SHOW statement_timeout")).scalar() not in (None, "0")


def test_a_statement_and_its_commit_take_one_round_trip_each() -> None:
    with get_engine().connect() as connection:
        connection.execute(text("SELECT 1"))  # the transaction is open: no BEGIN below
        with round_trips() as sent:
            rows = connection.execute(text("SELECT CAST(:a AS int) + 1, CAST(:b AS text) || '%'"), {"a": 41, "b": "x"})
            assert tuple(rows.one()) == (42, "x%")
            assert sent[0] == 1
            connection.commit()
            assert sent[0] == 2


def test_errors_surface_and_the_connection_stays_usable() -> None:
    with pytest.raises(ProgrammingError, match="syntax error"), session_scope() as db:
        db.execute(text("SELEKT :a"), {"a": 1})
    with pytest.raises(ProgrammingError, match="invalid input syntax"), session_scope() as db:
        db.execute(text("SELECT CAST(:a AS int)"), {"a": "not a number"})
    with session_scope() as db:
        assert db.execute(text("SELECT CAST(:a AS text)"), {"a": "still fine"}).scalar() == "still fine"


STATEMENTS = [
    "SELECT a FROM t WHERE b = %s AND c = %s",
    "SELECT '%%s is not a parameter', \"col%%\" FROM t WHERE x = %s -- %s in a comment\n AND y = %s",
    "SELECT $$ %%s $$, E'it''s %%', mod(a, 2) FROM t WHERE a %% 2 = %s",
    "SELECT 1",
]


@pytest.mark.parametrize("statement", STATEMENTS)
def test_remembered_placeholders_are_what_pg8000_makes(statement: str) -> None:
    args = tuple(range(statement.count("%s")))
    assert pg8000.legacy.convert_paramstyle is pgwire.remembered_paramstyle
    assert pg8000.core.CoreConnection.execute_unnamed is pgwire.execute_in_one_flight
    for _ in range(2):  # computed, then remembered
        assert pgwire.remembered_paramstyle("format", statement, args) == pgwire._scan_paramstyle(
            "format", statement, args
        )


def test_begin_travels_with_the_transactions_first_statement() -> None:
    with get_engine().connect() as connection:
        raw: Any = connection.connection.dbapi_connection
        connection.commit()  # whatever the checkout opened is closed: the next statement begins a transaction
        with round_trips() as sent:
            first = connection.execute(text("SELECT CAST(pg_current_xact_id() AS text)")).scalar()
            assert sent[0] == 1 and raw._in_transaction  # BEGIN went in the same write, and took effect
            assert connection.execute(text("SELECT CAST(pg_current_xact_id() AS text)")).scalar() == first
            connection.commit()
            assert sent[0] == 3 and not raw._in_transaction


def test_no_begin_is_sent_once_the_connection_is_in_autocommit() -> None:
    with get_engine().connect() as connection:
        raw: Any = connection.connection.dbapi_connection
        connection.commit()
        raw.execute_simple("begin transaction")  # held back, as the cursor asks for it...
        raw.autocommit = True  # ...and then no transaction is wanted any more
        try:
            cursor = raw.cursor()
            ids = []
            for _ in range(2):
                cursor.execute("SELECT CAST(pg_current_xact_id() AS text)")
                ids.append(cursor.fetchone()[0])
            assert ids[0] != ids[1] and not raw._in_transaction  # each statement was its own transaction
        finally:
            raw.autocommit = False


def test_a_connection_just_returned_skips_the_ping_and_an_idle_one_is_pinged() -> None:
    engine = get_engine()
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        raw: Any = connection.connection.dbapi_connection
    with round_trips() as sent, engine.connect() as connection:
        assert connection.connection.dbapi_connection is raw and sent[0] == 0  # handed out as it was
        entry = connection.connection._connection_record
    entry.info[db._RETURNED_AT] = 0.0  # as if it had sat in the pool since boot
    with round_trips() as sent, engine.connect() as connection:
        assert connection.connection.dbapi_connection is raw and sent[0] == 1  # the ping's round trip
        assert not raw._in_transaction and not raw.autocommit  # it opened no transaction, and left none wanted


def test_an_idle_connection_that_died_is_replaced_at_checkout() -> None:
    engine = get_engine()
    with engine.connect() as connection:
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
        entry = connection.connection._connection_record
    with create_engine(engine.url, poolclass=NullPool).connect() as killer:
        assert killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    entry.info[db._RETURNED_AT] = 0.0
    with engine.connect() as connection:  # the ping fails, the pool connects afresh: no error reaches the caller
        assert connection.connection._connection_record is entry
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar() != pid


def test_a_commit_with_no_transaction_open_sends_nothing() -> None:
    with get_engine().connect() as connection:
        raw: Any = connection.connection.dbapi_connection
        connection.commit()
        raw.execute_simple("begin transaction")  # held back: its statement never comes
        with round_trips() as sent:
            raw.commit()
            assert sent[0] == 0 and not raw._deferred_begin  # nothing began, so nothing is sent later either
            raw.cursor().execute("SELECT 1")  # the cursor asks for its own BEGIN: one write with the SELECT
            assert sent[0] == 1 and raw._in_transaction
            raw.commit()
            assert sent[0] == 2 and not raw._in_transaction


def test_read_scope_sends_each_statement_alone_and_returns_a_transactional_connection() -> None:
    with read_scope() as reader:
        reader.one("SELECT 1")  # the pooled connection is now just returned: no ping below
    with round_trips() as sent, pgwire.recorded() as seen:
        with read_scope() as reader:
            raw: Any = reader._dbapi
            first = reader.one("SELECT CAST(pg_current_xact_id() AS text) AS xid")
            second = reader.one("SELECT CAST(pg_current_xact_id() AS text) AS xid")
            assert first.xid != second.xid and not raw._in_transaction  # each its own transaction; none left open
        assert sent[0] == 2 and len(seen) == 2  # one per statement: no BEGIN went with them, no COMMIT after
    with session_scope() as db:  # the same pooled connection, transactional again
        assert db.connection().connection.dbapi_connection is raw and not raw.autocommit
        ids = {db.execute(text("SELECT CAST(pg_current_xact_id() AS text)")).scalar() for _ in range(2)}
        assert len(ids) == 1


def test_a_reader_inside_a_session_shares_its_transaction() -> None:
    with session_scope() as db:
        db.execute(text("CREATE TEMP TABLE seen_here (n int) ON COMMIT DROP"))
        reader = Reader.on(db)
        reader.run("INSERT INTO seen_here VALUES (%s)", (7,))
        assert db.execute(text("SELECT n FROM seen_here")).scalar() == 7
        row = reader.one("SELECT n, CAST(pg_current_xact_id() AS text) AS xid, 1 FROM seen_here")
        assert row.n == 7 and row.xid == db.execute(text("SELECT CAST(pg_current_xact_id() AS text)")).scalar()
        assert row._2 == 1  # a column with no usable name is read by position


def test_a_connection_lost_under_read_scope_is_discarded_and_reported_as_such() -> None:
    with read_scope() as reader:
        pid = reader.one("SELECT pg_backend_pid() AS pid").pid
    with create_engine(get_engine().url, poolclass=NullPool).connect() as killer:
        assert killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    with pytest.raises(ConnectionError, match="database connection lost"), read_scope() as reader:
        reader.one("SELECT 1")  # the pooled connection just came back: no ping, so the statement meets the loss
    with read_scope() as reader:  # the dead one was thrown away
        assert reader.one("SELECT pg_backend_pid() AS pid").pid != pid


def test_an_error_in_read_scope_leaves_the_connection_usable() -> None:
    with pytest.raises(pg8000.exceptions.DatabaseError, match="division by zero"), read_scope() as reader:
        reader.one("SELECT 1 / %s", (0,))
    with pytest.raises(TypeError, match="use run"), read_scope() as reader:
        reader.one("SET LOCAL work_mem = '8MB'")  # no rows to return
    with read_scope() as reader:
        assert reader.one("SELECT 2 AS two").two == 2


class Interrupted(BaseException):
    """Not an Exception: as KeyboardInterrupt or a worker's timeout signal would end the block."""


def test_read_scope_hands_the_connection_back_transactional_however_the_block_ends() -> None:
    with pytest.raises(Interrupted), read_scope() as reader:
        raw: Any = reader._dbapi
        raise Interrupted
    assert not raw.autocommit
    with session_scope() as db:
        assert db.connection().connection.dbapi_connection is raw  # the same one, back in the pool


def test_a_statements_answer_comes_back_in_one_piece() -> None:
    """pg8000 sends a Flush after Parse, Bind and Execute; the server then answers each at once. Without them the
    whole answer (ParseComplete to ReadyForQuery) is one write, read with one receive."""
    with read_scope() as reader:
        raw: Any = reader._dbapi
        written = bytearray()
        original = raw._sock.write
        raw._sock.write = lambda data: (written.extend(data), original(data))[1]
        try:
            assert reader.one("SELECT %s::int + 1 AS n", (41,)).n == 42
        finally:
            raw._sock.write = original
    kinds = []
    while written:
        kinds.append(chr(written[0]))
        del written[: 1 + int.from_bytes(written[1:5], "big")]
    assert kinds == ["P", "B", "D", "E", "S"], kinds  # no "H" (Flush) among them


@pytest.mark.parametrize(
    ("value", "pg_type"),
    [
        ("2026-11-27 02:01:52.019883+00", "timestamptz"),
        ("2026-11-27 02:01:52.1+00", "timestamptz"),
        ("2026-11-27 02:01:52+00", "timestamptz"),
        ("1900-01-01 00:00:00+00", "timestamptz"),
        ("infinity", "timestamptz"),
        ("-infinity", "timestamptz"),
        ("2026-11-27 02:01:52.5", "timestamp"),
        ("10000-01-01 00:00:00", "timestamp"),
        ("0044-03-15 12:00:00 BC", "timestamp"),
        ("2026-11-27", "date"),
        ("infinity", "date"),
        ("0044-03-15 BC", "date"),
    ],
)
@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata", "America/St_Johns"])
@pytest.mark.filterwarnings("ignore:tzname BC identified")  # pg8000's own fallback (dateutil) on a BC timestamp
def test_dates_and_timestamps_read_as_pg8000_reads_them(value: str, pg_type: str, zone: str) -> None:
    with session_scope() as db:
        db.execute(text(f"SET LOCAL TIME ZONE '{zone}'"))
        wire = db.execute(text(f"SELECT CAST(CAST(:v AS {pg_type}) AS text)"), {"v": value}).scalar_one()
        read = db.execute(text(f"SELECT CAST(:v AS {pg_type})"), {"v": value}).scalar_one()
    original = {"timestamptz": pgwire._pg8000_timestamptz_in, "timestamp": pgwire._pg8000_timestamp_in}
    expected = original.get(pg_type, pgwire._pg8000_date_in)(wire)
    if isinstance(expected, str) and "infinity" not in wire and "BC" not in wire:
        # pg8000 gave up on an offset with seconds (local mean time before 1900: '+05:21:10') and returned the text
        with session_scope() as db:
            expected = db.execute(text(f"SELECT CAST(:v AS {pg_type})"), {"v": value}).scalar_one()  # read in UTC
    assert read == expected and type(read) is type(expected), wire
