"""Cold import time and peak RSS of each function entry module, each in fresh processes.

Goals: <= 0.5 s and <= 200 MB per entry module, and no torch/transformers. Prints medians of
REPEAT fresh interpreters, beside a bare interpreter measured in the same run (the floor).
Run with `make bench-imports`.

Our own modules are measured from two clean copies of shared/ and functions/, taking turns: from source (no
bytecode, as on an instance that cannot use a cached .pyc; the goals apply to this one) and compiled (the .pyc
files Google's Python buildpack writes with `compileall` when it builds a function). The checkout's own
__pycache__ folders, present or stale, change nothing. Installed packages use their .pyc files in both. Compiling
our modules costs little beside the rest (the API imports 22 of them: 30-50 ms of their own time compiled, 65-70 ms
from source, under `-X importtime`), so the two columns differ by about the machine's noise.
"""

from __future__ import annotations

import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).with_name("import_probe.py")
REPEAT = int(os.environ.get("REPEAT", "5"))
GOAL_S, GOAL_MB = 0.5, 200.0
API = "functions/api/main.py"


def clean_copy(target: Path) -> Path:
    """shared/ and functions/ without any bytecode, under `target`."""
    for package in ("shared", "functions"):
        shutil.copytree(REPO / package, target / package, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def measure(path: str, *then: str, source: Path = REPO) -> dict:
    return measure_each([(path, source)], *then)[0]


def measure_each(variants: list[tuple[str, Path]], *then: str) -> list[dict]:
    """Median import time, peak RSS and heavy modules of each (entry module, source tree), the variants taking
    turns in each of REPEAT rounds so that a busy moment of the machine falls on all of them alike."""
    runs: list[list[dict]] = [[] for _ in variants]
    for _ in range(REPEAT):
        for (path, source), found in zip(variants, runs, strict=True):
            env = {
                **os.environ,
                "PYTHONPATH": str(source),
                "PYTHONDONTWRITEBYTECODE": "1",  # no run leaves bytecode for the next
                "FA_PROFILE": os.environ.get("FA_PROFILE", "local"),
            }
            argv = [sys.executable, str(PROBE), path, *then]
            out = subprocess.run(argv, capture_output=True, text=True, env=env, check=True)
            found.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return [
        {
            "import_s": statistics.median(r["import_s"] for r in found),
            "rss_mb": statistics.median(r["rss_mb"] for r in found),
            "heavy": sorted({m for r in found for m in r["heavy"]}),
        }
        for found in runs
    ]


def framework_floor() -> dict:
    """`import functions_framework, flask`: what any function pays before our code (goal: the API <= 2.5x it)."""
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as module:
        module.write("import functions_framework, flask  # noqa: F401\n")
    return measure(module.name)


def main() -> int:
    floor = measure("-")
    framework = framework_floor()
    with tempfile.TemporaryDirectory(prefix="fa-imports-") as scratch:
        source, compiled = clean_copy(Path(scratch) / "source"), clean_copy(Path(scratch) / "compiled")
        compileall.compile_dir(compiled, quiet=1)  # as the buildpack's `python -m compileall -f -q .`
        entries = sorted(str(p.relative_to(source)) for p in (source / "functions").glob("*/main.py"))
        raw: dict[str, dict] = {}
        built: dict[str, dict] = {}
        for entry in entries:
            raw[entry], built[entry] = measure_each([(str(source / entry), source), (str(compiled / entry), compiled)])
        # Route modules load on first use (shared.http.router.Router.include): what the first report request adds.
        report = measure(str(source / API), "/v1/creators/some.name", source=source)
    print(f"Cold import of each function entry module: median of {REPEAT} fresh processes, {sys.version.split()[0]}")
    print(f"{'module':<34} {'source s':>9} {'vs goal':>8} {'compiled s':>11} {'RSS MB':>8} {'vs goal':>8}  heavy")
    for name, base in (("(bare interpreter)", floor), ("(functions_framework + flask)", framework)):
        print(f"{name:<34} {base['import_s']:>9.3f} {'':>8} {'':>11} {base['rss_mb']:>8.1f}")
    failed = False
    for entry in entries:
        result, with_bytecode = raw[entry], built[entry]
        failed |= not (result["import_s"] <= GOAL_S and result["rss_mb"] <= GOAL_MB and not result["heavy"])
        print(
            f"{entry:<34} {result['import_s']:>9.3f} {result['import_s'] / GOAL_S:>7.2f}x "
            f"{with_bytecode['import_s']:>11.3f} {result['rss_mb']:>8.1f} {result['rss_mb'] / GOAL_MB:>7.2f}x  "
            f"{', '.join(result['heavy']) or 'none'}"
        )
    ratio, ratio_built = (run[API]["import_s"] / framework["import_s"] for run in (raw, built))
    failed |= ratio > 2.5
    print(f"api / (functions_framework + flask): {ratio:.2f}x from source, {ratio_built:.2f}x compiled (goal <= 2.5x)")
    print(
        f"api, then the modules a first GET /v1/creators/{{u}} loads: {report['import_s']:.3f} s from source, "
        f"{report['rss_mb']:.1f} MB (paid once per instance, on its first report request)"
    )
    print("ratio = measured from source / goal; <= 1.00x meets the goal")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
