# Two commands matter: `make demo` and `make test`. Both set everything up from nothing.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
EMU := .venv-emulators
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
EMU_STAMP := $(EMU)/.installed
CHECKOV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV)/.installed

.PHONY: demo dev down test lint typecheck openapi bench-imports bench-inference bench-insights bench-catalogue bench-search bench-gpu tick tf-manifest functions-bundle infra-checks setup emulators system-deps clean

demo: setup emulators  ## start the local stack, run a demo through it, stop it
	$(PY) -m infra.local.demo

dev: setup emulators  ## start the local stack and keep it up (Ctrl-C stops it)
	$(PY) -m infra.local.stack dev

down:  ## stop a stack left running by `make dev`
	$(PY) -m infra.local.stack down

test: setup emulators lint typecheck infra-checks  ## ruff, mypy, offline infra checks, then pytest against real Postgres and emulators
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: setup
	$(VENV)/bin/mypy shared functions infra gpu_inference tests/benchmarks

tick: setup  ## fire one schedule entry on the running local stack: make tick TASK=discovery (or reap_stale_jobs, ...)
	$(PY) -m infra.local.scheduler tick $(TASK)

tf-manifest: setup  ## regenerate infra/manifest.json (functions, topics, subscriptions, secrets, queues, schedules)
	$(PY) -m infra.manifest > infra/manifest.json

functions-bundle: setup  ## dist/functions.zip: the reproducible source bundle every Cloud Function deploys from
	$(PY) -m infra.bundle dist/functions.zip

# Terraform can't be validated here (no provider download): fmt, checkov, the provider-schema check, hadolint.
infra-checks: setup $(CHECKOV_STAMP)
	@if command -v terraform >/dev/null; then terraform fmt -check -recursive infra/terraform && echo "terraform fmt: clean"; \
	 else echo "terraform fmt: skipped (no terraform binary here, and no registry ships it)"; fi
	$(CHECKOV)/bin/checkov -d infra/terraform --framework terraform --skip-download --compact --quiet
	$(PY) -m infra.checks.provider_schema infra/terraform
	$(VENV)/bin/hadolint gpu_inference/Dockerfile infra/ci/Dockerfile && echo "hadolint: clean"

# checkov lives apart: it pulls bc-python-hcl2, which would replace python-hcl2's `hcl2` module.
$(CHECKOV_STAMP): infra/checks/checkov.txt
	@test -x $(CHECKOV)/bin/python || $(PYTHON) -m venv $(CHECKOV)
	$(CHECKOV)/bin/python -m pip install -qq --upgrade pip
	$(CHECKOV)/bin/python -m pip install -qq -r infra/checks/checkov.txt
	@touch $@

openapi: setup  ## regenerate docs/openapi.json from the routes' models
	$(PY) -m functions.api.openapi_export > docs/openapi.json

bench-imports: setup  ## cold import time and RSS of each function entry module
	$(PY) tests/benchmarks/bench_imports.py

bench-inference: setup  ## batched engine vs one pipeline() per post, full-size random-init models; writes docs/benchmarks.md
	PYTHONPATH=. $(PY) tests/benchmarks/bench_inference.py

bench-gpu: setup  ## GPU figures (on a GPU machine: tests/benchmarks/bench_gpu.sh alone); TINY=1 is the CPU dry run
	tests/benchmarks/bench_gpu.sh

bench-insights: setup  ## insights time per creator (12 and 50 posts) and peak RSS
	PYTHONPATH=. $(PY) tests/benchmarks/bench_insights.py

bench-catalogue: setup  ## catalogue search and lookalikes latency at 10k and 100k synthetic creators, HNSW recall
	PYTHONPATH=. $(PY) tests/benchmarks/bench_catalogue.py

bench-search: setup emulators  ## search latency, end-to-end and batch times on the local stack
	PYTHONPATH=. $(PY) tests/benchmarks/bench_search.py

setup: system-deps $(STAMP)

system-deps:
	@bash infra/local/system-deps.sh

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -qq --upgrade pip
	$(PY) -m pip install -qq -e '.[functions,inference,dev]'
	@touch $@

# The emulators live in their own venv: gcloud-tasks-emulator pins protobuf<5, the functions need newer.
emulators: $(EMU_STAMP)

$(EMU_STAMP): infra/local/emulators.txt
	@test -x $(EMU)/bin/python || $(PYTHON) -m venv $(EMU)
	$(EMU)/bin/python -m pip install -qq --upgrade pip
	$(EMU)/bin/python -m pip install -qq -r infra/local/emulators.txt
	@touch $@

clean: down
	rm -rf $(VENV) $(EMU) $(CHECKOV) .cache .local .pytest_cache .ruff_cache
