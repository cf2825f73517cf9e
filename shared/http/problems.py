"""Domain errors to RFC 9457 problem+json: the one place where they become HTTP responses."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from werkzeug.wrappers import Response

from shared import errors

PROBLEM_BASE = "https://following.ae/problems/"
PROBLEM_TYPE = "application/problem+json"


class MethodNotAllowed(errors.InvalidInput):
    title = "Method not allowed"
    code = "method_not_allowed"


class PayloadTooLarge(errors.InvalidInput):
    title = "Payload too large"
    code = "payload_too_large"


class InternalError(errors.DomainError):
    title = "Internal error"
    code = "internal_error"


# Most specific first: the first matching class decides the status.
STATUS: tuple[tuple[type[errors.DomainError], int], ...] = (
    (MethodNotAllowed, 405),
    (PayloadTooLarge, 413),
    (errors.InvalidInput, 400),
    (errors.Unauthorized, 401),
    (errors.InsufficientCredits, 402),
    (errors.Forbidden, 403),
    (errors.NotFound, 404),
    (errors.Conflict, 409),
    (errors.RateLimited, 429),
    (errors.Unavailable, 503),
)


class Problem(BaseModel):
    """RFC 9457 problem details, plus the request id and a stable machine-readable code."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
    request_id: str | None = None
    errors: list[dict[str, Any]] | None = None


def status_for(exc: errors.DomainError) -> int:
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 500


def problem_response(exc: errors.DomainError, *, request_id: str | None, instance: str | None) -> Response:
    """A problem+json response for a domain error (headers such as Retry-After from exc.extra)."""
    problem, headers = problem_parts(exc, request_id=request_id, instance=instance)
    response = Response(problem.model_dump_json(exclude_none=True), status=problem.status, mimetype=PROBLEM_TYPE)
    response.headers.extend(headers)
    return response


def problem_parts(
    exc: errors.DomainError, *, request_id: str | None, instance: str | None
) -> tuple[Problem, dict[str, str]]:
    """The problem document and extra headers of a domain error, for any web framework."""
    status = status_for(exc)
    problem = Problem(
        type=PROBLEM_BASE + exc.code,
        title=exc.title,
        status=status,
        detail=exc.detail,
        code=exc.code,
        instance=instance,
        request_id=request_id,
        errors=exc.extra.get("errors"),
    )
    headers = {}
    if "retry_after_s" in exc.extra:
        headers["Retry-After"] = str(int(exc.extra["retry_after_s"]))
    if "allow" in exc.extra:
        headers["Allow"] = ", ".join(exc.extra["allow"])
    return problem, headers
