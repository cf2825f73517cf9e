"""Behaviour: posting cadence and regularity, weekday/hour histograms (UTC), content mix, captions, hashtags."""

from __future__ import annotations

import statistics
from collections import Counter
from itertools import pairwise
from typing import Any

from shared.insights.engagement import NotEnoughData
from shared.insights.inputs import CreatorData

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def compute(data: CreatorData) -> dict[str, Any]:
    dated = sorted(p.posted_at for p in data.posts if p.posted_at is not None)
    if len(dated) < 2:
        raise NotEnoughData("fewer than two dated posts")
    gaps = [(b - a).total_seconds() / 3600 for a, b in pairwise(dated)]
    mean_gap = statistics.fmean(gaps)
    regularity = 1 - min(1.0, statistics.pstdev(gaps) / mean_gap) if mean_gap > 0 else 0.0
    weekdays = Counter(WEEKDAYS[d.weekday()] for d in dated)
    hours = Counter(d.hour for d in dated)
    types = Counter(p.post_type for p in data.posts)
    span_days = max((dated[-1] - dated[0]).total_seconds() / 86400, 1e-9)
    return {
        "posts_dated": len(dated),
        "median_gap_hours": round(statistics.median(gaps), 2),
        "posts_per_week": round(7 * (len(dated) - 1) / span_days, 2),
        "regularity": round(regularity, 3),  # 1 = perfectly even gaps, 0 = gaps vary as much as their mean
        "weekday_histogram": {d: weekdays.get(d, 0) for d in WEEKDAYS},
        "hour_histogram_utc": {h: hours.get(h, 0) for h in range(24)},
        "content_mix": {t: round(n / len(data.posts), 3) for t, n in sorted(types.items())},
        "median_caption_chars": statistics.median(len(p.caption) for p in data.posts),
        "hashtags_per_post": round(statistics.fmean(len(p.hashtags) for p in data.posts), 2),
        "posts_with_hashtags": round(sum(bool(p.hashtags) for p in data.posts) / len(data.posts), 3),
    }
