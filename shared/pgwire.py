"""What we change in the pg8000 driver, and why: each change removes a cost it pays on every statement.

pg8000 is pure Python and conservative on the wire. Measured on a cached report (one SELECT in a transaction), it
spent 8 socket writes and 6 round trips, and scanned the statement's text character by character. With these
changes the same request costs 2 round trips in a transaction (BEGIN with the SELECT, then COMMIT; shared.db pings
only a connection that sat idle) and 1 in autocommit (shared.db.read_scope: no BEGIN, no COMMIT), the scan is done
once per statement text, no message waits for a delayed ACK, and the server answers a statement in one write
(pg8000's Flush messages made it four). On loopback a round trip is ~0.05 ms; from Cloud
Functions to Supabase it is 0.5-1 ms, so each one saved counts there.
tests/shared/test_pgwire.py checks each against the installed pg8000 so that an upgrade that moves these internals
fails loudly instead of silently slowing down.

Installed once, on import of shared.db (install() is idempotent)."""

from __future__ import annotations

import functools
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import pg8000.converters
import pg8000.core
import pg8000.legacy
from pg8000.converters import make_params

_scan_paramstyle = pg8000.legacy.convert_paramstyle

_UNNAMED = b"\x00"
_TRANSACTION_CONTROL = frozenset({"begin transaction", "commit", "rollback"})
_recorders: list[list[str]] = []
_BEGIN = "begin transaction"  # what pg8000's cursor sends before a transaction's first statement


@contextmanager
def recorded() -> Iterator[list[str]]:
    """The statements sent while the block runs, on every connection of the process: what the driver sent, so a
    statement that did not go through SQLAlchemy (shared.db.Reader) counts too. BEGIN, COMMIT and ROLLBACK are left
    out (SQLAlchemy's before_cursor_execute does not see them either). For tests and benchmarks."""
    seen: list[str] = []
    _recorders.append(seen)
    try:
        yield seen
    finally:
        _recorders.remove(seen)


def _record(statement: str) -> None:
    if statement not in _TRANSACTION_CONTROL:
        for seen in _recorders:
            seen.append(statement)


@functools.lru_cache(maxsize=2048)
def _format_statement(query: str) -> str:
    return str(_scan_paramstyle("format", query, ())[0])


def remembered_paramstyle(style: str, query: str, args: Any) -> tuple[str, Any]:
    """pg8000 turns each statement's %s placeholders into $1, $2… by scanning its text in pure Python on every
    execution: about 1 ms for a long statement. For the "format" style SQLAlchemy uses the result depends on the
    text alone (the values pass through), so it is computed once per statement text."""
    if style != "format":
        return _scan_paramstyle(style, query, args)  # type: ignore[no-any-return]
    return _format_statement(query), args


def execute_in_one_flight(
    self: pg8000.core.CoreConnection, statement: str, vals: Any = (), oids: Any = (), stream: Any = None
) -> Any:
    """An unnamed statement as libpq sends one: Parse, Bind, Describe (portal), Execute and Sync in a single write,
    one round trip. pg8000 sends Parse and waits, then Describe (statement) and waits, then Execute: three round
    trips for every statement, COMMIT included. The parameter description it waited for is unused (pg8000 sends
    every value as text), and the row description arrives before the rows either way. Errors are unchanged: the
    server answers the first failing message with an error, skips to Sync, and handle_messages raises it.
    COPY (a stream) keeps pg8000's own path."""
    if _recorders:
        _record(statement)
    if stream is not None:
        if _write_deferred_begin(self) is not None:
            pg8000.core._flush(self._sock)
            self.handle_messages(pg8000.core.Context(_BEGIN))
        return _pg8000_execute_unnamed(self, statement, vals=vals, oids=oids, stream=stream)
    params = make_params(self.py_types, vals)  # before anything is sent: a bad value leaves the wire clean
    context = pg8000.core.Context(statement)
    begun = _write_deferred_begin(self)
    self.send_PARSE(_UNNAMED, statement, oids)
    self.send_BIND(_UNNAMED, params)
    self._send_message(pg8000.core.DESCRIBE, pg8000.core.PORTAL + _UNNAMED)  # the row description
    self.send_EXECUTE()
    pg8000.core._write(self._sock, pg8000.core.SYNC_MSG)
    pg8000.core._flush(self._sock)
    _handle(self, begun, context)
    return context


def execute_simple_with_begin(self: pg8000.core.CoreConnection, statement: str) -> Any:
    """pg8000's cursor sends BEGIN as a query of its own before a transaction's first statement, and waits for it:
    a round trip that carries nothing. Here BEGIN is held back and written in front of that statement, in the same
    write; the server answers both in order and both answers are read. Nothing is sent before the statement, so
    nothing is lost if it never comes (the cursor asks for BEGIN again while no transaction is open)."""
    if statement == _BEGIN:
        self._deferred_begin = True
        return pg8000.core.Context(statement)
    if _recorders:
        _record(statement)
    begun = _write_deferred_begin(self)
    if begun is None:
        return _pg8000_execute_simple(self, statement)
    context = pg8000.core.Context(statement)
    self.send_QUERY(statement)
    pg8000.core._flush(self._sock)
    _handle(self, begun, context)
    return context


