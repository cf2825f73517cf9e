"""Keyset cursors: the last hit's sort value and id, and a digest of the filters they belong to.

The check is a checksum (BLAKE2b), not a secret: it turns a corrupted or hand-edited cursor, or one sent with
other filters, into a 400 instead of a wrong page. A client who forges one gains nothing: a cursor only positions
a page inside results the caller may see, and its values reach SQL as bound parameters."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from typing import Any

from shared.catalogue.schemas import bad_cursor

_DIGEST = 8


def filters_digest(filters: dict[str, Any]) -> str:
    return hashlib.blake2b(json.dumps(filters, sort_keys=True).encode(), digest_size=_DIGEST).hexdigest()


def encode(*, sort: str, value: float | int | None, creator_id: int, digest: str) -> str:
    payload = json.dumps({"s": sort, "v": value, "id": creator_id, "f": digest}, separators=(",", ":")).encode()
    check = hashlib.blake2b(payload, digest_size=_DIGEST).digest()
    return base64.urlsafe_b64encode(check + payload).decode().rstrip("=")


def decode(cursor: str, *, sort: str, digest: str) -> tuple[float | int | None, int]:
    """(sort value, creator id) of the last hit of the previous page."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError) as exc:
        raise bad_cursor("not base64url") from exc
    check, payload = raw[:_DIGEST], raw[_DIGEST:]
    if hashlib.blake2b(payload, digest_size=_DIGEST).digest() != check:
        raise bad_cursor("it was altered")
    # The checksum is no secret, so what it covers may still be anything: each part is checked before use.
    try:
        data = json.loads(payload)
        cursor_sort, value, creator_id, cursor_digest = data["s"], data["v"], data["id"], data["f"]
    except (ValueError, TypeError, KeyError) as exc:
        raise bad_cursor("malformed") from exc
    if cursor_sort != sort or cursor_digest != digest:
        raise bad_cursor("it belongs to another sort or other filters")
    if not (_bigint(creator_id) and (value is None or _bigint(value) or _finite(value))):
        raise bad_cursor("malformed")
    return value, creator_id


def _bigint(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63


def _finite(value: Any) -> bool:
    return isinstance(value, float) and math.isfinite(value)
