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
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
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
