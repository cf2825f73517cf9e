"""Every topic and push subscription, in one place (Terraform and the local stack both read this)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Topic(StrEnum):
    CREATOR_SCRAPE_REQUESTED = "creator.scrape.requested"
    POST_SCRAPE_REQUESTED = "post.scrape.requested"
    CDN_IMAGE_REQUESTED = "cdn.image.requested"
    CREATOR_ANALYZED = "creator.analyzed"
    DISCOVERY_REQUESTED = "discovery.requested"
    MAINTENANCE_REQUESTED = "maintenance.requested"
    NOTIFICATION_REQUESTED = "notification.requested"


DEAD_LETTER_TOPIC = "events.dead-letter"


@dataclass(frozen=True)
class PushSubscription:
    """One consumer's push subscription: which topic, which function target receives it."""

    topic: Topic
    consumer: str  # the function target, also the idempotency namespace

    @property
    def name(self) -> str:
        return f"{self.consumer}.{self.topic.value}"


# One entry per consumer: the local stack and Terraform create a push subscription for each.
SUBSCRIPTIONS: tuple[PushSubscription, ...] = (
    PushSubscription(Topic.MAINTENANCE_REQUESTED, "maintenance"),
    PushSubscription(Topic.CREATOR_SCRAPE_REQUESTED, "scrape"),
    PushSubscription(Topic.POST_SCRAPE_REQUESTED, "scrape_post"),
    PushSubscription(Topic.CDN_IMAGE_REQUESTED, "cdn"),
    PushSubscription(Topic.CREATOR_ANALYZED, "insights"),
    PushSubscription(Topic.NOTIFICATION_REQUESTED, "notifications"),
    PushSubscription(Topic.DISCOVERY_REQUESTED, "discovery"),
)
