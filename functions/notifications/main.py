"""The `notifications` worker: notification.requested -> mail to the team's owners (or one address)."""

from __future__ import annotations

import functions_framework
from flask import Request
from werkzeug.wrappers import Response

from shared.events.schemas import NotificationRequested
from shared.http.push import push_endpoint
from shared.notifications import flows as notification_flows

endpoint = push_endpoint(
    "notifications",
    NotificationRequested,
    lambda db_session, delivery: notification_flows.send(db_session=db_session, event=delivery.event),
)


@functions_framework.http
def notifications(request: Request) -> Response:
    return endpoint(request)
