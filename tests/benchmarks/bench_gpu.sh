#!/usr/bin/env bash
# The GPU benchmark in one call: install the carried wheels the GPU machine lacks (transformers 4.x, as
# pyproject pins and the image installs; its tokenizers and hub), then run bench_gpu.py. On a CPU
# with the project's venv: TINY=1 tests/benchmarks/bench_gpu.sh is the dry run.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY_SET=${PY:-}; PY=${PY:-python3}
if [ -z "${PY_SET:-}" ] && [ -x .venv/bin/python ]; then PY=.venv/bin/python; fi
if compgen -G ".whl/*.whl" > /dev/null; then
  # A wheel is a zip laid out for site-packages: unpacking needs no pip, and nothing else is installed.
  "$PY" -c 'import sys, zipfile; [zipfile.ZipFile(w).extractall("/tmp/site") for w in sys.argv[1:]]' .whl/*.whl
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH="${PYTHONPATH:+$PYTHONPATH:}$PWD" PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=true
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.max.sm --format=csv 2>/dev/null || true
exec "$PY" tests/benchmarks/bench_gpu.py
