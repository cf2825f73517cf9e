"""Post analytics by URL: analyse one post or reel, read the result, report on a campaign's posts."""

from __future__ import annotations

import re

from functions.api import deps
from shared.auth import service as auth_service
from shared.db import session_scope
from shared.errors import InvalidInput
from shared.http.router import Reply, RequestContext, Router
from shared.posts import flows as posts_flows
from shared.posts import reads as posts_reads
from shared.posts.schemas import AnalyzeIn, AnalyzeOut, CampaignPage, CampaignQuery

SHORTCODE = re.compile(r"^[A-Za-z0-9_-]{5,40}$")


def register(router: Router) -> None:
    @router.post("/v1/posts/analyze", body=AnalyzeIn, response=AnalyzeOut, statuses=(202,), tags=("posts",))
    def analyze_post(ctx: RequestContext, body: AnalyzeIn) -> Reply:
        """Analyse a post or reel by its URL (charged by the post_analysis rule; refunded if it fails):
        200 with the result when the team has it, else 202 with the (shared) job."""
        with session_scope() as db:
            who, scope = deps.scope(ctx, db)
            auth_service.require_registered(who)
            outcome = posts_flows.request(db_session=db, scope=scope, body=body)
        return Reply(outcome, 200 if outcome.kind == "result" else 202)

    @router.get("/v1/posts/{shortcode}", response=AnalyzeOut, tags=("posts",))
    def post_result(ctx: RequestContext, shortcode: str) -> AnalyzeOut:
        """One post the team analysed: engagement (vs the creator's median), the models' outputs, sponsorship."""
        if not SHORTCODE.match(shortcode):
            raise InvalidInput("shortcode must be 5-40 letters, digits, '_' or '-'")
        with session_scope() as db:
            _, scope = deps.scope(ctx, db)
            row = posts_reads.get_row(db_session=db, scope=scope, shortcode=shortcode)
            return posts_reads.view(db_session=db, scope=scope, row=row)

    @router.get("/v1/posts", query=CampaignQuery, response=CampaignPage, tags=("posts",))
    def team_posts(ctx: RequestContext, query: CampaignQuery) -> CampaignPage:
        """The team's analysed posts (one campaign's, with ?campaign=), with totals: likes, comments, views."""
        with session_scope() as db:
            _, scope = deps.scope(ctx, db)
            return posts_reads.campaign(db_session=db, scope=scope, query=query)
