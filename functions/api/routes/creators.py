"""Creator search, the report, and job progress (JSON and Server-Sent Events)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from werkzeug.wrappers import Response

from functions.api import deps
from shared.auth import service as auth_service
from shared.creators import search as search_flow
from shared.creators.schemas import normalize_username
from shared.db import session_scope
from shared.http.router import Reply, RequestContext, Router
from shared.jobs import service as jobs_service
from shared.jobs import stream as jobs_stream
from shared.jobs.schemas import JobOut


class SearchQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    refresh: bool = False


def _job(ctx: RequestContext, raw: str) -> JobOut:
    with session_scope() as db:
        _, scope = deps.scope(ctx, db)
        job = jobs_service.get_for_team(db_session=db, scope=scope, job_id=deps.parse_uuid(raw, "job id"))
        return JobOut.model_validate(job)


def register(router: Router) -> None:
    @router.post(
        "/v1/creators/{username}/search",
        query=SearchQuery,
        response=search_flow.SearchOut,
        statuses=(202,),
        tags=("creators",),
    )
    def search(ctx: RequestContext, username: str, query: SearchQuery) -> search_flow.SearchOut | Reply:
        """200 with the report or a preview when we hold fresh data, else 202 with the (shared) scrape job."""
        name = normalize_username(username)
        with session_scope() as db:
            who, scope = deps.scope(ctx, db)
            auth_service.require_registered(who)
            outcome = search_flow.search(db_session=db, scope=scope, username=name, refresh=query.refresh)
        return Reply(outcome, 202) if outcome.kind == "job" else outcome

    @router.get("/v1/creators/{username}", response=search_flow.SearchOut, tags=("creators",))
    def creator_report(ctx: RequestContext, username: str) -> search_flow.SearchOut:
        """The full report when the caller's team has the creator unlocked, else the preview and its price."""
        name = normalize_username(username)
        with session_scope() as db:
            _, scope = deps.scope(ctx, db)
            return search_flow.view_by_username(db_session=db, scope=scope, username=name)

    @router.get("/v1/jobs/{job_id}", response=JobOut, tags=("creators",))
    def job_status(ctx: RequestContext, job_id: str) -> JobOut:
        """Status and per-stage progress of a search job the caller's team searched into."""
        return _job(ctx, job_id)

    @router.get("/v1/jobs/{job_id}/events", tags=("creators",))
    def job_events(ctx: RequestContext, job_id: str) -> Response:
        """Server-Sent Events: a `progress` event whenever the job changes, then `end` at a terminal state."""
        first = _job(ctx, job_id)
        return Response(
            jobs_stream.progress_events(first, lambda: _job(ctx, job_id)),
            mimetype="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
