"""Run every analysis on its own: one failing (or lacking data) never sinks the others."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared.insights import audience, behaviour, comments, content, engagement, fraud, quality, trends
from shared.insights.engagement import NotEnoughData
from shared.insights.inputs import CreatorData

log = logging.getLogger("insights")

# Order matters only for the two that read engagement's result.
ANALYSES: dict[str, Callable[[CreatorData, dict[str, Any] | None], dict[str, Any]]] = {
    "engagement": lambda data, _: engagement.compute(data),
    "audience_quality": quality.compute,
    "fraud": fraud.compute,
    "behaviour": lambda data, _: behaviour.compute(data),
    "trends": lambda data, _: trends.compute(data),
    "audience": lambda data, _: audience.compute(data),
    "content": lambda data, _: content.compute(data),
    "comments": lambda data, _: comments.profile(data),
}


@dataclass
class Insights:
    data: dict[str, Any] = field(default_factory=dict)
    ran: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return "complete" if not self.failed else "partial"


def compute_all(data: CreatorData, only: dict[str, Callable[..., dict[str, Any]]] | None = None) -> Insights:
    out = Insights()
    for name, analysis in (only or ANALYSES).items():
        try:
            out.data[name] = analysis(data, out.data.get("engagement"))
            out.ran.append(name)
        except NotEnoughData as exc:
            out.failed[name] = f"not enough data: {exc}"
        except Exception as exc:  # one analysis' bug must not cost the others
            log.exception("insight analysis failed", extra={"analysis": name})
            out.failed[name] = f"{type(exc).__name__}: {exc}"
    return out
