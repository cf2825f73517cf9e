"""The report's state and visual summary, from their parts."""

from __future__ import annotations

import pytest

from shared.creators import completeness

READY_INSIGHTS = {"audience_quality": {"state": "ready", "posts_with_visible_likes": 12}}


@pytest.mark.parametrize(
    ("parts", "value", "reason"),
    [
        (dict(posts=0, analysed=False, insights=None, failed={}), "not_ready", "no posts to analyse"),
        (dict(posts=12, analysed=False, insights=None, failed={}), "not_ready", "post analysis pending"),
        (dict(posts=12, analysed=True, insights=None, failed={}), "not_ready", "insights pending"),
        (dict(posts=12, analysed=True, insights=READY_INSIGHTS, failed={}), "ready", None),
        (dict(posts=4, analysed=True, insights=READY_INSIGHTS, failed={}), "ready_low_confidence", "only 4 posts"),
        (
            dict(posts=12, analysed=True, insights=READY_INSIGHTS, failed={"trends": "not enough data: 2 posts"}),
            "ready_low_confidence",
            "trends could not be computed",
        ),
        (
            dict(posts=12, analysed=True, failed={},
                 insights={"audience_quality": {"state": "low_confidence", "posts_with_visible_likes": 4}}),
            "ready_low_confidence",
            "audience quality is low confidence (4 posts with visible likes)",
        ),
    ],
)  # fmt: skip
def test_the_report_state_names_its_reasons(parts, value, reason) -> None:  # type: ignore[no-untyped-def]
    state = completeness.state(**parts)
    assert state.value == value
    assert (reason is None and state.reasons == []) or any(reason in r for r in state.reasons), state.reasons


def test_the_visual_summary_counts_top_labels_and_spreads_the_image_statistics() -> None:
    results = [
        {"status": "ok", "stats": {"brightness": 0.2, "colourfulness": 10.0}, "labels": [{"label": "dumbbell"}]},
        {"status": "ok", "stats": {"brightness": 0.6, "colourfulness": 40.0}, "labels": [{"label": "dumbbell"}]},
        {"status": "ok", "stats": {"brightness": 0.9, "colourfulness": 70.0}, "labels": [{"label": "plate"}]},
        {"status": "no_image"},
    ]
    summary = completeness.visual_summary(results)
    assert summary is not None and summary.posts_with_image == 3
    assert [(label.label, label.posts) for label in summary.top_labels] == [("dumbbell", 2), ("plate", 1)]
    assert summary.brightness and (summary.brightness.min, summary.brightness.median, summary.brightness.max) == (
        0.2,
        0.6,
        0.9,
    )
    assert summary.colourfulness and summary.colourfulness.median == 40.0
    assert completeness.visual_summary([]) is None
