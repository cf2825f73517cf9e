"""The `scrape` worker: creator.scrape.requested -> Apify -> Postgres -> CDN fan-out and analysis task."""

from __future__ import annotations

import functions_framework
from flask import Request
from werkzeug.wrappers import Response

from shared.creators import flows as creators_flows
from shared.events.schemas import CreatorScrapeRequested
from shared.http.push import push_endpoint

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
