"""Text and JSON from outside, made safe before anything reaches Postgres or a model.

- Control characters in request input: refused with a 400 that names the field (Postgres cannot store NUL in
  text, and a NUL once answered 500). C0 controls and DEL are refused everywhere; tab, newline and carriage return
  only in fields a model marks with MULTILINE (`Field(json_schema_extra=MULTILINE)`). The router applies this to
  every JSON body, query parameter and path parameter, so no route has to remember it.
- Untrusted JSON (`parse_json`): Python's json recurses once per level and raised RecursionError, a 500, on a
  2 KB body of nested brackets; pydantic-core's parser stops at 200 levels with a ValueError, like any bad JSON.
- Vendor data (`storable`): what a scraper hands us is stored, not refused, so what Postgres cannot hold in text
  or JSONB (NUL, and a lone UTF-16 surrogate: half an emoji cut off by the sender) is repaired instead.
"""

from __future__ import annotations

import re
from typing import Any

import pydantic_core
from pydantic import BaseModel, JsonValue

from shared import errors

MULTILINE: dict[str, JsonValue] = {"x-multiline": True}
# Email fields: email-validator refuses special-use domains, which `format: email` alone would admit.
EMAIL_RULE = "an address that can receive mail (special-use domains such as .test or .invalid are refused)"
_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NOT_WHITESPACE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def parse_json(raw: bytes | str) -> Any:
    """The JSON value in `raw`; ValueError, naming line and column, for anything else: malformed JSON, nesting
    deeper than 200 levels, text that is not UTF-8, or an escaped lone surrogate (no string can hold one)."""
    return pydantic_core.from_json(raw)


def storable(value: Any) -> Any:
    """`value` (decoded JSON) with every string, keys included, fit for Postgres: NUL dropped, a lone surrogate
    replaced by U+FFFD (a surrogate pair left as two code points is joined). Other values come back as they are."""
    if isinstance(value, str):
        if _UNSTORABLE.search(value) is None:
            return value
        joined = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
        return joined.replace("\x00", "")
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [storable(item) for item in value]
    return value


def multiline_fields(model: type[BaseModel]) -> frozenset[str]:
    """Names of the fields (at any depth of nested models) that may hold tabs and line breaks."""
    names: set[str] = set()
    for name, field in model.model_fields.items():
        extra = field.json_schema_extra
        if isinstance(extra, dict) and extra.get("x-multiline"):
            names.add(field.alias or name)
        for nested in _models_in(field.annotation):
            names |= multiline_fields(nested)
    return frozenset(names)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in getattr(annotation, "__args__", ()) for m in _models_in(arg)]


def refuse_control_characters(value: Any, *, where: str, multiline: frozenset[str] = frozenset()) -> None:
    """InvalidInput naming every string (or object key) in `value` that holds a refused character."""
    found: list[dict[str, str]] = []
    _walk(value, (), multiline, found)
    if found:
        for problem in found:
            problem["location"] = where
        summary = "; ".join(f"{p['field'] or where}: {p['reason']}" for p in found)
        raise errors.InvalidInput(f"invalid {where}: {summary}", errors=found)


def _walk(value: Any, path: tuple[str, ...], multiline: frozenset[str], found: list[dict[str, str]]) -> None:
    """`path` names where `value` sits; its last non-index part is the field that decides about whitespace."""
    if isinstance(value, str):
        field = next((part for part in reversed(path) if not part.isdigit()), "")
        match = (_NOT_WHITESPACE if field in multiline else _ANY_CONTROL).search(value)
        if match:
            reason = f"holds the control character U+{ord(match.group()):04X}, which is not allowed here"
            found.append({"field": ".".join(path), "reason": reason})
    elif isinstance(value, dict):
        for key, item in value.items():
            _walk(str(key), (*path, "<key>"), multiline, found)
            _walk(item, (*path, str(key)), multiline, found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, (*path, str(index)), multiline, found)