def _write_deferred_begin(self: pg8000.core.CoreConnection) -> Any:
    """Write (not send) a held-back BEGIN; its context, or None when none is held."""
    if not getattr(self, "_deferred_begin", False):
        return None
    self._deferred_begin = False
    if getattr(self, "autocommit", False):  # switched to autocommit since: no transaction wanted any more
        return None
    self.send_QUERY(_BEGIN)
    return pg8000.core.Context(_BEGIN)


def _handle(self: pg8000.core.CoreConnection, begun: Any, context: Any) -> None:
    """Read the answers to what one write sent: BEGIN's (if it went too), then the statement's, both always, so
    that an error in the first leaves no unread answer on the wire."""
    if begun is None:
        self.handle_messages(context)
        return
    try:
        self.handle_messages(begun)
    finally:
        self.handle_messages(context)


def commit_if_open(self: pg8000.legacy.Connection) -> None:
    """COMMIT only when a transaction is open. pg8000 sends it regardless and waits: a round trip that commits
    nothing after an autocommit statement (shared.db.read_scope) or a transaction that never sent a statement, and
    a server WARNING each time. A BEGIN still held back (its statement never went) is dropped: nothing began.
    A failed transaction is still sent its COMMIT, so the server's answer (ROLLBACK) and pg8000's error are kept."""
    self._deferred_begin = False
    if self._in_transaction:
        _pg8000_commit(self)


def timestamptz_in(data: str) -> Any:
    """pg8000 reads each timestamp with datetime.strptime, about 20 µs a value; a cached report reads two, a
    catalogue page hundreds. Postgres' ISO output (DateStyle ISO, the default) is what datetime.fromisoformat reads,
    in about 1 µs. What it cannot read (infinity, a year past 9999 or BC) goes to pg8000's own parser, as before."""
    try:
        return datetime.fromisoformat(data)
    except ValueError:
        return _pg8000_timestamptz_in(data)


def timestamp_in(data: str) -> Any:
    """As timestamptz_in, for a timestamp without time zone."""
    try:
        return datetime.fromisoformat(data)
    except ValueError:
        return _pg8000_timestamp_in(data)


def date_in(data: str) -> Any:
    """As timestamptz_in, for a date."""
    try:
        return date.fromisoformat(data)
    except ValueError:
        return _pg8000_date_in(data)


def no_delay(dbapi_connection: Any) -> None:
    """Send each message at once (TCP_NODELAY), as libpq does; pg8000 leaves Nagle's algorithm on. With it on, a
    statement whose messages span two TCP segments (a 384-d vector parameter does) waits for the server's delayed
    ACK: about 40 ms on Linux, ten times the query itself. `_usock` is pg8000's socket (TCP or TLS)."""
    sock = getattr(dbapi_connection, "_usock", None)
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


_pg8000_execute_unnamed = pg8000.core.CoreConnection.execute_unnamed
_pg8000_execute_simple = pg8000.core.CoreConnection.execute_simple
_pg8000_commit = pg8000.legacy.Connection.commit
_pg8000_timestamptz_in = pg8000.converters.PG_TYPES[pg8000.converters.TIMESTAMPTZ]
_pg8000_timestamp_in = pg8000.converters.PG_TYPES[pg8000.converters.TIMESTAMP]
_pg8000_date_in = pg8000.converters.PG_TYPES[pg8000.converters.DATE]


def install() -> None:
    pg8000.legacy.convert_paramstyle = remembered_paramstyle  # the name pg8000's Cursor.execute calls
    pg8000.core.CoreConnection.execute_unnamed = execute_in_one_flight  # type: ignore[method-assign]
    pg8000.core.CoreConnection.execute_simple = execute_simple_with_begin  # type: ignore[method-assign]
    pg8000.legacy.Connection.commit = commit_if_open  # type: ignore[method-assign]
    # pg8000 follows Parse, Describe, Bind and Execute each with a Flush message, which makes the server send what it
    # has at once: a statement's answer came back in four writes (ParseComplete, BindComplete, the rows, then
    # ReadyForQuery), and the client woke up for each. Every pg8000 path sends Sync before it reads, and Sync sends
    # everything, so without the Flushes the answer comes in one write, as it does to libpq.
    pg8000.core.FLUSH_MSG = b""
    # Each connection copies this table when it opens (pg8000.core), so every connection made after install reads
    # dates and timestamps with the parsers above.
    pg8000.converters.PG_TYPES[pg8000.converters.TIMESTAMPTZ] = timestamptz_in
    pg8000.converters.PG_TYPES[pg8000.converters.TIMESTAMP] = timestamp_in
    pg8000.converters.PG_TYPES[pg8000.converters.DATE] = date_in
