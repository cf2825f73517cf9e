"""Terraform, checked offline: the provider-schema checker catches what `terraform validate` would, every Python
definition reaches Terraform through the manifest (no hand-copied lists), and the functions' bundle is stable."""

from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path

import hcl2
import pytest

from infra import bundle
from infra.checks.provider_schema import check, load_schema
from infra.functions import FUNCTIONS
from shared.events.topics import SUBSCRIPTIONS, Topic

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = ROOT / "infra" / "terraform"


@pytest.fixture(scope="module")
def schema() -> dict:  # type: ignore[type-arg]
    return load_schema()


def test_the_schema_check_finds_planted_mistakes(schema, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "main.tf").write_text(
        """
resource "google_pubsub_topic" "typo" {
  nmae = "events"
}
resource "google_pubsub_topikk" "unknown_type" {
  name = "x"
}
resource "google_cloud_run_v2_service" "bad_block" {
  name     = "inference"
  location = "europe-west4"
  template {
    containers {
      image = "i"
      resourcez {}
    }
  }
}
resource "google_cloud_run_v2_service" "no_template" {
  name     = "x"
  location = "europe-west4"
}
"""
    )
    checked, problems = check(tmp_path, schema)
    assert checked == 4
    assert [p.split(": ", 2)[-1] for p in problems["unknown"]] == ["'nmae'", "'resourcez'"]
    assert len(problems["unknown_types"]) == 1 and "google_pubsub_topikk" in problems["unknown_types"][0]
    missing = " ".join(problems["missing"])
    assert "typo: required attribute 'name'" in missing and "no_template: required block 'template'" in missing


def test_every_terraform_block_matches_the_provider_schema(schema) -> None:  # type: ignore[no-untyped-def]
    checked, problems = check(TERRAFORM, schema)
    assert checked >= 30 and problems == {"unknown_types": [], "unknown": [], "missing": []}


def _stack() -> dict:  # type: ignore[type-arg]
    return dict(hcl2.load((TERRAFORM / "modules" / "stack" / "main.tf").open()))


def _module(name: str) -> dict:  # type: ignore[type-arg]
    return next(body for m in _stack()["module"] for key, body in m.items() if key.strip('"') == name)


def test_each_manifest_section_drives_its_terraform() -> None:
    assert "local.manifest.functions" in _module("functions")["for_each"]
    assert "local.manifest.subscriptions" in str(_module("pubsub")["push_subscriptions"])
    assert "local.manifest.topics" in _module("pubsub")["topics"]
    assert "local.manifest.secrets" in _module("secrets")["secret_ids"]
    assert "local.manifest.schedules" in _module("scheduler")["schedules"]
    assert "local.manifest.queues" in _module("inference")["queues"]


def test_no_function_topic_or_subscription_is_named_by_hand_in_terraform() -> None:
    """Names come from the manifest; a literal in the .tf files would be a second list that can drift.
    (outputs.tf may name the API and the webhook: they are what an operator looks up after an apply.)"""
    names = {f.target for f in FUNCTIONS} | {t.value for t in Topic} | {s.name for s in SUBSCRIPTIONS}
    for path in TERRAFORM.rglob("*.tf"):
        if path.name == "outputs.tf":
            continue
        literals = set(re.findall(r'"([^"$]*)"', re.sub(r"#.*", "", path.read_text())))
        assert not literals & names, (path, literals & names)


def test_the_bundle_holds_the_functions_and_is_reproducible(tmp_path: Path) -> None:
    first, second = bundle.build(tmp_path / "a.zip"), bundle.build(tmp_path / "b.zip")
    assert hashlib.md5(first.read_bytes()).digest() == hashlib.md5(second.read_bytes()).digest()  # noqa: S324
    names = zipfile.ZipFile(first).namelist()
    assert {f.source for f in FUNCTIONS} <= set(names) and "shared/db.py" in names
    assert not [n for n in names if n.startswith(("tests/", "gpu_inference/", "infra/")) or "__pycache__" in n]
    requirements = zipfile.ZipFile(first).read("requirements.txt").decode()
    assert "functions-framework" in requirements and "torch" not in requirements


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_the_secrets_the_pipeline_reads_before_terraform_are_adopted_not_created(environment: str) -> None:
    """Cloud Build reads its secrets when the build starts, before any step: they exist before the first deploy
    (docs/deploy.md §1), so Terraform imports them; creating them again would fail the first apply (409)."""
    import json

    import yaml

    build = yaml.safe_load((ROOT / "cloudbuild.yaml").read_text())
    read = {
        re.search(r"/secrets/([^/]+)/", s["versionName"]).group(1) for s in build["availableSecrets"]["secretManager"]
    }  # type: ignore[union-attr]
    [block] = hcl2.load((TERRAFORM / "environments" / environment / "main.tf").open())["import"]
    assert set(re.findall(r'"([^"]+)"', block["for_each"])) == read
    assert block["to"] == "${module.stack.module.secrets.google_secret_manager_secret.secrets[each.value]}"
    assert read <= set(json.loads((ROOT / "infra" / "manifest.json").read_text())["secrets"])


def test_cloud_build_deploys_in_order_with_the_image_digest() -> None:
    import yaml

    build = yaml.safe_load((ROOT / "cloudbuild.yaml").read_text())
    steps = [step["id"] for step in build["steps"]]
    order = ["tests", "image", "digest", "migrations", "terraform", "smoke"]
    assert [s for s in steps if s in order] == order, "migrations before terraform, smoke checks last"
    terraform = next(step for step in build["steps"] if step["id"] == "terraform")["args"][-1]
    assert "inference_image=$(cat /workspace/image.txt)" in terraform and "apply" in terraform
    assert "@${digest}" in next(step for step in build["steps"] if step["id"] == "digest")["args"][-1]
    migrations = next(step for step in build["steps"] if step["id"] == "migrations")
    assert migrations["secretEnv"] == ["FA_DATABASE__URL", "FA_DATABASE__CA_CERT"]
    assert '-x database_ca_cert="$$FA_DATABASE__CA_CERT"' in migrations["args"][-1], "verified TLS to Supabase"
    secret_envs = {s["env"]: s["versionName"] for s in build["availableSecrets"]["secretManager"]}
    assert "/secrets/fa-database-ca-cert/" in secret_envs["FA_DATABASE__CA_CERT"]


def test_the_inference_service_has_a_connection_for_each_request_it_serves_at_once() -> None:
    """Its concurrency is 8; the settings' default pool (1 + 2 overflow) is sized for a function serving one."""
    text = " ".join((TERRAFORM / "modules" / "inference" / "main.tf").read_text().split())
    assert "FA_DATABASE__POOL_SIZE = tostring(var.service.concurrency)" in text
    assert "max_instance_request_concurrency = var.service.concurrency" in text
