"""The brand's catalogue: search with filters and facets, and lookalikes."""

from __future__ import annotations

from functions.api import deps
from shared.catalogue import lookalikes as lookalikes_flow
from shared.catalogue import search as search_flow
from shared.catalogue.schemas import CataloguePage, CatalogueQuery, LookalikesOut, LookalikesQuery
from shared.creators.schemas import normalize_username
from shared.db import session_scope
from shared.http.router import RequestContext, Router


def register(router: Router) -> None:
    @router.get("/v1/discovery/creators", query=CatalogueQuery, response=CataloguePage, tags=("catalogue",))
    def catalogue_search(ctx: RequestContext, query: CatalogueQuery) -> CataloguePage:
        """Search the creators we hold: filters, free text (trigram), sorts, keyset pages, facet counts.
        Each hit is a preview with its unlock price; report fields never appear here."""
        with session_scope() as db:
            _, scope = deps.scope(ctx, db)
            return search_flow.search(db_session=db, scope=scope, query=query)

    @router.get(
        "/v1/creators/{username}/lookalikes", query=LookalikesQuery, response=LookalikesOut, tags=("catalogue",)
    )
    def creator_lookalikes(ctx: RequestContext, username: str, query: LookalikesQuery) -> LookalikesOut:
        """Creators whose content is nearest this one's (and the `like` seeds'), with the catalogue's filters;
        each hit says why (similarity, shared categories)."""
        seeds = list(dict.fromkeys(normalize_username(name) for name in [username, *query.like]))
        with session_scope() as db:
            _, scope = deps.scope(ctx, db)
            return lookalikes_flow.lookalikes(db_session=db, scope=scope, seeds=seeds, query=query)
