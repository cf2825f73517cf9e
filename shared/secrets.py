"""Secret Manager as a settings source: in prod, secrets that env does not give are read once per instance."""

from __future__ import annotations

import os
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_settings import PydanticBaseSettingsSource

# (settings group, field) -> Secret Manager secret id. Terraform creates secrets with these ids.
SECRET_IDS: dict[tuple[str, str], str] = {
    ("database", "url"): "fa-database-url",
    ("database", "ca_cert"): "fa-database-ca-cert",
    ("storage", "access_key_id"): "fa-r2-access-key-id",
    ("storage", "secret_access_key"): "fa-r2-secret-access-key",
    ("stripe", "secret_key"): "fa-stripe-secret-key",
    ("stripe", "webhook_secret"): "fa-stripe-webhook-secret",
    ("apify", "token"): "fa-apify-token",
    ("auth", "supabase_service_key"): "fa-supabase-service-key",
    ("auth", "hs256_secret"): "fa-supabase-jwt-secret",
    ("notify", "smtp_password"): "fa-smtp-password",
}


def wanted(environ: Any = None) -> set[tuple[str, str]] | None:
    """The secrets this instance needs, from FA_SECRETS ("database.url,apify.token"), which Terraform sets per
    function from infra/functions.py; None when unset (every secret). Each function's service account may
    read only its own secrets, so reading any other one would fail on permissions."""
    raw = (environ if environ is not None else os.environ).get("FA_SECRETS")
    if raw is None:
        return None
    names = {tuple(item.strip().split(".", 1)) for item in raw.split(",") if item.strip()}
    unknown = names - set(SECRET_IDS)
    if unknown:
        raise ValueError(f"FA_SECRETS names unknown secrets: {sorted('.'.join(n) for n in unknown)}")
    return {(group, name) for group, name in names}


class SecretNotFound(LookupError):
    """The secret (or its latest version) does not exist."""


def access_secret(project: str, secret_id: str) -> str:
    """Read the latest version of one secret (the real Secret Manager client, imported lazily)."""
    from google.api_core import exceptions
    from google.cloud import secretmanager

    client = secretmanager.SecretManagerServiceClient()
    name = f"projects/{project}/secrets/{secret_id}/versions/latest"
    try:
        response = client.access_secret_version(request={"name": name})
    except exceptions.NotFound as exc:
        raise SecretNotFound(name) from exc
    return response.payload.data.decode("utf-8")


class SecretManagerSource(PydanticBaseSettingsSource):
    """Fills secrets that earlier sources left empty, from Secret Manager, in the prod profile only."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        state = self.current_state
        profile = str(state.get("profile") or os.environ.get("FA_PROFILE") or "prod")
        if profile != "prod":
            return {}
        project = state.get("gcp_project") or os.environ.get("GOOGLE_CLOUD_PROJECT")
        if not project:
            # The settings validator then names each missing secret.
            return {}
        found: dict[str, dict[str, str]] = {}
        needed = wanted()
        for (group, name), secret_id in SECRET_IDS.items():
            if (state.get(group) or {}).get(name) or (needed is not None and (group, name) not in needed):
                continue
            try:
                found.setdefault(group, {})[name] = access_secret(str(project), secret_id)
            except SecretNotFound:
                continue
        return found
