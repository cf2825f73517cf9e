"""A small router for HTTP functions: method + path template -> handler, pydantic in and out.

Every response carries X-Request-Id; every error leaves as problem+json (shared.http.problems);
every request is logged once with Cloud Logging's httpRequest fields.
"""

from __future__ import annotations

import functools
import importlib
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, get_origin
from urllib.parse import quote, unquote, urlsplit

from pydantic import BaseModel, ValidationError
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request, Response

from shared import errors, process
from shared.etags import none_match_holds
from shared.http import cors
from shared.http.problems import InternalError, MethodNotAllowed, PayloadTooLarge, problem_response
from shared.logs import LogContext, bind_context, configure_logging, parse_trace_header
from shared.text import multiline_fields, parse_json, refuse_control_characters

log = logging.getLogger("http")
MAX_BODY_BYTES = 1_048_576
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,128}$")


@dataclass(frozen=True)
class RequestContext:
    request: Request
    request_id: str

    def header(self, name: str) -> str | None:
        return self.request.headers.get(name)


@dataclass(frozen=True)
class Reply:
    """A result whose status depends on the outcome (202 when a search started a job instead of answering).

    Its route lists the status in `statuses` so the OpenAPI document shows it."""

    body: BaseModel
    status: int


@dataclass(frozen=True)
class Cacheable:
    """A JSON body served as it is (already validated when it was stored) with an ETag: the router answers
    If-None-Match with 304 and no body."""

    body: str | None  # JSON text; None only when the caller's If-None-Match holds
    etag: str
    cache_control: str = "private, no-cache"  # each use revalidates; a 304 costs one small query


Handler = Callable[..., BaseModel | list[BaseModel] | Reply | Cacheable | Response | None]


@dataclass
class Route:
    method: str
    template: str
    handler: Handler
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    statuses: tuple[int, ...] = ()  # other success statuses a Reply may carry, same response model
    etag: bool = False  # its success answer (a Cacheable) carries an ETag; a GET answers If-None-Match with 304
    summary: str = ""
    tags: tuple[str, ...] = ()
    pattern: re.Pattern[str] = field(init=False)
    params: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.params = tuple(re.findall(r"{(\w+)}", self.template))
        regex = re.sub(r"{(\w+)}", r"(?P<\1>[^/]*)", re.escape(self.template).replace(r"\{", "{").replace(r"\}", "}"))
        self.pattern = re.compile(f"^{regex}$")


def _conditional(request: Request, result: Cacheable) -> Response:
    """304 for a GET or HEAD whose If-None-Match holds. A POST that answers with a report (a search that found fresh
    data) is not revalidated: its ETag is the report's, not the search's, and a 304 to a POST would tell the caller
    nothing it could use (RFC 9110 §13.1.2 allows 304 for GET and HEAD only)."""
    headers = {"ETag": result.etag, "Cache-Control": result.cache_control, "Vary": "Authorization, X-Team-Id"}
    conditional = request.method in ("GET", "HEAD")
    if result.body is None or (conditional and none_match_holds(result.etag, request.headers.get("If-None-Match", ""))):
        return Response(status=304, headers=headers)
    return Response(result.body, status=200, mimetype="application/json", headers=headers)


def query_values(model: type[BaseModel], args: MultiDict[str, str]) -> dict[str, Any]:
    """Query parameters for `model`: a list field takes comma-separated values, repeated or not
    (`?a=x,y` or `?a=x&a=y`); any other field its first value. A list holds at least one item (the document says
    minItems 1): an empty item (`?a=`, `?a=x,`) is refused, as "no filter" is the parameter left out."""
    values: dict[str, Any] = {}
    for name in args:
        field = model.model_fields.get(name)
        if field is not None and get_origin(field.annotation) is list:
            values[name] = [part.strip() for raw in args.getlist(name) for part in raw.split(",")]
            if "" in values[name]:
                reason = "an empty item in a comma-separated list; leave the parameter out for none"
                details = [{"location": "query", "field": name, "reason": reason}]
                raise errors.InvalidInput(f"invalid query: {name}: {reason}", errors=details)
        else:
            values[name] = args.get(name)
    return values


