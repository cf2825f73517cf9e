"""The scrape workers: `scrape` (creator.scrape.requested: a profile) and `scrape_post` (post.scrape.requested: one
post or reel) -> Apify -> Postgres -> CDN fan-out and an analysis task."""

from __future__ import annotations

import functions_framework
from flask import Request
from werkzeug.wrappers import Response

from shared.creators import flows as creators_flows
from shared.events.schemas import CreatorScrapeRequested, PostScrapeRequested
from shared.http.push import push_endpoint
from shared.posts import flows as posts_flows

endpoint = push_endpoint(
    "scrape",
    CreatorScrapeRequested,
    lambda db_session, delivery, result: creators_flows.apply(
        db_session=db_session, event=delivery.event, result=result
    ),
    prefetch=creators_flows.fetch,
)


@functions_framework.http
def scrape(request: Request) -> Response:
    return endpoint(request)


post_endpoint = push_endpoint(
    "scrape_post",
    PostScrapeRequested,
    lambda db_session, delivery, result: posts_flows.apply(db_session=db_session, event=delivery.event, result=result),
    prefetch=posts_flows.fetch,
)


@functions_framework.http
def scrape_post(request: Request) -> Response:
    return post_endpoint(request)
