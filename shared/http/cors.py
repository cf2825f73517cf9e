"""CORS for the browser frontend, which runs on its own origin.

Allowed origins are exact (settings `cors_origins`; a wildcard is refused outside local and test). We
authenticate with bearer tokens, never cookies, so no `Access-Control-Allow-Credentials`: a page from another
origin gains nothing a script outside a browser would not have. A preflight from an origin not on the list is
answered 403 (problem+json); a plain request from one gets its answer without CORS headers, which the browser
then withholds from the page.

Server-Sent Events: `EventSource` cannot send an Authorization header, so the frontend reads
`/v1/jobs/{id}/events` with `fetch()` and a stream reader (e.g. @microsoft/fetch-event-source), sending the
same bearer token. No token ever travels in a URL, where access logs and browser history would keep it.
"""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.wrappers import Request, Response

from shared import errors
from shared.config import get_settings

ALLOW_HEADERS = "Authorization, Content-Type, X-Team-Id, If-None-Match, X-Request-Id, Last-Event-ID"
EXPOSE_HEADERS = "ETag, X-Request-Id, Retry-After, Location"
MAX_AGE_S = "600"


class OriginNotAllowed(errors.Forbidden):
    pass


def _allowed(origin: str) -> bool:
    origins = get_settings().cors_origins
    return origin in origins or "*" in origins


def preflight(request: Request, methods: Callable[[], list[str]]) -> Response | None:
    """The answer to a CORS preflight (OPTIONS with Access-Control-Request-Method); None for anything else.
    `methods` (the path's routes, matched only for a preflight) fills Access-Control-Allow-Methods."""
    if request.method != "OPTIONS" or "Access-Control-Request-Method" not in request.headers:
        return None
    origin = request.headers.get("Origin", "")
    if not _allowed(origin):
        raise OriginNotAllowed(f"origin {origin or '(none)'!r} is not allowed to call this API")
    return Response(
        status=204,
        headers={
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": ", ".join(sorted({*methods(), "OPTIONS"})),
            "Access-Control-Allow-Headers": ALLOW_HEADERS,
            "Access-Control-Max-Age": MAX_AGE_S,
            "Vary": "Origin",
        },
    )


def decorate(request: Request, response: Response) -> None:
    """CORS headers on an answer to an allowed origin (problems included, so the page can read the reason)."""
    origin = request.headers.get("Origin")
    if not get_settings().cors_origins:
        return
    response.vary.add("Origin")
    if origin and _allowed(origin):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
