"""Run in a fresh interpreter: import one function entry module, report time, peak RSS and heavy modules."""

import importlib.util
import json
import resource
import sys
import time

HEAVY = ("torch", "transformers", "sentence_transformers", "tensorflow")

if __name__ == "__main__":
    path = sys.argv[1]
    started = time.perf_counter()
    if path != "-":
        spec = importlib.util.spec_from_file_location("entry", path)
        assert spec and spec.loader
        entry = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(entry)
        if len(sys.argv) > 2:  # then what the first request to this path imports (the route modules under it)
            entry.router.load_for(sys.argv[2])
    elapsed = time.perf_counter() - started
    print(
        json.dumps(
            {
                "import_s": elapsed,
                "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "heavy": sorted(m for m in HEAVY if m in sys.modules),
            }
        )
    )
