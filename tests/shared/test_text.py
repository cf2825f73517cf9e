"""Untrusted JSON is parsed with a depth limit."""

from __future__ import annotations

import pytest

from shared.text import parse_json


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
