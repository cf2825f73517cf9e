"""Router: matching, pydantic in/out, problem+json for every error, request ids, trace-aware JSON logs."""

from __future__ import annotations

import json
import logging

import pytest
from pydantic import BaseModel, Field
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from shared import errors
from shared.http.openapi import openapi_document
from shared.http.problems import STATUS, status_for
from shared.http.router import Cacheable, RequestContext, Router
from shared.logs import CloudLoggingFormatter, parse_trace_header

router = Router("test")


class EchoIn(BaseModel):
    name: str = Field(min_length=1, max_length=5)
    count: int = Field(ge=0)


class EchoOut(BaseModel):
    path_id: str
    name: str
    count: int


class Page(BaseModel):
    limit: int = Field(default=10, ge=1, le=100)


class Tags(BaseModel):
    tags: list[str] = Field(default_factory=list)


@router.post("/things/{thing_id}/echo", body=EchoIn, response=EchoOut, status=201)
def echo(ctx: RequestContext, thing_id: str, body: EchoIn) -> EchoOut:
    return EchoOut(path_id=thing_id, name=body.name, count=body.count)


@router.get("/things", query=Page, response=EchoOut)
def page(ctx: RequestContext, query: Page) -> EchoOut:
    return EchoOut(path_id="list", name="p", count=query.limit)


@router.get("/tags", query=Tags, response=Tags)
def tags(ctx: RequestContext, query: Tags) -> Tags:
    return query


@router.get("/fail/{kind}")
def fail(ctx: RequestContext, kind: str) -> None:
    if kind == "domain":
        raise errors.InsufficientCredits("needs 5 credits, wallet has 2")
    if kind == "rate":
        raise errors.RateLimited("slow down", retry_after_s=7)
    raise RuntimeError("database password is hunter2")


@router.get("/cached", etag=True)
def cached(ctx: RequestContext) -> Cacheable:
    return Cacheable('{"v": 1}', 'W/"v1"')


@router.post("/cached", etag=True)
def cached_by_post(ctx: RequestContext) -> Cacheable:
    return Cacheable('{"v": 1}', 'W/"v1"')


@router.get("/undeclared")
def undeclared(ctx: RequestContext) -> Cacheable:
    return Cacheable('{"v": 1}', 'W/"v1"')


def app(environ, start_response):  # type: ignore[no-untyped-def]
    return router(Request(environ))(environ, start_response)


client = Client(app, Response)


def test_path_params_body_and_status() -> None:
    response = client.post("/things/abc/echo", json={"name": "bo", "count": 2})
    assert response.status_code == 201
    assert response.json == {"path_id": "abc", "name": "bo", "count": 2}


def test_query_model() -> None:
    assert client.get("/things?limit=5").json["count"] == 5
    bad = client.get("/things?limit=500")
    assert bad.status_code == 400
    assert bad.json["errors"][0]["field"] == "limit"


def test_list_parameters_are_comma_separated_or_repeated() -> None:
    assert client.get("/tags").json == {"tags": []}
    assert client.get("/tags?tags=a,%20b").json == {"tags": ["a", "b"]}
    assert client.get("/tags?tags=a&tags=b,c").json == {"tags": ["a", "b", "c"]}


@pytest.mark.parametrize("query", ["tags=", "tags=a,", "tags=,a", "tags=a,,b", "tags=%20", "tags=a&tags="])
def test_an_empty_list_item_is_refused_as_the_document_says(query: str) -> None:
    """`?tags=` could mean an empty list or one empty item; the document says minItems 1 and the router refuses
    both readings, so "none" is the parameter left out."""
    response = client.get(f"/tags?{query}")
    assert response.status_code == 400
    assert response.json["errors"] == [
        {"location": "query", "field": "tags", "reason": response.json["errors"][0]["reason"]}
    ]
    assert "empty item" in response.json["detail"]
    [parameter] = openapi_document(router)["paths"]["/tags"]["get"]["parameters"]
    assert (parameter["style"], parameter["explode"], parameter["schema"]["minItems"]) == ("form", False, 1)


def test_body_validation_names_each_field() -> None:
    response = client.post("/things/abc/echo", json={"name": "toolongname", "count": -1})
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    fields = {e["field"] for e in response.json["errors"]}
    assert fields == {"name", "count"}
    assert "name" in response.json["detail"]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"name=x", "application/x-www-form-urlencoded"),
        (b"[" * 5000 + b"]" * 5000, "application/json"),  # 10 KB; Python's json raised RecursionError: a 500
        (b'{"name": ' * 990 + b"1" + b"}" * 990, "application/json"),
        (b'{"name": "\\udc4d"}', "application/json"),  # a lone surrogate: no string can hold it
    ],
    ids=["malformed", "a form", "arrays 5,000 deep", "objects 990 deep", "a lone surrogate"],
)
def test_malformed_bodies_are_400(body: bytes, content_type: str) -> None:
    response = client.post("/things/abc/echo", data=body, content_type=content_type)
    assert response.status_code == 400
    assert response.json["status"] == 400


def test_oversize_body_is_413() -> None:
    response = client.post("/things/abc/echo", data=b"x" * 1_100_000, content_type="application/json")
    assert response.status_code == 413


def test_unknown_path_and_wrong_method() -> None:
    assert client.get("/nothing").status_code == 404
    wrong = client.delete("/things")
    assert wrong.status_code == 405
    assert wrong.headers["Allow"] == "GET"


