"""Trends: follower growth from snapshots (Theil-Sen slope, robust to one odd reading), the engagement
trend over posts, and change points in engagement (binary segmentation with a BIC-style penalty)."""

from __future__ import annotations

import math
import statistics
from typing import Any

from shared.insights.engagement import NotEnoughData, post_er
from shared.insights.inputs import CreatorData

FLAT = 0.05  # |relative change per 30 days| below this reads as flat


def _direction(relative: float) -> str:
    return "flat" if abs(relative) < FLAT else ("up" if relative > 0 else "down")


def follower_growth(data: CreatorData) -> dict[str, Any]:
    import numpy as np  # here, not at module level: the worker's cold start stays light
    from scipy import stats

    shots = data.snapshots
    if len(shots) < 2:
        return {"status": "not_enough_snapshots", "snapshots": len(shots)}
    t0 = shots[0].captured_at
    days = np.array([(s.captured_at - t0).total_seconds() / 86400 for s in shots])
    followers = np.array([s.followers for s in shots], dtype=float)
    if days[-1] <= 0:
        return {"status": "not_enough_snapshots", "snapshots": len(shots)}
    slope = (
        float(stats.theilslopes(followers, days)[0])
        if len(shots) >= 3
        else float((followers[-1] - followers[0]) / days[-1])
    )
    base = max(float(np.median(followers)), 1.0)
    return {
        "status": "ok",
        "snapshots": len(shots),
        "span_days": round(float(days[-1]), 1),
        "per_day": round(slope, 2),
        "relative_per_30d": round(30 * slope / base, 4),
        "direction": _direction(30 * slope / base),
        "first": int(followers[0]),
        "last": int(followers[-1]),
    }


def change_points(series: list[float], min_size: int = 3) -> list[int]:
    """Indices where the mean of `series` shifts (binary segmentation; each split must pay a BIC penalty)."""
    import numpy as np

    values = np.asarray(series, dtype=float)
    if len(values) < 2 * min_size:
        return []
    variance = float(np.var(values)) or 1e-12
    penalty = 2 * math.log(len(values)) * variance

    def best_split(lo: int, hi: int) -> tuple[int, float]:
        segment = values[lo:hi]
        total = float(((segment - segment.mean()) ** 2).sum())
        best, gain = -1, 0.0
        for k in range(min_size, len(segment) - min_size + 1):
            left, right = segment[:k], segment[k:]
            cost = float(((left - left.mean()) ** 2).sum() + ((right - right.mean()) ** 2).sum())
            if total - cost > gain:
                best, gain = lo + k, total - cost
        return best, gain

    found, stack = [], [(0, len(values))]
    while stack:
        lo, hi = stack.pop()
        if hi - lo < 2 * min_size:
            continue
        split, gain = best_split(lo, hi)
        if split > 0 and gain > penalty:
            found.append(split)
            stack += [(lo, split), (split, hi)]
    return sorted(found)


def compute(data: CreatorData) -> dict[str, Any]:
    posts = sorted((p for p in data.posts if p.posted_at and p.likes is not None), key=lambda p: p.posted_at)  # type: ignore[arg-type, return-value]
    growth = follower_growth(data)
    if len(posts) < 4 and growth["status"] != "ok":
        raise NotEnoughData("fewer than four dated posts with visible likes and no snapshot history")
    result: dict[str, Any] = {"followers": growth}
    if len(posts) >= 4:
        from scipy import stats

        t0 = posts[0].posted_at
        days = [(p.posted_at - t0).total_seconds() / 86400 for p in posts]  # type: ignore[operator]
        rates = [post_er(p, data.followers) or 0.0 for p in posts]
        slope = float(stats.theilslopes(rates, days)[0]) if days[-1] > 0 else 0.0
        base = max(statistics.median(rates), 1e-9)
        points = change_points(rates)
        result["engagement"] = {
            "posts": len(posts),
            "er_slope_per_30d": round(30 * slope, 4),
            "relative_per_30d": round(30 * slope / base, 4),
            "direction": _direction(30 * slope / base),
            "change_points": [
                {
                    "at": posts[k].posted_at.isoformat(),  # type: ignore[union-attr]
                    "er_before": round(statistics.fmean(rates[:k]), 4),
                    "er_after": round(statistics.fmean(rates[k:]), 4),
                }
                for k in points
            ],
        }
    return result