def validation_problem(exc: ValidationError, where: str) -> errors.InvalidInput:
    """A 400 that names each invalid field and why."""
    details = [{"location": where, "field": ".".join(map(str, e["loc"])), "reason": e["msg"]} for e in exc.errors()]
    summary = "; ".join(f"{d['field'] or where}: {d['reason']}" for d in details)
    return errors.InvalidInput(f"invalid {where}: {summary}", errors=details)


def _connection_lost(exc: Exception) -> bool:
    """A socket error, or a database error SQLAlchemy marked as a lost connection or that carries the server's
    FATAL (shared.db.read_scope raises ConnectionError for its own). (SQLAlchemy is imported only here, once
    something failed: a cold instance does not pay for it before its first database request.)"""
    if isinstance(exc, ConnectionError):
        return True
    from sqlalchemy.exc import DBAPIError

    from shared.db import server_ended_session

    return isinstance(exc, DBAPIError) and (bool(exc.connection_invalidated) or server_ended_session(exc.orig))


class Router:
    """Routes of one HTTP function; call it with a werkzeug/flask Request."""

    def __init__(self, title: str, version: str = "0.1.0", description: str = "") -> None:
        self.title, self.version, self.description = title, version, description
        self._routes: list[Route] = []
        self._pending: list[tuple[str, tuple[str, ...]]] = []
        self._loading = threading.Lock()

    def route(self, method: str, template: str, **options: Any) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self._routes.append(Route(method.upper(), template, handler, **options))
            return handler

        return register

    def include(self, module: str, *prefixes: str) -> None:
        """The routes of `module` (its `register(router)`), imported on the first request whose path starts with one
        of `prefixes`, or when the whole table is needed (OpenAPI, a path no loaded route matches). A cold instance
        then imports only what its first requests use: the API's cold start, which every scale-from-zero pays.
        tests/functions/test_lazy_routes.py checks each route is reached through its module's prefixes."""
        self._pending.append((module, prefixes))

    @property
    def routes(self) -> list[Route]:
        """Every route, every included module loaded."""
        self._load(lambda _prefixes: True)
        return self._routes

    def load_for(self, path: str) -> None:
        """Load the included modules whose prefixes `path` is under (what a request to it loads first)."""
        self._load(lambda prefixes: path.startswith(prefixes))

    def _load(self, wanted: Callable[[tuple[str, ...]], bool]) -> None:
        if not self._pending:
            return
        with self._loading:
            for module, prefixes in list(self._pending):
                if wanted(prefixes):
                    importlib.import_module(module).register(self)
                    self._pending.remove((module, prefixes))

    def get(self, template: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("GET", template, **options)

    def post(self, template: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("POST", template, **options)

    def _methods_for(self, request: Request) -> list[str]:
        return [route.method for route, _ in self._matching(self._raw_path(request))]

    def _matching(self, path: str) -> list[tuple[Route, dict[str, str]]]:
        """Routes whose template matches `path`; a literal segment beats a parameter (`/v1/posts/analyze` is not
        the post called "analyze"), so when any route matches with fewer parameters, only those count."""
        self.load_for(path)
        found = [(route, m.groupdict()) for route in self._routes if (m := route.pattern.match(path))]
        if not found and self._pending:
            found = [(route, m.groupdict()) for route in self.routes if (m := route.pattern.match(path))]
        fewest = min((len(route.params) for route, _ in found), default=0)
        return [(route, params) for route, params in found if len(route.params) == fewest]

    def _match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        allowed = []
        for route, params in self._matching(path):
            if route.method == method or (method == "HEAD" and route.method == "GET"):
                return route, params
            allowed.append(route.method)
        if allowed:
            raise MethodNotAllowed(f"{method} is not allowed on {path}", allow=sorted(set(allowed)))
        raise errors.NotFound(f"no route for {method} {path}")

    @staticmethod
    def _raw_path(request: Request) -> str:
        """The path as sent, so that an encoded '/' inside a parameter stays inside it."""
        raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
        if not raw:
            return quote(request.path)
        return urlsplit(raw).path

    def _call(self, ctx: RequestContext, request: Request) -> Response:
        route, params = self._match(request.method, self._raw_path(request))
        kwargs: dict[str, Any] = {name: unquote(value) for name, value in params.items()}
        refuse_control_characters(kwargs, where="path")
        refuse_control_characters(request.args.to_dict(flat=False), where="query")
        if route.query is not None:
            try:
                kwargs["query"] = route.query.model_validate(query_values(route.query, request.args))
            except ValidationError as exc:
                raise validation_problem(exc, "query") from exc
        if route.body is not None:
            kwargs["body"] = self._body(route.body, request)
        result = route.handler(ctx, **kwargs)
        if isinstance(result, Response):
            return result
        if isinstance(result, Cacheable):
            if not route.etag:  # what the OpenAPI document says of the route must hold
                raise TypeError(f"{route.method} {route.template} answers with a Cacheable: declare etag=True")
            return _conditional(request, result)
        if result is None:
            return Response(status=204 if route.status == 200 else route.status)
        status = route.status
        if isinstance(result, Reply):
            status = result.status
            result = result.body
        payload = (
            [r.model_dump(mode="json") for r in result] if isinstance(result, list) else result.model_dump(mode="json")
        )
        return Response(json.dumps(payload), status=status, mimetype="application/json")

    def _call_once_more_on_lost_connection(self, ctx: RequestContext, request: Request) -> Response:
        """A read whose database connection died under it (a Supabase restart, a pooler failover) is tried once
        more on a fresh connection: it costs the caller one retry, not a 500. A write is not retried here (its
        COMMIT may have landed before the connection died): it answers 503 with Retry-After, and the caller's
        retry runs on a fresh connection."""
        try:
            return self._call(ctx, request)
        except Exception as exc:
            if not _connection_lost(exc):
                raise
            # After a restart every pooled connection is dead: drop them all, so the next try connects afresh.
            from shared.db import get_engine

            get_engine().dispose()
            if request.method not in ("GET", "HEAD"):
                log.warning("database connection lost during a write", extra={"error": repr(exc)})
                raise errors.Unavailable(
                    "the database connection was lost during this request; retry it", retry_after_s=1
                ) from exc
            log.warning("database connection lost during a read; retrying once", extra={"error": repr(exc)})
            return self._call(ctx, request)

    @staticmethod
    def _body(model: type[BaseModel], request: Request) -> BaseModel:
        if (request.content_length or 0) > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"body exceeds {MAX_BODY_BYTES} bytes")
        if request.mimetype != "application/json":
            raise errors.InvalidInput("body must be application/json")
        raw = request.get_data(cache=True) or b"{}"
        try:
            parsed = parse_json(raw)
        except ValueError as exc:
            raise errors.InvalidInput(f"body is not JSON: {exc}") from exc
        refuse_control_characters(parsed, where="body", multiline=multiline_fields(model))
        try:
            return model.model_validate_json(raw)
        except ValidationError as exc:
            raise validation_problem(exc, "body") from exc

    def __call__(self, request: Request) -> Response:
        configure_logging()
        incoming = request.headers.get("X-Request-Id", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        trace_id, span_id = parse_trace_header(
            request.headers.get("X-Cloud-Trace-Context") or request.headers.get("traceparent")
        )
        bind_context(LogContext(request_id=request_id, trace_id=trace_id, span_id=span_id))
        started = time.perf_counter()
        try:
            methods = functools.partial(self._methods_for, request)  # matched only for a preflight
            response = cors.preflight(request, methods) or self._call_once_more_on_lost_connection(
                RequestContext(request, request_id), request
            )
        except errors.DomainError as exc:
            response = problem_response(exc, request_id=request_id, instance=request.path)
        except Exception:
            log.exception("unhandled error")
            response = problem_response(
                InternalError("an internal error occurred; quote the request id when reporting it"),
                request_id=request_id,
                instance=request.path,
            )
        response.headers["X-Request-Id"] = request_id
        cors.decorate(request, response)
        elapsed = time.perf_counter() - started
        log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "httpRequest": {
                    "requestMethod": request.method,
                    "requestUrl": request.path,
                    "status": response.status_code,
                    "latency": f"{elapsed:.6f}s",
                    "userAgent": request.headers.get("User-Agent", ""),
                }
            },
        )
        process.settle()
        return response
