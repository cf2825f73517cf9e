"""The public HTTP API function (`api` target): health, creator search and reports, jobs, me/teams, credits."""

from __future__ import annotations

from typing import Literal

import functions_framework
from flask import Request
from pydantic import BaseModel
from werkzeug.wrappers import Response

from shared.http.openapi import serve_openapi
from shared.http.router import RequestContext, Router

router = Router(
    "Following Analytics API",
    description="Creator analytics for brands: search, reports, credits and billing.",
)
serve_openapi(router)
# Each module's routes load on the first request under one of its prefixes (Router.include): a cold instance
# imports the database layer, Stripe or the admin console only when a request needs them.
ROUTE_MODULES: dict[str, tuple[str, ...]] = {
    "functions.api.routes.creators": ("/v1/creators/", "/v1/jobs/"),
    "functions.api.routes.teams": ("/v1/me", "/v1/teams"),
    "functions.api.routes.credits": ("/v1/creators/", "/v1/credits/", "/v1/unlocks", "/v1/admin/credits/"),
    "functions.api.routes.billing": ("/v1/billing/", "/v1/signup/"),
    "functions.api.routes.watchlist": ("/v1/watchlist",),
    "functions.api.routes.catalogue": ("/v1/creators/", "/v1/discovery/"),
    "functions.api.routes.posts": ("/v1/posts",),
    "functions.api.routes.admin": ("/v1/admin/",),
}
for module, prefixes in ROUTE_MODULES.items():
    router.include(module, *prefixes)


class HealthOut(BaseModel):
    status: Literal["ok", "degraded"]
    database: Literal["ok", "unreachable"]


@router.get("/healthz", response=HealthOut, tags=("meta",))
def healthz(_ctx: RequestContext) -> HealthOut:
    """Liveness and the database's reachability."""
    from shared import health

    db_ok = health.database_ok()
    return HealthOut(status="ok" if db_ok else "degraded", database="ok" if db_ok else "unreachable")


@functions_framework.http
def api(request: Request) -> Response:
    return router(request)
