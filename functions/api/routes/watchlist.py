"""The team's watchlist: creators re-scraped daily for their follower history."""

from __future__ import annotations

from functions.api import deps
from shared.creators.schemas import normalize_username
from shared.db import session_scope
from shared.discovery import watchlist
from shared.discovery.schemas import WatchIn, WatchlistPage, WatchOut
from shared.http.router import RequestContext, Router


def register(router: Router) -> None:
    @router.get("/v1/watchlist", response=WatchlistPage, tags=("watchlist",))
    def get_watchlist(ctx: RequestContext) -> WatchlistPage:
        """The creators the team watches, and the plan's limit."""
        with session_scope() as db:
            _, scope = deps.scope(ctx, db)
            return watchlist.get_page(db_session=db, scope=scope)

    @router.post("/v1/watchlist", body=WatchIn, response=WatchOut, status=201, tags=("watchlist",))
    def watch(ctx: RequestContext, body: WatchIn) -> WatchOut:
        """Watch a creator we hold: re-scraped daily (free; a limit per plan)."""
        name = normalize_username(body.username)
        with session_scope() as db:
            _, scope = deps.scope(ctx, db)
            return watchlist.add(db_session=db, scope=scope, username=name)

    @router.route("DELETE", "/v1/watchlist/{username}", status=204, tags=("watchlist",))
    def unwatch(ctx: RequestContext, username: str) -> None:
        """Stop watching a creator."""
        name = normalize_username(username)
        with session_scope() as db:
            _, scope = deps.scope(ctx, db)
            watchlist.remove(db_session=db, scope=scope, username=name)
