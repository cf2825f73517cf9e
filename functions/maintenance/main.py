"""The `maintenance` worker: Cloud Scheduler publishes maintenance.requested, Pub/Sub pushes it here."""

from __future__ import annotations

from typing import Any

import functions_framework
from flask import Request
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from shared.events.consumer import message_key
from shared.events.envelope import PushMessage
from shared.events.schemas import MaintenanceRequested
from shared.http.push import push_endpoint
from shared.maintenance import flows as maintenance_flows


def handle(db_session: Session, event: MaintenanceRequested, message: PushMessage) -> dict[str, Any]:
    return maintenance_flows.run(db_session=db_session, event=event, message_key=message_key(message, event))


endpoint = push_endpoint("maintenance", MaintenanceRequested, handle)


@functions_framework.http
def maintenance(request: Request) -> Response:
    return endpoint(request)
