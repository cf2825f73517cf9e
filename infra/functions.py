"""Every Cloud Function, in one table: what the local stack serves and what Terraform deploys (through
infra/manifest.json). Each names only the secrets it reads and the topics it publishes to, which become its
service account's roles."""

from __future__ import annotations

from dataclasses import dataclass

from shared.events.topics import Topic

DB = ("database.url", "database.ca_cert")  # the CA: verified TLS to Supabase (shared.db.tls_connect_args)


@dataclass(frozen=True)
class FunctionSpec:
    target: str  # the functions-framework target, also the function's and its service account's name
    source: str  # the entry module, relative to the repository root
    secrets: tuple[str, ...]  # "group.name" keys of shared.secrets.SECRET_IDS
    publishes: tuple[Topic, ...] = ()  # topics its outbox sends to
    public: bool = False  # allUsers may invoke it (the API and the Stripe webhook only)
    enqueues_tasks: bool = False  # creates Cloud Tasks for the inference service
    reads_dead_letters: bool = False  # the operators' console: pulls, replays and discards dead letters
    memory: str = "512Mi"
    cpu: str = "1"
    timeout_s: int = 60
    max_instances: int = 20
    concurrency: int = 1  # one request per instance: the database pool holds one connection (pool_size=1)


NOTIFY = (Topic.NOTIFICATION_REQUESTED,)
FUNCTIONS: tuple[FunctionSpec, ...] = (
    # Publishes to every topic: the operators' console replays dead letters to the topic they came from.
    FunctionSpec("api", "functions/api/main.py", (*DB, "auth.supabase_service_key", "stripe.secret_key"),
                 publishes=tuple(Topic), public=True, reads_dead_letters=True, max_instances=50),
    FunctionSpec("stripe_webhook", "functions/stripe_webhook/main.py",
                 (*DB, "stripe.secret_key", "stripe.webhook_secret", "auth.supabase_service_key"),
                 publishes=NOTIFY, public=True),
    FunctionSpec("scrape", "functions/scrape/main.py", (*DB, "apify.token"),
                 publishes=(Topic.CDN_IMAGE_REQUESTED, *NOTIFY), enqueues_tasks=True, timeout_s=300, max_instances=10),
    # The same worker module, for one post or reel (post analytics by URL).
    FunctionSpec("scrape_post", "functions/scrape/main.py", (*DB, "apify.token"),
                 publishes=(Topic.CDN_IMAGE_REQUESTED,), enqueues_tasks=True, timeout_s=300, max_instances=5),
    FunctionSpec("cdn", "functions/cdn/main.py", (*DB, "storage.access_key_id", "storage.secret_access_key"),
                 memory="1Gi", timeout_s=120, max_instances=30),
    FunctionSpec("insights", "functions/insights/main.py", DB, publishes=NOTIFY, memory="1Gi", timeout_s=120),
    FunctionSpec("notifications", "functions/notifications/main.py", (*DB, "notify.smtp_password"), max_instances=5),
    FunctionSpec("maintenance", "functions/maintenance/main.py", DB,
                 publishes=(Topic.CREATOR_SCRAPE_REQUESTED, Topic.POST_SCRAPE_REQUESTED, Topic.CDN_IMAGE_REQUESTED,
                            Topic.CREATOR_ANALYZED, *NOTIFY),  # the outbox relay re-sends anything
                 enqueues_tasks=True, timeout_s=300, max_instances=2),
    FunctionSpec("discovery", "functions/discovery/main.py", DB, publishes=(Topic.CREATOR_SCRAPE_REQUESTED,),
                 timeout_s=120, max_instances=2),
)  # fmt: skip

# The inference service (Cloud Run, not a function): its secrets and topics, for its service account.
INFERENCE_SECRETS = (*DB, "storage.access_key_id", "storage.secret_access_key")
INFERENCE_PUBLISHES = (Topic.CREATOR_ANALYZED, *NOTIFY)


def by_target(target: str) -> FunctionSpec:
    return next(f for f in FUNCTIONS if f.target == target)


@dataclass(frozen=True)
class QueueSpec:
    """A Cloud Tasks queue feeding the inference service's /v1/analyze."""

    name: str
    max_dispatches_per_second: float
    max_concurrent_dispatches: int
    max_attempts: int = 10


QUEUES = (
    # A brand's search: as fast as one L4 instance's batcher takes whole jobs.
    QueueSpec("inference", max_dispatches_per_second=5, max_concurrent_dispatches=8),
    # Discovery and refresh: a trickle, so system work never queues in front of a search.
    QueueSpec("inference-system", max_dispatches_per_second=0.2, max_concurrent_dispatches=1),
)
