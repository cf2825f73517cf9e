"""Untrusted JSON is parsed with a depth limit; vendor text is made fit for Postgres without losing the rest."""

from __future__ import annotations

import pytest

from shared.text import parse_json, storable


@pytest.mark.parametrize(
    "raw",
    [b"[" * 5000 + b"]" * 5000, b'{"a": ' * 300 + b"1" + b"}" * 300, b'"\\ud83d"', b'"\xff"', b"{} x", b""],
    ids=["nested arrays", "nested objects", "lone surrogate", "not UTF-8", "trailing data", "empty"],
)
def test_what_is_not_one_json_value_is_a_value_error(raw: bytes) -> None:
    with pytest.raises(ValueError):
        parse_json(raw)


def test_json_values_come_back_as_pythons_json_reads_them() -> None:
    raw = '{"a": [1, 2.5, 1e400, true, null, 123456789012345678901234567890], "a ": "\\ud83d\\ude00 é", "b": {}}'
    assert parse_json(raw.encode()) == {
        "a": [1, 2.5, float("inf"), True, None, 123456789012345678901234567890],
        "a ": "😀 é",
        "b": {},
    }


def test_storable_repairs_only_what_postgres_cannot_hold() -> None:
    item = {
        "caption": "Leg day \ud83d",  # an emoji cut in half, as JavaScript's JSON.stringify writes it: "\ud83d"
        "biography": "Coach\x00 and runner",
        "comments": [{"text": "\udc4d wow", "n": 3}, None, 2.5, True],
        "pair \ud83d\ude00": "kept whole \ud83d\ude00",  # a pair left as two code points is joined
        "clean": "Été 2026 🏃\u200d♀️ \t\n",
    }
    assert storable(item) == {
        "caption": "Leg day \ufffd",
        "biography": "Coach and runner",
        "comments": [{"text": "\ufffd wow", "n": 3}, None, 2.5, True],
        "pair 😀": "kept whole 😀",
        "clean": "Été 2026 🏃\u200d♀️ \t\n",
    }
    assert storable(item["clean"]) is item["clean"]  # nothing to repair: no copy
