"""The `maintenance` worker: Cloud Scheduler publishes maintenance.requested, Pub/Sub pushes it here."""

from __future__ import annotations

from typing import Any

import functions_framework
from flask import Request
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from shared.events.schemas import MaintenanceRequested
from shared.http.push import Delivery, push_endpoint
from shared.maintenance import flows as maintenance_flows


def handle(db_session: Session, delivery: Delivery[MaintenanceRequested]) -> dict[str, Any]:
    return maintenance_flows.run(db_session=db_session, event=delivery.event, message_key=delivery.key)


endpoint = push_endpoint("maintenance", MaintenanceRequested, handle)


@functions_framework.http
def maintenance(request: Request) -> Response:
    return endpoint(request)
