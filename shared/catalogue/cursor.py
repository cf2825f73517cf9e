"""Keyset cursors: the last hit's sort value and id, and a digest of the filters they belong to.

The check is a checksum (BLAKE2b), not a secret: it turns a corrupted or hand-edited cursor, or one sent with
other filters, into a 400 instead of a wrong page. A client who forges one gains nothing: a cursor only positions
a page inside results the caller may see, and its values reach SQL as bound parameters."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
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
    data = json.loads(payload)
    if data["s"] != sort or data["f"] != digest:
        raise bad_cursor("it belongs to another sort or other filters")
    value, creator_id = data["v"], data["id"]
    if not isinstance(creator_id, int) or not (value is None or isinstance(value, int | float)):
        raise bad_cursor("malformed")
    return value, creator_id
