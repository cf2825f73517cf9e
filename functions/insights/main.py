"""The `insights` worker: creator.analyzed -> profile analytics -> a new creator_insights version."""

from __future__ import annotations

import functions_framework
from flask import Request
from werkzeug.wrappers import Response

from shared.events.schemas import CreatorAnalyzed
from shared.http.push import push_endpoint
from shared.insights import flows as insights_flows

endpoint = push_endpoint(
    "insights",
    CreatorAnalyzed,
    lambda db_session, delivery: insights_flows.apply(db_session=db_session, event=delivery.event),
)


@functions_framework.http
def insights(request: Request) -> Response:
    return endpoint(request)
