"""Creator search, the report, and job progress (JSON and Server-Sent Events)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from werkzeug.wrappers import Response

from functions.api import deps
from shared.auth import service as auth_service
from shared.creators import reads
from shared.creators import search as search_flow
from shared.creators.schemas import normalize_username
from shared.db import read_scope, session_scope
from shared.http.router import Cacheable, Reply, RequestContext, Router
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


def _progress(ctx: RequestContext, raw: str, last_etag: str | None = None) -> jobs_stream.Progress:
    """The job, and the ETag its creator's report has for the caller's team (one more statement; the report itself
    stays in the database while `last_etag`, the last one the stream sent, still holds)."""
    with session_scope() as db:
        _, scope = deps.scope(ctx, db)
        job = jobs_service.get_for_team(db_session=db, scope=scope, job_id=deps.parse_uuid(raw, "job id"))
        if job.creator_id is None:
            return JobOut.model_validate(job), None
        view = reads.scoped_view(db_session=db, scope=scope, creator_id=job.creator_id, if_none_match=last_etag or "")
        return JobOut.model_validate(job), view.etag


def register(router: Router) -> None:
    @router.post(
        "/v1/creators/{username}/search",
        query=SearchQuery,
        response=search_flow.SearchOut,
        statuses=(202,),
        etag=True,
        tags=("creators",),
    )
    def search(ctx: RequestContext, username: str, query: SearchQuery) -> Reply | Cacheable:
        """200 with the report or a preview when we hold fresh data, else 202 with the (shared) scrape job."""
        name = normalize_username(username)
        with session_scope() as db:
            who, scope = deps.scope(ctx, db)
            auth_service.require_registered(who)
            outcome = search_flow.search(db_session=db, scope=scope, username=name, refresh=query.refresh)
        if isinstance(outcome, reads.ReportView):
            return Cacheable(outcome.body, outcome.etag)
        return Reply(outcome, 202)

    @router.get("/v1/creators/{username}", response=search_flow.SearchOut, etag=True, tags=("creators",))
    def creator_report(ctx: RequestContext, username: str) -> Cacheable:
        """The full report when the caller's team has the creator unlocked, else the preview and its price.
        Carries an ETag: send it back as If-None-Match and an unchanged report answers 304."""
        name, who, team = normalize_username(username), deps.claims(ctx), deps.requested_team(ctx)
        etags = ctx.header("If-None-Match") or ""
        with read_scope() as db:  # one round trip (reads.cached_view)
            view = reads.cached_view(db=db, claims=who, team_id=team, username=name, if_none_match=etags)
        if isinstance(view, reads.Miss):  # first sight, or a document to build: once, in a transaction
            with session_scope() as db:
                view = reads.report_view(
                    db_session=db,
                    claims=who,
                    team_id=team,
                    username=name,
                    if_none_match=etags,
                    first_sight=view.first_sight,
                )
        return Cacheable(view.body, view.etag)

    @router.get("/v1/jobs/{job_id}", response=JobOut, tags=("creators",))
    def job_status(ctx: RequestContext, job_id: str) -> JobOut:
        """Status and per-stage progress of a search job the caller's team searched into."""
        return _job(ctx, job_id)

    @router.get("/v1/jobs/{job_id}/events", tags=("creators",))
    def job_events(ctx: RequestContext, job_id: str) -> Response:
        """Server-Sent Events: a `progress` event whenever the job changes, then `end` at a terminal state."""
        first = _progress(ctx, job_id)
        return Response(
            jobs_stream.progress_events(first, lambda last_etag: _progress(ctx, job_id, last_etag)),
            mimetype="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
