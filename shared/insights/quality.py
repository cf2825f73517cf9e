"""Audience quality score (0-100): named components, each with its value, score, weight and contribution.

A component without data is left out and its weight shared among the rest; the state says how far
to trust the score: `not_ready` under 3 posts with visible likes, `low_confidence` under 6 or when a
component is missing, else `ready`.
"""

from __future__ import annotations

import math
import statistics
from itertools import pairwise
from typing import Any

from shared.insights import comments
from shared.insights.inputs import CreatorData

WEIGHTS = {
    "engagement_vs_tier": 0.30,
    "follower_following_ratio": 0.15,
    "growth_regularity": 0.20,
    "comment_authenticity": 0.20,
    "engagement_consistency": 0.15,
}


def _growth_regularity(data: CreatorData) -> tuple[float, float] | None:
    """Daily growth rates between snapshots: 1 when steady, towards 0 when one interval dwarfs the rest."""
    shots = data.snapshots
    if len(shots) < 3:
        return None
    rates = []
    for a, b in pairwise(shots):
        days = (b.captured_at - a.captured_at).total_seconds() / 86400
        if days > 0 and a.followers > 0:
            rates.append((b.followers - a.followers) / a.followers / days)
    if len(rates) < 2:
        return None
    median = statistics.median(rates)
    mad = statistics.median(abs(r - median) for r in rates) or 1e-6
    worst = max(abs(r - median) / mad for r in rates)
    return worst, max(0.0, 1 - worst / 20)


def compute(data: CreatorData, engagement: dict[str, Any] | None) -> dict[str, Any]:
    visible = [p for p in data.posts if p.likes is not None]
    components: dict[str, dict[str, Any]] = {}
    if engagement:
        pct = engagement["benchmark"]["percentile"]
        components["engagement_vs_tier"] = {"value": pct, "score": pct / 100}
    ratio = data.followers / max(data.follows, 1)
    components["follower_following_ratio"] = {
        "value": round(ratio, 2),
        "score": min(1.0, max(0.0, math.log10(max(ratio, 1e-9)) / 2)),  # 100:1 or better scores 1
    }
    growth = _growth_regularity(data)
    if growth is not None:
        components["growth_regularity"] = {"value": round(growth[0], 2), "score": growth[1]}
    seen = comments.profile(data)
    if seen["comments_seen"] >= 5:  # value: the share of comments that look arranged (shared.insights.comments)
        components["comment_authenticity"] = {"value": seen["inorganic_share"], "score": 1 - seen["inorganic_share"]}
    if engagement and len(engagement["per_post_er"]) >= 3:
        rates = engagement["per_post_er"]
        cv = statistics.pstdev(rates) / statistics.fmean(rates) if statistics.fmean(rates) else 1.0
        components["engagement_consistency"] = {"value": round(cv, 3), "score": max(0.0, 1 - cv / 1.5)}
    total_weight = sum(WEIGHTS[name] for name in components)
    score = 0.0
    for name, component in components.items():
        weight = WEIGHTS[name] / total_weight
        component["score"] = round(component["score"], 3)
        component["weight"] = round(weight, 3)
        component["contribution"] = round(100 * weight * component["score"], 1)
        score += component["contribution"]
    missing = sorted(set(WEIGHTS) - set(components))
    if len(visible) < 3:
        state = "not_ready"
    elif len(visible) < 6 or missing:
        state = "low_confidence"
    else:
        state = "ready"
    return {
        "score": round(score, 1) if state != "not_ready" else None,
        "state": state,
        "components": components,
        "missing_components": missing,
        "posts_with_visible_likes": len(visible),
    }
