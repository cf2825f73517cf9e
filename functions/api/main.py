"""The public HTTP API function (`api` target): health, creator search and reports, jobs, me/teams, credits."""

from __future__ import annotations

from typing import Literal

import functions_framework
from flask import Request
from pydantic import BaseModel
from werkzeug.wrappers import Response

from functions.api.routes import admin as admin_routes
from functions.api.routes import billing as billing_routes
from functions.api.routes import catalogue as catalogue_routes
from functions.api.routes import creators as creators_routes
from functions.api.routes import credits as credits_routes
from functions.api.routes import posts as posts_routes
from functions.api.routes import teams as teams_routes
from functions.api.routes import watchlist as watchlist_routes
from shared import health
from shared.http.openapi import serve_openapi
from shared.http.router import RequestContext, Router

router = Router(
    "Following Analytics API",
    description="Creator analytics for brands: search, reports, credits and billing.",
)
serve_openapi(router)
creators_routes.register(router)
teams_routes.register(router)
credits_routes.register(router)
billing_routes.register(router)
watchlist_routes.register(router)
catalogue_routes.register(router)
posts_routes.register(router)
admin_routes.register(router)


class HealthOut(BaseModel):
    status: Literal["ok", "degraded"]
    database: Literal["ok", "unreachable"]


@router.get("/healthz", response=HealthOut, tags=("meta",))
def healthz(_ctx: RequestContext) -> HealthOut:
    """Liveness and the database's reachability."""
    db_ok = health.database_ok()
    return HealthOut(status="ok" if db_ok else "degraded", database="ok" if db_ok else "unreachable")


@functions_framework.http
def api(request: Request) -> Response:
    return router(request)
