"""The `discovery` worker: Cloud Scheduler publishes discovery.requested (discover or refresh); Pub/Sub pushes it."""

from __future__ import annotations

from typing import Any

import functions_framework
from flask import Request
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from shared.discovery import flows as discovery_flows
from shared.events.schemas import DiscoveryRequested
from shared.http.push import Delivery, push_endpoint


def handle(db_session: Session, delivery: Delivery[DiscoveryRequested]) -> dict[str, Any]:
    return discovery_flows.run(db_session=db_session, event=delivery.event, message_key=delivery.key)


endpoint = push_endpoint("discovery", DiscoveryRequested, handle)


@functions_framework.http
def discovery(request: Request) -> Response:
    return endpoint(request)
