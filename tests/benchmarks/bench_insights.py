"""Insights benchmark: time per creator for 12 and 50 posts (goal <= 200 ms), peak RSS (512 MB function).

Measured in a fresh process: the first creator pays the imports (numpy, scipy, scikit-learn), then
medians over REPEATS creators. Run: `make bench-insights`.
"""

from __future__ import annotations

import os
import random
import resource
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from shared.insights.inputs import Comment, CreatorData, PostData, Snapshot

REPEATS = int(os.environ.get("REPEATS", "30"))
T0 = datetime(2026, 10, 5, tzinfo=UTC)


def creator(posts: int, seed: int) -> CreatorData:
    rng = random.Random(seed)
    followers = rng.randint(5_000, 2_000_000)
    made = tuple(
        PostData(
            post_type=rng.choice(("Image", "Video", "Sidecar")),
            posted_at=T0 + timedelta(hours=rng.randint(0, 24 * 90)),
            likes=None if rng.random() < 0.1 else int(followers * rng.uniform(0.005, 0.05)),
            comments=rng.randint(0, 500),
            caption="Morning run and a smoothie #fitness #ad @brand " * rng.randint(0, 4),
            hashtags=("fitness", "ad"),
            mentions=("brand",),
            latest_comments=tuple(Comment(f"comment {rng.random():.6f}", f"fan_{k}") for k in range(5)),
            analysis={
                "language": {"label": "en", "score": 0.9},
                "sentiment": {"label": "positive"},
                "categories": {"scores": {"fitness": 0.8, "food": 0.3}},
            },
        )
        for _ in range(posts)
    )
    snaps = tuple(Snapshot(T0 + timedelta(days=7 * k), followers + 100 * k, 300) for k in range(8))
    return CreatorData(followers=followers, follows=300, posts_count=posts * 3, posts=made, snapshots=snaps)


def main() -> int:
    started = time.perf_counter()
    from shared.insights.compute import compute_all

    compute_all(creator(12, 0))
    first = time.perf_counter() - started
    print(f"Insights benchmark: {os.cpu_count()} CPUs, {REPEATS} creators per size, medians")
    print(f"  first creator incl. imports: {first * 1000:.0f} ms")
    for posts in (12, 50):
        times = []
        for seed in range(1, REPEATS + 1):
            data = creator(posts, seed)
            t = time.perf_counter()
            result = compute_all(data)
            times.append(time.perf_counter() - t)
            assert not result.failed, result.failed
        median = statistics.median(times)
        print(f"  {posts:>3} posts: median {median * 1000:.1f} ms, max {max(times) * 1000:.1f} ms "
              f"(goal <= 200 ms: {median / 0.2:.2f}x)")  # fmt: skip
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS: {rss:.0f} MB (goal: fits a 512 MB function: {rss / 512:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
