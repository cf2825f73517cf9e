"""OpenAPI 3.1 from a Router's routes and pydantic models (JSON Schema 2020-12, as 3.1 expects)."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from werkzeug.wrappers import Response

from shared.creators.schemas import USERNAME_PATTERN
from shared.http.problems import Problem
from shared.http.router import RequestContext, Route, Router

REF = "#/components/schemas/{model}"
Mode = Literal["validation", "serialization"]
USERNAME = {  # Instagram's rules, as shared.creators.schemas enforces them (case is folded)
    "type": "string",
    "pattern": USERNAME_PATTERN,
    "minLength": 1,
    "maxLength": 30,
}
UUID = {"type": "string", "format": "uuid"}
# Path parameters by name: a generated client knows a username's pattern and an id's format.
SHORTCODE = {"type": "string", "pattern": "^[A-Za-z0-9_-]{5,40}$"}
PATH_PARAMETERS: dict[str, dict[str, Any]] = {
    "username": USERNAME,
    "job_id": UUID,
    "team_id": UUID,
    "user_id": UUID,
    "shortcode": SHORTCODE,
    "message_id": {"type": "string", "pattern": "^[0-9]{1,30}$"},
}


# A route whose answer is a Cacheable (Route.etag): its ETag, and for a GET the revalidation it allows.
ETAG_HEADERS = {
    "ETag": {
        "description": "A weak tag of the stored version, the caller's unlock state and the data's freshness.",
        "schema": {"type": "string"},
    }
}
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "ETags the caller holds (weak comparison, a comma-separated list, or *): 304 when one is current.",
    "schema": {"type": "string"},
}
NOT_MODIFIED = {"description": "Not Modified: the copy the If-None-Match names is current.", "headers": ETAG_HEADERS}


def _models(router: Router) -> list[tuple[type[BaseModel], Mode]]:
    wanted: list[tuple[type[BaseModel], Mode]] = [(Problem, "serialization")]
    for route in router.routes:
        for model, mode in (
            (route.body, "validation"),
            (route.query, "validation"),
            (route.response, "serialization"),
        ):
            if model is not None and (model, mode) not in wanted:
                wanted.append((model, mode))  # type: ignore[arg-type]
    return wanted


# What shared.text refuses in every text input, said in the document, so a client (or a fuzzer) knows it.
NO_CONTROL = "^[^\\u0000-\\u001f\\u007f]*$"
NO_CONTROL_MULTILINE = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$"  # tab, LF, CR allowed


def _printable(node: Any, defs: dict[str, Any], seen: set[str], multiline: bool = False) -> None:
    """Give every free-text string of a request schema the control-character rule (in place)."""
    if isinstance(node, list):
        for item in node:
            _printable(item, defs, seen, multiline)
        return
    if not isinstance(node, dict):
        return
    multiline = multiline or bool(node.get("x-multiline"))
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            _printable(defs.get(name), defs, seen)
        return
    if node.get("type") == "string" and not {"pattern", "format", "enum", "const"} & set(node):
        node["pattern"] = NO_CONTROL_MULTILINE if multiline else NO_CONTROL
    for key, value in node.items():
        if key in ("properties", "items", "anyOf", "oneOf", "allOf", "additionalProperties", "prefixItems"):
            children = value.values() if key == "properties" and isinstance(value, dict) else [value]
            for child in children:
                _printable(child, defs, seen, multiline)


def _summary(route: Route) -> str:
    if route.summary:
        return route.summary
    doc = (route.handler.__doc__ or "").strip().splitlines()
    return doc[0] if doc else route.handler.__name__.replace("_", " ")


def openapi_document(router: Router) -> dict[str, Any]:
    """The OpenAPI 3.1 document of one router."""
    refs, defs = models_json_schema(_models(router), ref_template=REF)
    components, seen = defs.get("$defs", {}), set[str]()
    for route in router.routes:
        if route.body is not None:
            _printable(refs[(route.body, "validation")], components, seen)
    problem = {"application/problem+json": {"schema": refs[(Problem, "serialization")]}}
    paths: dict[str, dict[str, Any]] = {}
    for route in router.routes:
        parameters: list[dict[str, Any]] = [
            {"name": p, "in": "path", "required": True, "schema": PATH_PARAMETERS.get(p, {"type": "string"})}
            for p in route.params
        ]
        if route.query is not None:
            schema = route.query.model_json_schema(ref_template=REF)
            required = set(schema.get("required", []))
            for name, prop in schema.get("properties", {}).items():
                _printable(prop, components, seen)
                parameter = {"name": name, "in": "query", "required": name in required, "schema": prop}
                if prop.get("type") == "array":  # comma-separated, as the router reads them (query_values)
                    parameter.update(style="form", explode=False)
                    prop["minItems"] = 1  # `?a=` would be an empty list or one empty item: the router refuses it
                parameters.append(parameter)
        operation: dict[str, Any] = {
            "operationId": route.handler.__name__,
            "summary": _summary(route),
            "tags": list(route.tags),
            "parameters": parameters,
            "responses": {"default": {"description": "Problem (RFC 9457)", "content": problem}},
        }
        if route.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": refs[(route.body, "validation")]}},
            }
        ok: dict[str, Any] = {"description": "Success"}
        if route.response is not None:
            ok["content"] = {"application/json": {"schema": refs[(route.response, "serialization")]}}
        for status in (route.status, *route.statuses):
            operation["responses"][str(status)] = ok
        if route.etag:
            operation["responses"][str(route.status)] = {**ok, "headers": ETAG_HEADERS}
            if route.method == "GET":
                parameters.append(IF_NONE_MATCH)
                operation["responses"]["304"] = NOT_MODIFIED
        paths.setdefault(route.template, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": router.title, "version": router.version, "description": router.description},
        "paths": paths,
        "components": {"schemas": components},
    }


def serve_openapi(router: Router) -> None:
    """Register GET /openapi.json on the router."""

    def openapi_json(_ctx: RequestContext) -> Response:
        """The OpenAPI 3.1 document of this API."""
        return Response(json.dumps(openapi_document(router)), mimetype="application/json")

    router.get("/openapi.json", tags=("meta",))(openapi_json)
