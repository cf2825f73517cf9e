"""The `cdn` worker: one cdn.image.requested per image -> safe fetch -> WebP renditions -> R2 -> row."""

from __future__ import annotations

import functions_framework
from flask import Request
from werkzeug.wrappers import Response

from shared.events.schemas import CdnImageRequested
from shared.http.push import push_endpoint
from shared.media import flows as media_flows

endpoint = push_endpoint(
    "cdn",
    CdnImageRequested,
    lambda db_session, delivery, result: media_flows.apply(db_session=db_session, event=delivery.event, result=result),
    prefetch=media_flows.fetch_and_upload,
)


@functions_framework.http
def cdn(request: Request) -> Response:
    return endpoint(request)
