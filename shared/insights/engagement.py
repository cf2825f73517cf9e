"""Engagement: per-post and median engagement rate, by type, spread, ratios, and a benchmark by tier.

ER = (likes + comments) / followers. Posts with hidden likes are excluded from every like-based
figure and counted. The tier benchmark interpolates the creator's median ER into REFERENCE below.
"""

from __future__ import annotations

import statistics
from typing import Any

from shared.insights.inputs import CreatorData, PostData


class NotEnoughData(Exception):
    """The analysis cannot say anything meaningful with the data there is."""


# Median-ER percentiles (in %) by follower tier for Instagram: p10, p25, p50, p75, p90. A documented
# reference compiled from public industry reports (HypeAuditor "State of Instagram Influencer
# Marketing" 2024; Influencer Marketing Hub benchmark report 2024), rounded. Replace with our own
# distribution once enough creators are stored.
PERCENTILES = (10, 25, 50, 75, 90)
REFERENCE: dict[str, tuple[float, ...]] = {
    "nano": (1.0, 2.0, 3.5, 5.5, 8.5),  # < 10k followers
    "micro": (0.6, 1.0, 1.8, 3.0, 4.8),  # < 100k
    "mid": (0.4, 0.7, 1.2, 2.0, 3.3),  # < 500k
    "macro": (0.3, 0.55, 0.9, 1.6, 2.6),  # < 1M
    "mega": (0.2, 0.4, 0.7, 1.3, 2.2),  # >= 1M
}
REFERENCE_SOURCE = "HypeAuditor 2024 / Influencer Marketing Hub 2024 Instagram ER by tier (rounded)"


def tier(followers: int) -> str:
    for name, upper in (("nano", 10_000), ("micro", 100_000), ("mid", 500_000), ("macro", 1_000_000)):
        if followers < upper:
            return name
    return "mega"


def percentile_in_tier(er_percent: float, tier_name: str) -> float:
    """Where an ER sits in its tier (0-100), linear between the reference points, clamped at 1 and 99."""
    points = REFERENCE[tier_name]
    xs = [0.0, *points, points[-1] * 2]
    ys = [1.0, *map(float, PERCENTILES), 99.0]
    if er_percent >= xs[-1]:
        return ys[-1]
    k = next(i for i in range(1, len(xs)) if er_percent < xs[i])
    share = (er_percent - xs[k - 1]) / (xs[k] - xs[k - 1])
    return round(ys[k - 1] + share * (ys[k] - ys[k - 1]), 1)


def post_er(post: PostData, followers: int) -> float | None:
    """A visible post's ER in %; None when likes are hidden."""
    if post.likes is None or followers <= 0:
        return None
    return 100.0 * (post.likes + post.comments) / followers


def video(data: CreatorData) -> dict[str, Any] | None:
    """Reels and videos by their plays: how many followers a video reaches (view rate) and how many of its
    viewers interact (engagement per view). None when no video carries a play or view count."""
    watched = [p for p in data.posts if p.views]
    if not watched:
        return None
    views = [p.views or 0 for p in watched]
    per_view = [100.0 * ((p.likes or 0) + p.comments) / (p.views or 1) for p in watched if p.likes is not None]
    return {
        "posts": len(watched),
        "median_views": statistics.median(views),
        "view_rate": round(100.0 * statistics.median(views) / data.followers, 4),  # % of followers
        "engagement_per_view": round(statistics.median(per_view), 4) if per_view else None,  # % of viewers
    }


def compute(data: CreatorData) -> dict[str, Any]:
    if data.followers <= 0:
        raise NotEnoughData("the follower count is unknown")
    visible = [p for p in data.posts if p.likes is not None]
    hidden = len(data.posts) - len(visible)
    if not visible:
        raise NotEnoughData(f"no post with visible likes ({hidden} hidden)")
    rates = [post_er(p, data.followers) or 0.0 for p in visible]
    likes = [p.likes or 0 for p in visible]
    by_type: dict[str, float] = {}
    for kind in sorted({p.post_type for p in visible}):
        by_type[kind] = round(
            statistics.median(r for p, r in zip(visible, rates, strict=True) if p.post_type == kind), 4
        )
    median_er = statistics.median(rates)
    name = tier(data.followers)
    q1, _, q3 = statistics.quantiles(likes, n=4, method="inclusive") if len(likes) > 1 else (likes[0],) * 3
    return {
        "posts_used": len(visible),
        "hidden_likes_posts": hidden,
        "median_er": round(median_er, 4),
        "mean_er": round(statistics.fmean(rates), 4),
        "per_post_er": [round(r, 4) for r in rates],
        "er_by_type": by_type,
        "likes_spread": {
            "median": statistics.median(likes),
            "iqr": float(q3 - q1),  # inclusive quartiles, as numpy's default percentile
            "cv": round(statistics.pstdev(likes) / statistics.fmean(likes), 4) if statistics.fmean(likes) else None,
        },
        "like_to_comment_ratio": round(statistics.median(p.likes / max(p.comments, 1) for p in visible if p.likes), 2)
        if any(p.likes for p in visible)
        else None,
        "comments_rate": round(100.0 * statistics.median(p.comments for p in data.posts) / data.followers, 4),
        "video": video(data),
        "benchmark": {
            "tier": name,
            "percentile": percentile_in_tier(median_er, name),
            "tier_median_er": REFERENCE[name][2],
            "reference": REFERENCE_SOURCE,
        },
    }
