"""bench_search's reference for the 304: the least a functions-framework function can do for an answer that needs
one database round trip. It keeps one connection (from shared.db's engine, so the same driver, wire settings and
Postgres as the API), sends `SELECT 1` in autocommit and answers 304 with no body. Served like the API (same
functions-framework, same gunicorn threads) and timed by the same client, it shows what the machine, the framework
and one round trip cost before any of our code runs."""

from __future__ import annotations

from typing import Any

import functions_framework
from flask import Request

from shared.db import get_engine

_kept: list[Any] = []  # the driver's connection and its pool wrapper, held for the life of the process


@functions_framework.http
def one_query(request: Request) -> tuple[str, int]:
    if not _kept:
        pooled = get_engine().raw_connection()
        _kept.append(pooled.dbapi_connection)
        _kept[0].autocommit = True
        _kept.append(pooled)  # held, so the pool never takes it back
    cursor = _kept[0].cursor()
    cursor.execute("SELECT 1")
    cursor.fetchall()
    cursor.close()
    return "", 304
