"""What the report adds on top of rows and insights: its state (the way HypeAuditor labels a report), a summary
of the per-post visual output, and the related profiles Instagram suggested. Pure functions of the report's
parts, so the document and a test build them the same way."""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any, Literal

from pydantic import BaseModel

MIN_POSTS = 6  # fewer analysed posts than this: every figure is shaky


class ReportState(BaseModel):
    value: Literal["ready", "ready_low_confidence", "not_ready"]
    reasons: list[str]  # why not plain `ready` (empty when it is)


class Spread(BaseModel):
    min: float
    median: float
    max: float


class VisualLabel(BaseModel):
    label: str
    posts: int


class VisualSummary(BaseModel):
    posts_with_image: int
    top_labels: list[VisualLabel]  # image classes (full profile); empty in lite, which has no classifier
    brightness: Spread | None  # 0 (black) .. 1 (white)
    colourfulness: Spread | None  # Hasler & Süsstrunk; ~15 dull, ~60 very colourful


class RelatedProfile(BaseModel):
    username: str
    full_name: str | None
    is_verified: bool
    is_private: bool


def state(*, posts: int, analysed: bool, insights: dict[str, Any] | None, failed: dict[str, str]) -> ReportState:
    """not_ready: nothing to judge yet; ready_low_confidence: judged, on thin or partial evidence; ready."""
    if posts == 0:
        return ReportState(value="not_ready", reasons=["no posts to analyse (private or empty profile)"])
    pending = [what for what, done in (("post analysis", analysed), ("insights", insights is not None)) if not done]
    if pending:
        return ReportState(value="not_ready", reasons=[f"{what} pending" for what in pending])
    reasons = [f"{name} could not be computed: {why}" for name, why in sorted(failed.items())]
    quality = (insights or {}).get("audience_quality") or {}
    if quality.get("state") in ("low_confidence", "not_ready"):
        seen = quality.get("posts_with_visible_likes")
        reasons.append(f"audience quality is {quality['state'].replace('_', ' ')} ({seen} posts with visible likes)")
    if posts < MIN_POSTS:
        reasons.append(f"only {posts} posts (at least {MIN_POSTS} make the figures steady)")
    return ReportState(value="ready_low_confidence" if reasons else "ready", reasons=reasons)


def visual_summary(results: list[dict[str, Any]]) -> VisualSummary | None:
    """From each post's `visual` result: image classes by how many posts show them, brightness and colour spread."""
    ok = [r for r in results if r.get("status") == "ok"]
    if not results:
        return None
    labels = Counter(top["label"] for r in ok for top in (r.get("labels") or [])[:1])
    return VisualSummary(
        posts_with_image=len(ok),
        top_labels=[VisualLabel(label=label, posts=n) for label, n in labels.most_common(5)],
        brightness=_spread([r["stats"]["brightness"] for r in ok if "brightness" in r.get("stats", {})]),
        colourfulness=_spread([r["stats"]["colourfulness"] for r in ok if "colourfulness" in r.get("stats", {})]),
    )


def _spread(values: list[float]) -> Spread | None:
    if not values:
        return None
    return Spread(min=min(values), median=round(statistics.median(values), 4), max=max(values))
