"""Settings: prod refuses missing and placeholder secrets; Secret Manager fills what env leaves out."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from infra.local.tls_front import Authority
from shared import secrets
from shared.config import REQUIRED_PROD_SECRETS, Profile, Settings

CA_PEM = Authority.create().pem  # what Supabase's prod-ca-2021.crt is: the CA the database's certificate chains to
REAL = {
    "profile": "prod",
    "gcp_project": "following-prod",
    "database": {"url": "postgresql+pg8000://app:Zq8-r7Lk2w@db.internal:6543/postgres", "ca_cert": CA_PEM},
    "storage": {"access_key_id": "3f0c1a9e8b7d4c2a", "secret_access_key": "9a7e5c3b1d0f2e4a6c8b"},
    "stripe": {"secret_key": "sk_live_51Hx8Kq2eZvKYlo2C", "webhook_secret": "whsec_8f3k2m1n0p9q"},
    "apify": {"token": "apify_api_7Gk2Lm9Qx3"},
    "auth": {
        "supabase_service_key": "eyJhbGciOiJIUzI1NiJ9.c2VydmljZQ.sig",
        "jwks_url": "https://abc.supabase.co/auth/v1/.well-known/jwks.json",
        "jwt_issuer": "https://abc.supabase.co/auth/v1",
    },
    "tasks": {"invoker_service_account": "tasks-invoker@following-prod.iam.gserviceaccount.com"},
}


def prod(**overrides: Any) -> Settings:
    values: dict[str, Any] = {k: (dict(v) if isinstance(v, dict) else v) for k, v in REAL.items()}
    for key, value in overrides.items():
        group, _, name = key.partition("__")
        if name:
            values.setdefault(group, {})[name] = value
        else:
            values[group] = value
    return Settings(**values)


@pytest.fixture(autouse=True)
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only explicit values count here: no FA_* env, no Secret Manager."""
    import os

    for key in list(os.environ):
        if key.startswith("FA_"):
            monkeypatch.delenv(key)
    monkeypatch.setattr(
        secrets, "access_secret", lambda project, secret_id: (_ for _ in ()).throw(secrets.SecretNotFound)
    )


def test_default_profile_is_prod_and_strict() -> None:
    with pytest.raises(ValidationError, match="refusing to start with profile=prod"):
        Settings()


def test_real_looking_prod_settings_start() -> None:
    settings = prod()
    assert settings.profile is Profile.PROD
    assert not settings.is_local


@pytest.mark.parametrize(("group", "name"), REQUIRED_PROD_SECRETS)
def test_prod_refuses_each_missing_secret(group: str, name: str) -> None:
    with pytest.raises(ValidationError, match=f"{group}.{name} is missing"):
        prod(**{f"{group}__{name}": None})


PLACEHOLDERS = [
    "",
    "changeme",
    "CHANGE_ME",
    "your-secret-here",
    "placeholder",
    "xxxx",
    "<secret>",
    "${SECRET}",
    "dummy-key",
    "secret",
    "password",
    "test",
    "sk_test_xxxxxxxx",
    "example",
]


@pytest.mark.parametrize("value", PLACEHOLDERS)
@pytest.mark.parametrize(("group", "name"), [("stripe", "webhook_secret"), ("database", "url"), ("apify", "token")])
def test_prod_refuses_placeholders(group: str, name: str, value: str) -> None:
    with pytest.raises(ValidationError, match=f"{group}.{name} is a placeholder"):
        prod(**{f"{group}__{name}": value})


def test_prod_reaches_the_database_over_verified_tls_only() -> None:
    """No CA, no start: the connection would be plaintext (shared.db.tls_connect_args)."""
    with pytest.raises(ValidationError, match=r"database\.ca_cert is missing"):
        prod(database__ca_cert=None)
    with pytest.raises(ValidationError, match="not a PEM certificate"):
        prod(database__ca_cert="-----BEGIN CERTIFICATE-----\nnot one\n-----END CERTIFICATE-----")
    assert (
        Settings(profile="local", database={"url": "postgresql+pg8000://postgres@127.0.0.1/x"}).database.ca_cert is None
    )


def test_prod_needs_a_way_to_verify_tokens() -> None:
    with pytest.raises(ValidationError, match="jwks_url or hs256_secret"):
        prod(auth__jwks_url=None)


def test_prod_refuses_emulators() -> None:
    with pytest.raises(ValidationError, match="emulator"):
        prod(pubsub__emulator_host="127.0.0.1:8085")


