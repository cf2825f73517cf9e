"""Creates on the local stand-ins what Terraform creates in the cloud: topics, push subscriptions with
retry and dead-letter policies, the dead-letter holding subscription, the bucket, the queue, the schema."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from google.api_core.exceptions import AlreadyExists
from google.protobuf.duration_pb2 import Duration

REPO = Path(__file__).resolve().parents[2]


def _clients(emulator_host: str):  # type: ignore[no-untyped-def]
    os.environ["PUBSUB_EMULATOR_HOST"] = emulator_host
    from google.cloud import pubsub_v1

    return pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()


def ensure_topic(emulator_host: str, project: str, topic: str) -> str:
    publisher, _ = _clients(emulator_host)
    path = publisher.topic_path(project, topic)
    with contextlib.suppress(AlreadyExists):
        publisher.create_topic(name=path)
    return str(path)


def ensure_push_subscription(
    emulator_host: str,
    project: str,
    *,
    name: str,
    topic: str,
    endpoint: str,
    dead_letter_topic: str,
    max_delivery_attempts: int = 5,
    min_backoff_s: int = 1,
    max_backoff_s: int = 10,
    ack_deadline_s: int = 60,
) -> str:
    """A push subscription that retries with backoff and dead-letters after `max_delivery_attempts`."""
    publisher, subscriber = _clients(emulator_host)
    path = subscriber.subscription_path(project, name)
    request = {
        "name": path,
        "topic": publisher.topic_path(project, topic),
        "push_config": {"push_endpoint": endpoint},
        "ack_deadline_seconds": ack_deadline_s,
        "dead_letter_policy": {
            "dead_letter_topic": publisher.topic_path(project, dead_letter_topic),
            "max_delivery_attempts": max_delivery_attempts,
        },
        "retry_policy": {
            "minimum_backoff": Duration(seconds=min_backoff_s),
            "maximum_backoff": Duration(seconds=max_backoff_s),
        },
    }
    try:
        subscriber.create_subscription(request=request)
    except AlreadyExists:
        subscriber.delete_subscription(subscription=path)
        subscriber.create_subscription(request=request)
    return str(path)


def ensure_pull_subscription(emulator_host: str, project: str, *, name: str, topic: str) -> str:
    """A pull subscription (the dead-letter topic's holding pen: without one, dead letters vanish)."""
    publisher, subscriber = _clients(emulator_host)
    path = subscriber.subscription_path(project, name)
    with contextlib.suppress(AlreadyExists):
        subscriber.create_subscription(name=path, topic=publisher.topic_path(project, topic))
    return str(path)


def pull(
    emulator_host: str, subscription_path: str, max_messages: int = 10, timeout_s: float = 10
) -> list[tuple[str, bytes, dict]]:
    """Pull and ack up to `max_messages` from a pull subscription: (message id, data, attributes)."""
    _, subscriber = _clients(emulator_host)
    response = subscriber.pull(
        request={"subscription": subscription_path, "max_messages": max_messages}, timeout=timeout_s
    )
    if response.received_messages:
        subscriber.acknowledge(
            request={
                "subscription": subscription_path,
                "ack_ids": [m.ack_id for m in response.received_messages],
            }
        )
    return [(m.message.message_id, m.message.data, dict(m.message.attributes)) for m in response.received_messages]


def ensure_bucket(endpoint_url: str, bucket: str, access_key: str, secret_key: str, region: str = "auto") -> None:
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
    )
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        # R2 uses region "auto"; boto3 then needs an explicit LocationConstraint.
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    # Renditions are public behind the CDN base URL, as an R2 bucket with public access is.
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PublicRead",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))


def ensure_queue(emulator_host: str, project: str, location: str, queue: str) -> str:
    import grpc
    from google.cloud import tasks_v2
    from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcTransport

    client = tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=grpc.insecure_channel(emulator_host)))
    parent = f"projects/{project}/locations/{location}"
    path = f"{parent}/queues/{queue}"
    with contextlib.suppress(AlreadyExists):
        client.create_queue(parent=parent, queue=tasks_v2.Queue(name=path))
    return path


def migrate(database_url: str, revision: str = "head") -> None:
    """Run Alembic migrations against `database_url` (the same scripts as prod)."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, pool

    config = Config(str(REPO / "alembic.ini"))
    config.attributes["configure_logger"] = False
    engine = create_engine(database_url, poolclass=pool.NullPool)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    engine.dispose()


def local_stripe_prices(database_url: str) -> dict[str, str]:
    """Our paid packages (from the migrated database) -> the price ids the local Stripe sells them as."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            codes = connection.execute(text("SELECT code FROM credit_packages WHERE price_cents > 0")).scalars()
            return {code: f"price_local_{code}" for code in codes}
    finally:
        engine.dispose()


def ensure_stripe_plans(api_base: str, secret_key: str, database_url: str) -> None:
    """Create the subscription packages as plans in localstripe (it has plans, not prices)."""
    import stripe
    from sqlalchemy import create_engine, text

    client = stripe.StripeClient(secret_key, base_addresses={"api": api_base}, max_network_retries=0)
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT code, name, price_cents, billing_interval FROM credit_packages"
                    " WHERE kind = 'subscription' AND price_cents > 0"
                )
            ).all()
    finally:
        engine.dispose()
    for code, name, cents, interval in rows:
        try:
            client.v1.plans.retrieve(f"price_local_{code}")
            continue  # localstripe keeps its store between runs (a pickle in /tmp)
        except stripe.InvalidRequestError:
            pass
        product = client.v1.products.create({"name": name})
        client.v1.plans.create(
            {"id": f"price_local_{code}", "product": product.id, "amount": cents, "currency": "usd",
             "interval": interval}
        )  # fmt: skip
