"""Fraud signals, each with the evidence behind it: explicit rules plus an IsolationForest over posts.

Rules: mass-following, engagement far below the tier, a sudden follower jump between snapshots,
generic or repeated comments. The IsolationForest (seeded) marks posts whose engagement shape is
unlike the rest; a post counts only when it is also far from the median (x4 or /4), so 12 ordinary
posts never raise a flag just because the forest must isolate something.
"""

from __future__ import annotations

import statistics
from itertools import pairwise
from typing import Any

from shared.insights import comments
from shared.insights.engagement import REFERENCE, post_er, tier
from shared.insights.inputs import CreatorData

SEED = 0
MASS_FOLLOWING_MIN = 1_500
JUMP_MIN_RELATIVE = 0.2  # +20% followers within one snapshot interval...
JUMP_MAX_DAYS = 14  # ...of at most two weeks
POD_SHARE = 0.2  # comment_pod: a fifth of the recent comments pasted by several accounts...
REGULARS_SHARE = 0.3  # ...or three in ten from accounts that comment under most posts


def _flag(code: str, severity: str, why: str, **evidence: Any) -> dict[str, Any]:
    return {"code": code, "severity": severity, "why": why, "evidence": evidence}


def rules(data: CreatorData, median_er: float | None) -> list[dict[str, Any]]:
    flags = []
    if data.follows >= MASS_FOLLOWING_MIN and data.follows >= 0.5 * max(data.followers, 1):
        flags.append(
            _flag(
                "mass_following",
                "medium",
                f"follows {data.follows:,} accounts against {data.followers:,} followers (follow-for-follow pattern)",
                follows=data.follows,
                followers=data.followers,
            )
        )
    if median_er is not None and data.followers > 0:
        name = tier(data.followers)
        floor = REFERENCE[name][0] / 2
        if median_er < floor:
            flags.append(
                _flag(
                    "er_far_below_tier",
                    "high",
                    f"median ER {median_er:.2f}% is under half the {name} tier's 10th percentile "
                    f"({REFERENCE[name][0]}%): the followers do not engage",
                    median_er=round(median_er, 4),
                    tier=name,
                    tier_p10=REFERENCE[name][0],
                )
            )
    for a, b in pairwise(data.snapshots):
        days = (b.captured_at - a.captured_at).total_seconds() / 86400
        if (
            a.followers > 0
            and 0 < days <= JUMP_MAX_DAYS
            and (b.followers - a.followers) / a.followers >= JUMP_MIN_RELATIVE
        ):
            flags.append(
                _flag(
                    "follower_jump",
                    "high",
                    f"followers went from {a.followers:,} to {b.followers:,} in {days:.1f} days",
                    before=a.followers,
                    after=b.followers,
                    days=round(days, 1),
                    at=b.captured_at.isoformat(),
                )
            )
    seen = comments.profile(data)
    if seen["comments_seen"] >= 10 and (seen["pod_share"] >= POD_SHARE or seen["regulars_share"] >= REGULARS_SHARE):
        flags.append(
            _flag(
                "comment_pod",
                "medium",
                f"{seen['pod_share']:.0%} of {seen['comments_seen']} recent comments repeat a text other accounts "
                f"also posted, {seen['regulars_share']:.0%} come from accounts under most posts (an engagement pod)",
                pod_share=seen["pod_share"],
                pods=seen["pods"],
                regulars_share=seen["regulars_share"],
                regulars=seen["regulars"],
            )
        )
    if seen["comments_seen"] >= 10 and (seen["generic_share"] >= 0.6 or seen["repeated_share"] >= 0.3):
        flags.append(
            _flag(
                "generic_comments",
                "medium",
                f"{seen['generic_share']:.0%} of {seen['comments_seen']} recent comments are generic one-liners, "
                f"{seen['repeated_share']:.0%} repeat word for word (engagement pods or bots)",
                **seen,
            )
        )
    return flags


def outlier_posts(data: CreatorData) -> list[dict[str, Any]]:
    visible = [p for p in data.posts if p.likes is not None]
    if len(visible) < 8 or data.followers <= 0:
        return []
    import numpy as np  # imported here, with scikit-learn: the worker's cold start stays light
    from sklearn.ensemble import IsolationForest

    rates = [post_er(p, data.followers) or 0.0 for p in visible]
    features = np.array(
        [
            [np.log1p(p.likes or 0), np.log1p(p.comments), r, p.comments / max(p.likes or 0, 1)]
            for p, r in zip(visible, rates, strict=True)
        ]
    )
    marked = IsolationForest(n_estimators=100, random_state=SEED).fit(features).predict(features)
    median = statistics.median(rates) or 1e-9
    return [
        {
            "posted_at": p.posted_at.isoformat() if p.posted_at else None,
            "er": round(r, 4),
            "x_median": round(r / median, 2),
        }
        for p, r, m in zip(visible, rates, marked, strict=True)
        if m == -1 and (r >= 4 * median or r <= median / 4)
    ]


def compute(data: CreatorData, engagement: dict[str, Any] | None) -> dict[str, Any]:
    median_er = engagement["median_er"] if engagement else None
    flags = rules(data, median_er)
    outliers = outlier_posts(data)
    if outliers:
        flags.append(
            _flag(
                "engagement_outliers",
                "low",
                f"{len(outliers)} post(s) engage at 4x or 1/4 of the median (bought likes on single posts?)",
                posts=outliers,
            )
        )
    high = sum(f["severity"] == "high" for f in flags)
    risk = "high" if high else ("medium" if flags else "low")
    checked = ["mass_following", "er_far_below_tier", "follower_jump", "generic_comments", "comment_pod"]
    return {"risk": risk, "flags": flags, "checked": [*checked, "engagement_outliers"]}