@pytest.mark.parametrize(
    ("origins", "reason"),
    [(["*"], "name each frontend origin"), (["http://app.example.com"], "not an https origin"),
     (["https://app.example.com/"], "not an https origin")],
)  # fmt: skip
def test_prod_refuses_wildcard_and_loose_cors_origins(origins: list[str], reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        prod(cors_origins=origins)
    assert prod(cors_origins=["https://app.example.com"]).cors_origins == ("https://app.example.com",)


@pytest.mark.parametrize("profile", ["local", "test"])
def test_local_profiles_start_without_secrets(profile: str) -> None:
    settings = Settings(profile=profile)
    assert settings.is_local
    assert settings.stripe.webhook_secret is None


def test_env_nested_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FA_PROFILE", "local")
    monkeypatch.setenv("FA_DATABASE__POOL_SIZE", "4")
    monkeypatch.setenv("FA_STRIPE__WEBHOOK_SECRET", "whsec_local")
    settings = Settings()
    assert settings.database.pool_size == 4
    assert settings.stripe.webhook_secret is not None
    assert settings.stripe.webhook_secret.get_secret_value() == "whsec_local"
    assert "whsec_local" not in repr(settings)  # secrets never print


def test_secret_manager_fills_missing_secrets_in_prod(monkeypatch: pytest.MonkeyPatch) -> None:
    store = {sid: f"sm-value-{sid}-9k2j" for sid in secrets.SECRET_IDS.values()}
    store["fa-database-url"] = "postgresql+pg8000://app:Zq8r7Lk2w@db.internal:6543/postgres"
    store["fa-database-ca-cert"] = CA_PEM
    calls: list[tuple[str, str]] = []

    def access(project: str, secret_id: str) -> str:
        calls.append((project, secret_id))
        if secret_id not in store:
            raise secrets.SecretNotFound(secret_id)
        return store[secret_id]

    monkeypatch.setattr(secrets, "access_secret", access)
    monkeypatch.setenv("FA_STRIPE__WEBHOOK_SECRET", "whsec_from_env_7h3")
    settings = Settings(
        profile="prod",
        gcp_project="following-prod",
        auth={"jwks_url": "https://abc.supabase.co/jwks", "jwt_issuer": "https://abc.supabase.co/auth/v1"},
        tasks=REAL["tasks"],
    )
    assert settings.stripe.secret_key is not None
    assert settings.stripe.secret_key.get_secret_value() == "sm-value-fa-stripe-secret-key-9k2j"
    assert settings.stripe.webhook_secret.get_secret_value() == "whsec_from_env_7h3"  # env wins  # type: ignore[union-attr]
    assert ("following-prod", "fa-stripe-webhook-secret") not in calls  # not fetched when env has it
    assert all(project == "following-prod" for project, _ in calls)


def test_secret_manager_is_not_called_outside_prod(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(secrets, "access_secret", lambda project, secret_id: calls.append(secret_id) or "v")
    Settings(profile="local", gcp_project="following-prod")
    assert calls == []


def test_a_function_needs_only_its_own_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """FA_SECRETS (set per function by Terraform) narrows what must be present and what Secret Manager reads."""
    calls: list[str] = []
    stored = {"fa-database-ca-cert": CA_PEM}
    monkeypatch.setattr(
        secrets, "access_secret", lambda project, secret_id: calls.append(secret_id) or stored.get(secret_id, "sm-9kq2")
    )
    monkeypatch.setenv("FA_SECRETS", "database.url,database.ca_cert,apify.token")
    settings = Settings(profile="prod", gcp_project="following-prod", auth=REAL["auth"], tasks=REAL["tasks"])
    assert sorted(calls) == ["fa-apify-token", "fa-database-ca-cert", "fa-database-url"]
    assert settings.stripe.secret_key is None, "not this function's secret: neither read nor demanded"
    monkeypatch.setenv("FA_SECRETS", "database.url,stripe.nonsense")
    with pytest.raises(ValueError, match="unknown secrets"):
        Settings(profile="prod", gcp_project="following-prod", auth=REAL["auth"], tasks=REAL["tasks"])


def test_the_apify_waits_fit_inside_the_scrape_workers_timeouts() -> None:
    """Past its timeout the platform kills the worker; Pub/Sub redelivers and the next attempt pays for new runs."""
    from infra.functions import by_target

    apify = Settings(profile="local").apify
    margin_s = 30  # storing what came back, after the runs
    assert apify.scrape_budget_s + margin_s <= by_target("scrape").timeout_s
    assert apify.run_timeout_s + margin_s <= by_target("scrape_post").timeout_s