def test_domain_error_is_problem_json() -> None:
    response = client.get("/fail/domain", headers={"X-Request-Id": "req-12345678"})
    assert response.status_code == 402
    assert response.json == {
        "type": "https://following.ae/problems/insufficient_credits",
        "title": "Insufficient credits",
        "status": 402,
        "detail": "needs 5 credits, wallet has 2",
        "code": "insufficient_credits",
        "instance": "/fail/domain",
        "request_id": "req-12345678",
    }
    assert response.headers["X-Request-Id"] == "req-12345678"


def test_retry_after_header() -> None:
    response = client.get("/fail/rate")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"


def test_unexpected_error_is_500_without_internals(caplog: pytest.LogCaptureFixture) -> None:
    response = client.get("/fail/boom")
    assert response.status_code == 500
    assert "hunter2" not in response.get_data(as_text=True)
    assert response.json["request_id"] == response.headers["X-Request-Id"]


def test_bad_request_ids_are_replaced() -> None:
    response = client.get("/things", headers={"X-Request-Id": "<script>"})
    assert response.headers["X-Request-Id"] != "<script>"
    assert len(response.headers["X-Request-Id"]) == 32


def test_every_domain_error_has_a_4xx_or_503_status() -> None:
    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.DomainError)]
    for cls in classes:
        if cls is errors.DomainError:
            continue
        assert status_for(cls("x")) in {s for _, s in STATUS}, cls


def test_trace_headers() -> None:
    assert parse_trace_header("105445aa7843bc8bf206b12000100000/1;o=1") == ("105445aa7843bc8bf206b12000100000", "1")
    assert parse_trace_header("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01") == (
        "4bf92f3577b34da6a3ce929d0e0e4736",
        "00f067aa0ba902b7",
    )
    assert parse_trace_header("not a trace") == (None, None)
    assert parse_trace_header(None) == (None, None)


def test_request_log_line_is_cloud_logging_json(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="http"):
        client.get("/things", headers={"X-Cloud-Trace-Context": "abcdef0123456789abcdef0123456789/42;o=1"})
    record = next(r for r in caplog.records if getattr(r, "httpRequest", {}).get("requestUrl") == "/things")
    entry = json.loads(CloudLoggingFormatter().format(record))
    assert entry["severity"] == "INFO"
    assert entry["httpRequest"]["status"] == 200
    assert entry["logging.googleapis.com/trace"].endswith("/traces/abcdef0123456789abcdef0123456789")
    assert entry["logging.googleapis.com/spanId"] == "42"
    assert entry["request_id"]


def test_formatter_keeps_extra_fields_and_stack_traces() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed %s", ("job",), exc_info=True)
        import sys

        record.exc_info = sys.exc_info()
    record.job_id = "j-1"
    entry = json.loads(CloudLoggingFormatter().format(record))
    assert entry["severity"] == "ERROR"
    assert entry["message"] == "failed job"
    assert entry["job_id"] == "j-1"
    assert "ValueError: boom" in entry["stack_trace"]


def _server_error(severity: str) -> Exception:
    """What SQLAlchemy raises for a pg8000 error carrying the server's message (FATAL: the session is gone)."""
    import pg8000.exceptions
    from sqlalchemy.exc import OperationalError

    message = {"S": severity, "V": severity, "C": "57P01", "M": "terminating connection due to administrator command"}
    return OperationalError("SELECT 1", {}, pg8000.exceptions.DatabaseError(message))


calls: list[str] = []


@router.get("/ended/{severity}")
def ended(ctx: RequestContext, severity: str) -> None:
    calls.append(severity)
    if len(calls) == 1:
        raise _server_error(severity)


@pytest.mark.usefixtures("db")  # the retry drops the engine's pooled connections
@pytest.mark.parametrize(("severity", "status", "tries"), [("FATAL", 204, 2), ("ERROR", 500, 1)])
def test_a_read_whose_session_the_server_ended_is_tried_once_more(severity: str, status: int, tries: int) -> None:
    calls.clear()
    assert client.get(f"/ended/{severity}").status_code == status
    assert calls == [severity] * tries


@pytest.mark.parametrize(
    ("method", "if_none_match", "status"),
    [
        ("GET", 'W/"v1"', 304),
        ("GET", '"v1"', 304),
        ("HEAD", 'W/"v1"', 304),
        ("GET", 'W/"v0"', 200),
        ("POST", 'W/"v1"', 200),  # a POST is not revalidated (RFC 9110 allows 304 for GET and HEAD)
    ],
)
def test_a_cacheable_answer_carries_its_etag_and_revalidates_on_get_and_head(
    method: str, if_none_match: str, status: int
) -> None:
    response = client.open("/cached", method=method, headers={"If-None-Match": if_none_match})
    assert response.status_code == status and response.headers["ETag"] == 'W/"v1"'
    assert response.get_data() == (b'{"v": 1}' if status == 200 and method != "HEAD" else b"")


def test_a_cacheable_answer_from_a_route_not_declared_etag_is_a_500(caplog: pytest.LogCaptureFixture) -> None:
    assert client.get("/undeclared").status_code == 500
    assert "declare etag=True" in caplog.text


def test_the_document_shows_the_etag_and_the_304_a_declared_get_allows() -> None:
    operations = openapi_document(router)["paths"]["/cached"]
    get, post = operations["get"], operations["post"]
    assert [p["name"] for p in get["parameters"]] == ["If-None-Match"] and "304" in get["responses"]
    assert "ETag" in get["responses"]["200"]["headers"] and "ETag" in get["responses"]["304"]["headers"]
    assert post["parameters"] == [] and "304" not in post["responses"] and "ETag" in post["responses"]["200"]["headers"]
