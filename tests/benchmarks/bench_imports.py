"""Cold import time and peak RSS of each function entry module, each in fresh processes.

Goals: <= 0.5 s and <= 200 MB per entry module, and no torch/transformers. Prints medians of
REPEAT fresh interpreters, beside a bare interpreter measured in the same run (the floor).
Run with `make bench-imports`.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).with_name("import_probe.py")
REPEAT = int(os.environ.get("REPEAT", "5"))
GOAL_S, GOAL_MB = 0.5, 200.0


def entry_modules() -> list[Path]:
    return sorted((REPO / "functions").glob("*/main.py"))


def measure(path: str, *then: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO), "FA_PROFILE": os.environ.get("FA_PROFILE", "local")}
    runs = []
    for _ in range(REPEAT):
        argv = [sys.executable, str(PROBE), path, *then]
        out = subprocess.run(argv, capture_output=True, text=True, env=env, check=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {
        "import_s": statistics.median(r["import_s"] for r in runs),
        "rss_mb": statistics.median(r["rss_mb"] for r in runs),
        "heavy": sorted({m for r in runs for m in r["heavy"]}),
    }


def framework_floor() -> dict:
    """`import functions_framework, flask`: what any function pays before our code (goal: the API <= 2.5x it)."""
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as module:
        module.write("import functions_framework, flask  # noqa: F401\n")
    return measure(module.name)


def main() -> int:
    floor = measure("-")
    framework = framework_floor()
    print(f"Cold import of each function entry module: median of {REPEAT} fresh processes, {sys.version.split()[0]}")
    print(f"{'module':<34} {'import s':>9} {'vs goal':>8} {'RSS MB':>8} {'vs goal':>8}  heavy imports")
    print(f"{'(bare interpreter)':<34} {floor['import_s']:>9.3f} {'':>8} {floor['rss_mb']:>8.1f} {'':>8}")
    print(f"{'(functions_framework + flask)':<34} {framework['import_s']:>9.3f} {'':>8} {framework['rss_mb']:>8.1f}")
    failed = False
    for module in entry_modules():
        result = measure(str(module))
        ok = result["import_s"] <= GOAL_S and result["rss_mb"] <= GOAL_MB and not result["heavy"]
        failed |= not ok
        print(
            f"{module.relative_to(REPO)!s:<34} {result['import_s']:>9.3f} {result['import_s'] / GOAL_S:>7.2f}x "
            f"{result['rss_mb']:>8.1f} {result['rss_mb'] / GOAL_MB:>7.2f}x  {', '.join(result['heavy']) or 'none'}"
        )
    api = measure(str(REPO / "functions/api/main.py"))
    print(f"api / (functions_framework + flask): {api['import_s'] / framework['import_s']:.2f}x (goal <= 2.5x)")
    # Route modules load on first use (shared.http.router.Router.include): what the first report request adds.
    report = measure(str(REPO / "functions/api/main.py"), "/v1/creators/some.name")
    print(
        f"api, then the modules a first GET /v1/creators/{{u}} loads: {report['import_s']:.3f} s, "
        f"{report['rss_mb']:.1f} MB (paid once per instance, on its first report request)"
    )
    print("ratio = measured / goal; <= 1.00x meets the goal")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
