"""Insights on constructed creators whose right answers are known."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from shared.insights import behaviour, comments, content, engagement, fraud, quality, trends
from shared.insights.compute import ANALYSES, compute_all
from shared.insights.inputs import Comment, CreatorData, PostData, Snapshot, confident_sentiment
from tests.fixtures.insights import T0, bought, organic

REPO = Path(__file__).resolve().parents[3]


def test_bought_followers_are_flagged_with_their_evidence() -> None:
    data = bought()
    result = fraud.compute(data, engagement.compute(data))
    flags = {f["code"]: f for f in result["flags"]}
    assert result["risk"] == "high"
    assert flags["follower_jump"]["evidence"] == {
        "before": 120_000,
        "after": 200_000,
        "days": 7.0,
        "at": T0.isoformat(),
    }
    below = flags["er_far_below_tier"]["evidence"]
    assert below["tier"] == "mid" and below["median_er"] < REFERENCE_P10_HALF["mid"]
    assert flags["generic_comments"]["evidence"]["generic_share"] == 1.0
    assert quality.compute(data, engagement.compute(data))["score"] < 40


REFERENCE_P10_HALF = {name: points[0] / 2 for name, points in engagement.REFERENCE.items()}


def test_a_steady_organic_creator_is_not_flagged() -> None:
    data = organic()
    eng = engagement.compute(data)
    result = fraud.compute(data, eng)
    assert result["flags"] == [] and result["risk"] == "low"
    scored = quality.compute(data, eng)
    assert scored["state"] == "ready" and scored["score"] > 60
    assert set(scored["components"]) == set(quality.WEIGHTS)
    assert sum(c["contribution"] for c in scored["components"].values()) == pytest.approx(scored["score"], abs=0.2)


def test_cadence_and_histograms_equal_hand_computed_values() -> None:
    times = [
        T0,  # Mon 10:00
        T0 + timedelta(days=2),  # Wed 10:00  (gap 48 h)
        T0 + timedelta(days=4, hours=8),  # Fri 18:00 (gap 56 h)
        T0 + timedelta(days=7),  # Mon 10:00 (gap 64 h)
        T0 + timedelta(days=9, hours=8),  # Wed 18:00 (gap 56 h)
    ]
    posts = tuple(
        PostData("Image" if i % 2 else "Video", t, 100, 5, caption="x" * (10 * i)) for i, t in enumerate(times)
    )
    result = behaviour.compute(CreatorData(followers=10_000, follows=100, posts_count=5, posts=posts))
    assert result["median_gap_hours"] == 56.0
    assert result["weekday_histogram"] == {"mon": 2, "tue": 0, "wed": 2, "thu": 0, "fri": 1, "sat": 0, "sun": 0}
    assert {h: n for h, n in result["hour_histogram_utc"].items() if n} == {10: 3, 18: 2}
    assert result["posts_per_week"] == round(7 * 4 / (9 + 8 / 24), 2)
    assert result["content_mix"] == {"Image": 0.4, "Video": 0.6}
    assert result["median_caption_chars"] == 20
    # mean gap 56, population std of (48, 56, 64, 56) = sqrt(32) -> regularity 1 - 5.657/56
    assert result["regularity"] == round(1 - 32**0.5 / 56, 3)


def test_hidden_likes_posts_are_excluded_from_er_and_counted() -> None:
    posts = (
        PostData("Image", T0, 1_000, 100),
        PostData("Image", T0, 2_000, 100),
        PostData("Image", T0, 3_000, 100),
        PostData("Image", T0, None, 50_000),  # hidden likes, many comments: must not move ER
        PostData("Video", T0, None, 10),
    )
    result = engagement.compute(CreatorData(followers=100_000, follows=10, posts_count=5, posts=posts))
    assert result["hidden_likes_posts"] == 2 and result["posts_used"] == 3
    assert result["per_post_er"] == [1.1, 2.1, 3.1]
    assert result["median_er"] == 2.1
    assert result["er_by_type"] == {"Image": 2.1}
    with pytest.raises(engagement.NotEnoughData):
        engagement.compute(CreatorData(followers=100, follows=1, posts_count=1, posts=(posts[3],)))


def test_sponsored_detection_finds_the_marked_posts_in_english_and_spanish_only() -> None:
    captions = {
        "en_tag": ("Loving my new running shoes #ad @nike", True),
        "en_phrase": ("Paid partnership with @glossier, my skincare routine", True),
        "es_tag": ("Mi rutina de mañana con @natura #publicidad", True),
        "es_phrase": ("En colaboración pagada con @zara, mi look de otoño", True),
        "label": ("Our summer trip", True),  # Instagram's own paid-partnership label
        "adventure": ("Weekend #adventure in the mountains, had a bad day at first", False),
        "ad_word": ("I had an idea for a new video, add your ideas below", False),
        "madrid": ("Paseando por Madrid con mi familia #domingo", False),
        "public": ("Publishing my photo book next month #publicdomain", False),
        "advice": ("Best advice I ever got: sleep more", False),
    }
    posts = [
        PostData(
            "Image",
            T0,
            100,
            1,
            caption=text,
            is_sponsored=name == "label",
            mentions=("nike",) if "@nike" in text else (),
        )
        for name, (text, _) in captions.items()
    ]
    found = [content.is_sponsored(p)[0] for p in posts]
    assert found == [expected for _, expected in captions.values()]
    result = content.compute(CreatorData(followers=10_000, follows=10, posts_count=10, posts=tuple(posts)))
    assert result["sponsored"]["posts"] == 5 and result["brand_mentions"] == [{"handle": "nike", "sponsored_posts": 1}]


def _insights_in_a_fresh_process(hash_seed: str) -> dict:  # type: ignore[type-arg]
    code = (
        "import json; from shared.insights.compute import compute_all; "
        "from tests.fixtures.insights import bought, organic; "
        "print(json.dumps([compute_all(bought()).data, compute_all(organic()).data], sort_keys=True, default=str))"
    )
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, cwd=REPO)
    return json.loads(out.stdout)


def test_results_do_not_depend_on_the_process() -> None:
    """Two instances (different string-hash seeds, so different set orders) write the same insights version."""
    first, second = _insights_in_a_fresh_process("1"), _insights_in_a_fresh_process("2")
    assert first == second
    assert first[0]["fraud"] and first[1]["engagement"], "both creators produced their analyses"


def test_one_failing_analysis_does_not_sink_the_others() -> None:
    def broken(_data, _eng):  # type: ignore[no-untyped-def]
        raise ZeroDivisionError("bug in a new analysis")

    result = compute_all(organic(), {**ANALYSES, "broken": broken})
    assert result.status == "partial"
    assert result.failed == {"broken": "ZeroDivisionError: bug in a new analysis"}
    assert result.ran == list(ANALYSES)


def test_engagement_change_point_and_follower_trend() -> None:
    posts = tuple(PostData("Image", T0 + timedelta(days=n), 2_000 if n < 8 else 600, 20, caption="") for n in range(16))
    snapshots = tuple(Snapshot(T0 + timedelta(days=10 * k), 100_000 + 500 * 10 * k, 100) for k in range(4))
    result = trends.compute(
        CreatorData(followers=100_000, follows=100, posts_count=16, posts=posts, snapshots=snapshots)
    )
    [point] = result["engagement"]["change_points"]
    assert point["at"] == (T0 + timedelta(days=8)).isoformat()
    assert point["er_before"] > point["er_after"]
    assert result["engagement"]["direction"] == "down"
    assert result["followers"]["per_day"] == 500.0 and result["followers"]["direction"] == "up"
    assert trends.change_points([1.0] * 12) == []


def test_paid_vs_organic_er_is_the_ratio_of_the_two_medians() -> None:
    def post(likes: int, sponsored: bool) -> PostData:
        return PostData("Image", T0, likes, 0, caption="new drop #ad" if sponsored else "a walk", is_sponsored=False)

    posts = (post(300, True), post(500, True), post(800, False), post(1_000, False), post(1_200, False))
    sponsored = content.compute(CreatorData(followers=10_000, follows=10, posts_count=5, posts=posts))["sponsored"]
    assert (sponsored["median_er_sponsored"], sponsored["median_er_organic"]) == (4.0, 10.0)
    assert sponsored["paid_vs_organic_er"] == 0.4
    organic_only = content.compute(CreatorData(followers=10_000, follows=10, posts_count=2, posts=posts[2:]))
    assert organic_only["sponsored"]["paid_vs_organic_er"] is None


def test_video_figures_use_plays() -> None:
    posts = (
        PostData("Video", T0, 100, 10, views=1_000),
        PostData("Video", T0, 300, 30, views=3_000),
        PostData("Video", T0, 200, 20, views=2_000),
        PostData("Image", T0, 500, 5),
    )
    figures = engagement.compute(CreatorData(followers=10_000, follows=1, posts_count=4, posts=posts))["video"]
    assert figures == {"posts": 3, "median_views": 2_000, "view_rate": 20.0, "engagement_per_view": 11.0}
    assert engagement.video(CreatorData(followers=10, follows=1, posts_count=1, posts=posts[3:])) is None


def with_comments(data: CreatorData, per_post: list[list[tuple[str, str]]]) -> CreatorData:
    posts = tuple(
        replace(post, latest_comments=tuple(Comment(text, author) for text, author in comments))
        for post, comments in zip(data.posts, per_post, strict=True)
    )
    return replace(data, posts=posts)


def test_a_pod_is_found_with_its_evidence_and_organic_comments_are_not_flagged() -> None:
    pod = [f"pod_{k}" for k in range(6)]
    podded = with_comments(
        organic(),
        [
            [("Obsessed with this look, queen of style!", account) for account in pod[:4]]
            + [(f"Where is this place? (post {n})", f"fan_{n}")]
            for n in range(12)
        ],
    )
    seen = comments.profile(podded)
    assert seen["comments_seen"] == 60
    assert seen["pods"] == [{"text": "obsessed with this look, queen of style", "accounts": 4, "examples": pod[:4]}]
    assert seen["pod_share"] == 0.8 and seen["regulars_share"] == 0.8  # the same four under every post
    assert [r["account"] for r in seen["regulars"]] == pod[:4] and seen["regulars"][0]["posts"] == 12
    assert seen["inorganic_share"] == 0.8
    flags = {f["code"]: f for f in fraud.compute(podded, engagement.compute(podded))["flags"]}
    assert flags["comment_pod"]["evidence"]["pods"][0]["accounts"] == 4
    component = quality.compute(podded, engagement.compute(podded))["components"]["comment_authenticity"]
    assert component["value"] == 0.8 and component["score"] == 0.2

    plain = organic()  # different people, different words, on each post
    clean = comments.profile(plain)
    assert clean["pods"] == [] and clean["regulars"] == [] and clean["inorganic_share"] == 0.0
    assert "comment_pod" not in {f["code"] for f in fraud.compute(plain, engagement.compute(plain))["flags"]}
    assert quality.compute(plain, engagement.compute(plain))["components"]["comment_authenticity"]["score"] == 1.0


def test_the_same_short_praise_from_many_fans_is_generic_not_a_pod() -> None:
    fans = with_comments(organic(), [[("🔥🔥", f"fan_{n}_{k}") for k in range(5)] for n in range(12)])
    seen = comments.profile(fans)
    assert seen["pods"] == [] and seen["generic_share"] == 1.0 and seen["regulars"] == []


def test_audience_sentiment_counts_only_real_answers_and_its_shares_add_up_to_1() -> None:
    labels = ["positive", "positive", "neutral", "negative", None, "positive", None]  # None: unreadable or pending
    voiced = with_comments(
        organic(), [[(f"comment {n} {k}", f"fan_{n}_{k}") for k in range(len(labels))] for n in range(12)]
    )
    posts = tuple(
        replace(
            post,
            latest_comments=tuple(
                replace(c, sentiment=label) for c, label in zip(post.latest_comments, labels, strict=True)
            ),
        )
        for post in voiced.posts
    )
    sentiment = comments.profile(replace(voiced, posts=posts))["audience_sentiment"]
    assert sentiment["counts"] == {"positive": 36, "neutral": 12, "negative": 12}
    assert sentiment["counted"] == 60 and sentiment["not_counted"] == 24
    assert sentiment["shares"] == {"positive": 0.6, "neutral": 0.2, "negative": 0.2}
    assert abs(sum(sentiment["shares"].values()) - 1) < 1e-9
    nothing = comments.profile(organic(posts=3))["audience_sentiment"]  # comments scraped, none analysed
    assert nothing["counted"] == 0 and nothing["shares"] == {"positive": None, "neutral": None, "negative": None}


def test_flagged_and_unavailable_sentiment_stay_out_of_every_aggregate() -> None:
    """A label from the multilingual model outside its languages is shown on its post, flagged, never counted."""
    answers = [
        {"label": "positive", "score": 0.9},
        {"label": "negative", "score": 0.7, "low_confidence": True, "reason": "nl is not among ..."},
        {"label": None, "status": "unavailable", "reason": "no text"},
        {"label": "neutral", "score": 0.8},
    ]
    data = organic(posts=4)
    mixed = replace(
        data, posts=tuple(replace(p, analysis={"sentiment": a}) for p, a in zip(data.posts, answers, strict=True))
    )
    assert content.compute(mixed)["sentiment_mix"] == {"positive": 0.5, "neutral": 0.5}
    assert [confident_sentiment(a) for a in answers] == ["positive", None, None, "neutral"]
