"""The API document's patterns mean what the server's do. The document's dialect is ECMA-262 with the u flag (JSON
Schema 2020-12); the server validates with pydantic's Rust engine; Python's re is what openapi-spec-validator and
Python clients read. Where those dialects disagree (`\\w`, `\\d`, `\\s` and `\\p{..}`), the document and the server
accepted different strings: the fuzzer found `?campaign=Ï` and `?email=` with U+FEFF."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any

import jsonschema_rs
import pytest
from pydantic import Field, TypeAdapter, ValidationError

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
SURROGATES = range(0xD800, 0xE000)  # no JSON string, URL or pydantic string holds one alone
DIALECT_BOUND = re.compile(r"\\[wWdDbBpP]")  # `\s` is allowed only beside what makes it agree (the test below)


def document_patterns() -> list[str]:
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("pattern"), str):
                found.add(node["pattern"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(DOCUMENT.read_text()))
    return sorted(found)


def test_no_pattern_leans_on_a_class_the_dialects_read_differently() -> None:
    assert [p for p in document_patterns() if DIALECT_BOUND.search(p)] == []


def one_character_classes() -> list[str]:
    """Each non-ASCII-sensitive character class of the document (a negated class, or one with `\\s`), alone."""
    classes = {c for p in document_patterns() for c in re.findall(r"\[(?:\^|[^\]]*\\s)(?:\\.|[^\]])*\]", p)}
    return sorted(f"^{c}$" for c in classes)


def test_the_document_has_the_classes_this_checks() -> None:
    assert len(one_character_classes()) >= 4  # the campaign label, the email address part, two control-character sets


@pytest.mark.parametrize("pattern", one_character_classes())
def test_every_code_point_is_in_or_out_of_a_class_for_all_three_dialects(pattern: str) -> None:
    server = TypeAdapter(Annotated[str, Field(pattern=pattern)])
    document = jsonschema_rs.validator_for({"type": "string", "pattern": pattern})
    python = re.compile(pattern)

    def by_server(text: str) -> bool:
        try:
            server.validate_python(text)
        except ValidationError:
            return False
        return True

    differ = []
    for code_point in range(0x110000):
        if code_point in SURROGATES:
            continue
        text = chr(code_point)
        if len({by_server(text), document.is_valid(text), bool(python.search(text))}) > 1:
            differ.append(f"U+{code_point:04X}")
    assert differ == []
