"""The one settings object: nested groups, a profile, env/.env locally and Secret Manager in prod.

Env vars use the prefix ``FA_`` and ``__`` between group and field: ``FA_DATABASE__URL``,
``FA_STRIPE__WEBHOOK_SECRET``. The default profile is ``prod`` so that an unconfigured deployment is
strict, never lax: only ``local`` and ``test`` may run with missing or placeholder secrets.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Callable
from enum import StrEnum
from functools import lru_cache
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from shared.secrets import SecretManagerSource, wanted

T = TypeVar("T")


class Profile(StrEnum):
    LOCAL = "local"
    TEST = "test"
    PROD = "prod"


class DatabaseSettings(BaseModel):
    url: SecretStr | None = None
    # Sized for Cloud Functions at concurrency 1 (infra/functions.py): one request at a time needs one
    # connection; the overflow covers the short second transactions some steps open (the Supabase invite record,
    # the outbox send after commit). Every instance then holds at most 3 Supabase connections, however many
    # instances scale out. A process serving many threads (the test process, a local dev server, the inference
    # service at its concurrency: Terraform sets it there) raises it.
    pool_size: int = Field(default=1, ge=1, le=50)
    max_overflow: int = Field(default=2, ge=0, le=50)
    pool_timeout_s: float = Field(default=10.0, gt=0)
    # Supabase's pooler drops idle server connections; recycle before it does.
    pool_recycle_s: int = Field(default=300, ge=30)
    # A connection back in the pool for less than this is handed out without a ping (shared.db): a read that
    # finds it dead is tried once more on a fresh one (shared.http.router). One idle longer is pinged first.
    ping_after_idle_s: float = Field(default=1.0, ge=0)
    statement_timeout_ms: int = Field(default=15_000, ge=100)
    connect_timeout_s: int = Field(default=10, ge=1)
    # The CA that signed the database's certificate, as PEM (Supabase's is prod-ca-2021.crt, from the dashboard's
    # database settings). Set, every connection is TLS with the chain and the host name checked (libpq's
    # verify-full) and never falls back to plaintext (shared.db.tls_connect_args). Unset, the connection is
    # plaintext, which only the local and test profiles accept.
    ca_cert: str | None = None

    @field_validator("ca_cert")
    @classmethod
    def _is_a_certificate(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ssl.create_default_context(cadata=value.strip())
            except (ssl.SSLError, ValueError) as exc:
                raise ValueError(f"not a PEM certificate ({exc})") from None
        return value


class PubSubSettings(BaseModel):
    project_id: str = "following-local"
    emulator_host: str | None = None
    # Where push subscriptions deliver (the functions' base URLs), and the identity Pub/Sub signs
    # OIDC tokens as. Terraform sets both in prod.
    push_service_account: str | None = None
    max_delivery_attempts: int = Field(default=5, ge=5, le=100)
    # The pull subscription on the dead-letter topic where poison messages wait for an operator.
    dead_letter_hold: str = "dead-letter-hold"


class TasksSettings(BaseModel):
    project_id: str = "following-local"
    location: str = "europe-west4"
    inference_queue: str = "inference"
    # Analyses of discovery and refresh jobs: a queue of their own with a lower dispatch rate, so system
    # work never waits in front of a brand's search.
    system_queue: str = "inference-system"
    emulator_host: str | None = None
    # Cloud Tasks attaches an OIDC token minted for this account; the inference service verifies it.
    invoker_service_account: str | None = None
    inference_url: str = "http://127.0.0.1:8090"
    # Where Google publishes the keys that sign Cloud Tasks' OIDC tokens (the service checks them).
    oidc_certs_url: str = "https://www.googleapis.com/oauth2/v1/certs"


class StorageSettings(BaseModel):
    endpoint_url: str | None = None
    region: str = "auto"
    access_key_id: SecretStr | None = None
    secret_access_key: SecretStr | None = None
    bucket: str = "thumbnails"
    cdn_base_url: str = "http://127.0.0.1:9000/thumbnails"


class CdnSettings(BaseModel):
    """What the CDN worker may fetch, and the renditions it makes."""

    allowed_hosts: tuple[str, ...] = ("*.cdninstagram.com", "*.fbcdn.net")
    # host:port pairs allowed although not public (the local Apify stand-in); refused outside local/test.
    local_hosts: tuple[str, ...] = ()
    max_bytes: int = Field(default=15 * 1024 * 1024, ge=1024)
    timeout_s: float = Field(default=10.0, gt=0)
    max_redirects: int = Field(default=3, ge=0, le=10)
    widths: tuple[int, ...] = (150, 320, 640)


class StripeSettings(BaseModel):
    secret_key: SecretStr | None = None
    webhook_secret: SecretStr | None = None
    publishable_key: str | None = None
    api_base: str | None = None  # localstripe or a test stand-in; None means Stripe itself
    webhook_tolerance_s: int = Field(default=300, ge=1, le=600)
    network_retries: int = Field(default=2, ge=0, le=5)
    # Per attempt (the SDK's default is 80 s): with the retries, a Stripe that does not answer costs a request
    # under 50 s, inside the API function's 60 s, and it answers 503 rather than being cut off by the platform.
    timeout_s: float = Field(default=15.0, gt=0, le=80)
    # Our package code (credit_packages.code) -> the Stripe price (or plan) id that sells it.
    prices: dict[str, str] = Field(default_factory=dict)
    app_url: str = "http://127.0.0.1:3000"  # the frontend: checkout success/cancel and portal return pages

    @property
    def configured(self) -> bool:
        return self.secret_key is not None


class NotifySettings(BaseModel):
    """Outgoing mail: one SMTP provider (any ESP's SMTP relay). No host configured: mail is logged, not sent."""

    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    sender: str = "Following Analytics <no-reply@following.ae>"
    low_credits_threshold: int = Field(default=50, ge=0)


class ApifySettings(BaseModel):
    token: SecretStr | None = None
    api_url: str | None = None  # the local stand-in; None means Apify itself
    actor: str = "apify/instagram-scraper"
    attempts: int = Field(default=3, ge=1, le=10)  # per API call, with exponential backoff (429, 5xx, timeouts)
    retry_delay_s: float = Field(default=1.0, gt=0)
    run_timeout_s: int = Field(default=180, ge=1)  # one run; a run still going then is aborted
    # The scrape worker's time for both of a profile's runs (profile, then reels), inside its 300 s function
    # timeout (infra/functions.py): the reels run gets what the profile run left, and is skipped below 15 s.
    # Two runs of run_timeout_s each could pass the timeout: the platform then kills the worker, Pub/Sub
    # redelivers, and the next attempt pays for new runs.
    scrape_budget_s: int = Field(default=240, ge=1)
    posts_per_profile: int = Field(default=12, ge=1, le=100)
    # Reels fetched per profile besides its latest posts (the old system took 12); 0 skips the second run.
    reels_per_profile: int = Field(default=12, ge=0, le=50)


class AuthSettings(BaseModel):
    supabase_url: str | None = None
    jwt_audience: str = "authenticated"
    jwt_issuer: str | None = None
    jwks_url: str | None = None
    hs256_secret: SecretStr | None = None
    supabase_service_key: SecretStr | None = None
    leeway_s: int = Field(default=30, ge=0, le=120)


class InferenceSettings(BaseModel):
    model_profile: Literal["lite", "full"] = "lite"
    models_dir: str = "/models"
    # Padded tokens per batch; unset: the device's own (16,384 on a GPU, 2,048 on a CPU).
    max_batch_tokens: int | None = Field(default=None, ge=256)
    # auto: bf16 on a GPU (fp16 where bf16 is missing) and on CPUs with native bf16; float32 forces fp32.
    precision: Literal["auto", "float32"] = "auto"
    max_queue: int = Field(default=2_048, ge=1)
    # Content categories to score (zero-shot labels in full, prototype labels in lite); empty: the manifest's.
    categories: tuple[str, ...] = ()
    # Full profile: the zero-shot model scores only each post's top-k labels by MiniLM similarity to the labels'
    # descriptions (gpu_inference.engine.tasks.Shortlist), every label when no description comes within the floor's
    # cosine of the caption; 0 scores every label on every post.
    zero_shot_shortlist: int = Field(default=8, ge=0)
    zero_shot_shortlist_floor: float = Field(default=0.15, ge=-1, le=1)


class DiscoverySettings(BaseModel):
    """System scrapes (discovery and refresh) and the limits on scrapes that cost us an Apify run."""

    enabled: bool = True
    # Shared by discovery and refresh, enforced in Postgres (shared.discovery.service.system_limits).
    max_profiles_per_day: int = Field(default=1_000, ge=0)  # the seed's figure
    max_in_flight: int = Field(default=3, ge=1)
    max_profiles_per_run: int = Field(default=25, ge=1)
    # Which catalogue creators may lead to candidates: their follower band, and (when set) their top
    # categories and caption languages from their latest insights.
    min_followers: int = Field(default=1_000, ge=0)
    max_followers: int | None = None
    categories: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    # Refresh: creators any team unlocked recently, weekly; watchlisted ones, daily.
    refresh_unlocked_within_days: int = Field(default=30, ge=1)
    refresh_every_days: float = Field(default=7, gt=0)
    refresh_watchlist_every_days: float = Field(default=1, gt=0)
    watchlist_limits: dict[str, int] = {"free": 10, "standard": 100, "premium": 500}
    # A search that ended not_found/private is answered from memory this long (no Apify run, no charge).
    miss_ttl_hours: float = Field(default=24, gt=0)
    # New-creator scrapes a team may start per hour (searches that join a job in flight do not count).
    new_scrapes_per_hour: dict[str, int] = {"free": 30, "standard": 120, "premium": 300}


class CostSettings(BaseModel):
    """List prices the console multiplies usage by (estimates, not invoices)."""

    apify_per_1000_results_usd: float = Field(default=2.30, ge=0)  # apify/instagram-scraper, pay per result
    gpu_per_hour_usd: float = Field(default=0.71, ge=0)  # one L4 on Cloud Run, GPU + its CPU and memory


class MaintenanceSettings(BaseModel):
    processed_messages_retention_days: int = Field(default=14, ge=1)
    stale_job_minutes: float = Field(default=30, gt=0)  # fractions for fault tests on the local stack
    # Outbox rows unsent this long are sent by the relay (the sender normally does it at commit).
    outbox_relay_after_s: int = Field(default=30, ge=1)
    outbox_retention_days: int = Field(default=7, ge=1)


# Values that are obviously not real secrets. Matched case-insensitively against the whole value.
_PLACEHOLDER = re.compile(
    r"^(|x+|\*+|.*changeme.*|.*change[-_]me.*|.*placeholder.*|.*example.*|.*dummy.*|your[-_].*|"
    r"<.*>|\$\{.*\}|todo|secret|password|test|local|none|null|sk_test_x+|whsec_x*)$",
    re.IGNORECASE,
)

_ORIGIN = re.compile(r"^https://[a-z0-9.-]+(:\d+)?$")  # scheme and host (and port), nothing else

# Secrets every prod instance needs; Secret Manager names are in shared.secrets.
REQUIRED_PROD_SECRETS: tuple[tuple[str, str], ...] = (
    ("database", "url"),
    ("storage", "access_key_id"),
    ("storage", "secret_access_key"),
    ("stripe", "secret_key"),
    ("stripe", "webhook_secret"),
    ("apify", "token"),
    ("auth", "supabase_service_key"),
)


def is_placeholder(value: str) -> bool:
    """True when a secret value is empty or an obvious placeholder."""
    return bool(_PLACEHOLDER.match(value.strip()))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FA_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    profile: Profile = Profile.PROD
    service_name: str = "following-analytics"
    gcp_project: str | None = None
    log_level: str = "INFO"
    freshness_days: int = Field(default=7, ge=1)
    # Browser origins allowed to call the API (exact, e.g. https://app.following.ae); shared.http.cors.
    cors_origins: tuple[str, ...] = ()

    database: DatabaseSettings = DatabaseSettings()
    pubsub: PubSubSettings = PubSubSettings()
    tasks: TasksSettings = TasksSettings()
    storage: StorageSettings = StorageSettings()
    cdn: CdnSettings = CdnSettings()
    stripe: StripeSettings = StripeSettings()
    notify: NotifySettings = NotifySettings()
    apify: ApifySettings = ApifySettings()
    auth: AuthSettings = AuthSettings()
    inference: InferenceSettings = InferenceSettings()
    discovery: DiscoverySettings = DiscoverySettings()
    maintenance: MaintenanceSettings = MaintenanceSettings()
    costs: CostSettings = CostSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Explicit values and env win; Secret Manager fills what is still missing (prod only).
        return (init_settings, env_settings, dotenv_settings, SecretManagerSource(settings_cls))

    @property
    def is_local(self) -> bool:
        return self.profile in (Profile.LOCAL, Profile.TEST)

    @model_validator(mode="after")
    def _refuse_weak_prod_config(self) -> Settings:
        if self.is_local:
            return self
        problems = []
        needed = wanted()  # a function's own secrets (FA_SECRETS), else all of them
        for group, name in REQUIRED_PROD_SECRETS:
            if needed is not None and (group, name) not in needed:
                continue
            secret: SecretStr | None = getattr(getattr(self, group), name)
            if secret is None:
                problems.append(f"{group}.{name} is missing")
            elif is_placeholder(secret.get_secret_value()):
                problems.append(f"{group}.{name} is a placeholder")
        if self.database.url is not None and self.database.ca_cert is None:
            problems.append("database.ca_cert is missing: outside the local profile the database is reached over TLS")
        if self.auth.jwks_url is None and self.auth.hs256_secret is None:
            problems.append("auth needs jwks_url or hs256_secret to verify tokens")
        if self.auth.hs256_secret is not None and is_placeholder(self.auth.hs256_secret.get_secret_value()):
            problems.append("auth.hs256_secret is a placeholder")
        if self.auth.jwt_issuer is None:
            problems.append("auth.jwt_issuer is missing")
        if not self.tasks.invoker_service_account:
            problems.append("tasks.invoker_service_account is missing (Cloud Tasks OIDC to the inference service)")
        if self.pubsub.emulator_host or self.tasks.emulator_host:
            problems.append("emulator hosts are set outside the local profile")
        if self.cdn.local_hosts:
            problems.append("cdn.local_hosts (non-public fetch targets) is set outside the local profile")
        if "*" in self.cors_origins:
            problems.append("cors_origins has '*': name each frontend origin")
        problems += [f"cors_origins: {o!r} is not an https origin" for o in self.cors_origins if not _ORIGIN.match(o)]
        if problems:
            raise ValueError(f"refusing to start with profile={self.profile}: " + "; ".join(problems))
        return self


_PER_INSTANCE: list[tuple[Any, Callable[[Any], None] | None]] = []


def per_instance(close: Callable[[Any], None] | None = None) -> Callable[[Callable[[], T]], Callable[[], T]]:
    """Cache a zero-argument factory for the life of the instance (settings, engine, SDK clients), and
    register it so that `reset_caches` forgets it; `close` releases what it made (an engine's pool)."""

    def wrap(factory: Callable[[], T]) -> Callable[[], T]:
        cached = lru_cache(maxsize=1)(factory)
        _PER_INSTANCE.append((cached, close))
        return cached

    return wrap


def reset_caches() -> None:
    """Forget every per-instance object, so the next use reads the environment again (tests, settings changes)."""
    for cached, close in reversed(_PER_INSTANCE):
        if close is not None and cached.cache_info().currsize:
            close(cached())
        cached.cache_clear()


@per_instance()
def get_settings() -> Settings:
    """The settings of this instance, read once (env, .env, then Secret Manager in prod)."""
    return Settings()
