"""Every text field of every JSON body in docs/openapi.json refuses NUL and other C0 controls with a 400
problem naming the field; tabs and newlines pass only in fields marked multiline. Postgres cannot store NUL
in text, and a NUL once answered 500 (`POST /v1/teams {"name": "\\u0000x"}`)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

DOCUMENT = json.loads((Path(__file__).resolve().parents[2] / "docs" / "openapi.json").read_text())
SCHEMAS = DOCUMENT["components"]["schemas"]
REFUSED = ("\u0000", "\u0007", "\u001b", "\u007f")


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def example(schema: dict[str, Any]) -> Any:
    """A value the schema accepts: the first enum or const, a well-formed format, a minimal length."""
    schema = _resolve(schema)
    for choice in ("anyOf", "oneOf"):
        if choice in schema:
            options = [o for o in schema[choice] if _resolve(o).get("type") != "null"]
            return example(options[0])
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema and schema.get("type") != "object":
        return schema["default"]
    kind = schema.get("type")
    if kind == "object":
        return {name: example(prop) for name, prop in schema.get("properties", {}).items()}
    if kind == "array":
        return [example(schema.get("items", {}))] * max(1, schema.get("minItems", 1))
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return True
    return {"email": "someone@example.org", "uuid": str(uuid.uuid4())}.get(
        schema.get("format", ""), "a" * max(3, schema.get("minLength", 3))
    )


def string_paths(schema: dict[str, Any], value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Where `value` (an example of `schema`) holds strings that are free text (not an enum or const)."""
    schema = _resolve(schema)
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for name, item in value.items():
            yield from string_paths(properties.get(name, {}), item, (*path, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from string_paths(schema.get("items", {}), item, (*path, index))
    elif isinstance(value, str):
        yield path


def poisoned(body: Any, path: tuple[Any, ...], text: str) -> Any:
    copy = json.loads(json.dumps(body))
    target = copy
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = text
    return copy


def cases() -> Iterator[Any]:
    for template, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if not content:
                continue
            body = example(content["schema"])
            for path in string_paths(content["schema"], body):
                for character in REFUSED:
                    name = f"{method} {template} {'.'.join(map(str, path))} U+{ord(character):04X}"
                    yield pytest.param(method, template, body, path, character, id=name)


CASES = list(cases())


def test_the_table_covers_every_text_field_of_the_bodies() -> None:
    fields = {(c.values[0], c.values[1], c.values[3]) for c in CASES}
    assert ("post", "/v1/teams", ("name",)) in fields
    assert ("post", "/v1/admin/credits/grants", ("reason",)) in fields
    assert len(fields) >= 8


@pytest.mark.parametrize(("method", "template", "body", "path", "character"), CASES)
def test_control_characters_in_any_body_text_answer_400(
    api: Any, bearer: Callable[..., dict[str, str]], method: str, template: str, body: Any, path: tuple, character: str
) -> None:
    url = template.replace("{team_id}", str(uuid.uuid4())).replace("{username}", "someone")
    url = url.replace("{user_id}", str(uuid.uuid4())).replace("{job_id}", str(uuid.uuid4()))
    response = api.open(url, method=method.upper(), json=poisoned(body, path, f"{character}x"), headers=bearer())
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    problem = response.json
    assert {"location": "body", "field": ".".join(map(str, path))} == {
        k: problem["errors"][0][k] for k in ("location", "field")
    }
    assert f"U+{ord(character):04X}" in problem["errors"][0]["reason"]


def test_a_team_name_with_nul_is_refused_before_postgres(api: Any, bearer: Callable[..., dict[str, str]]) -> None:
    response = api.post("/v1/teams", json={"name": "\u0000x"}, headers=bearer())
    assert response.status_code == 400
    assert response.json["errors"][0]["field"] == "name"
    assert api.post("/v1/teams", json={"name": "Tab\tTeam"}, headers=bearer()).status_code == 400
    assert api.post("/v1/teams", json={"name": "Brand team"}, headers=bearer()).status_code == 201


def test_multiline_fields_take_line_breaks_but_not_nul(api: Any, bearer: Callable[..., dict[str, str]]) -> None:
    grant = {"team_id": str(uuid.uuid4()), "amount": 5, "idempotency_key": "grant-0001", "reason": "line one\nline two"}
    # Not an admin: the body passes the text check and the route answers 403.
    assert api.post("/v1/admin/credits/grants", json=grant, headers=bearer()).status_code == 403
    nul = api.post("/v1/admin/credits/grants", json={**grant, "reason": "a\u0000b"}, headers=bearer())
    assert nul.status_code == 400


def test_control_characters_in_path_and_query_answer_400(api: Any, bearer: Callable[..., dict[str, str]]) -> None:
    assert api.get("/v1/creators/a%00b", headers=bearer()).status_code == 400
    response = api.get("/v1/credits/transactions?before_id=1%00", headers=bearer())
    assert response.status_code == 400
    assert response.json["errors"][0]["location"] == "query"
