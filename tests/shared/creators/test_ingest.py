"""Reading Apify items: every field optional and of any type, a wrong shape stored as missing, never raised."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from shared.creators.ingest import _count, _flag, _timestamp, _url, image_urls, post_items, text_of

NOV_14_2023 = datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Chef", "Chef"),
        ("None", None),
        ("", None),
        ("  ", None),
        (None, None),
        (12345, "12345"),
        (True, None),
        ({"text": "hi"}, None),
        (["a"], None),
    ],
)
def test_text(value: Any, expected: str | None) -> None:
    assert text_of(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1250, 1250),
        (1234.9, 1234),
        ("12345", 12345),
        (0, 0),
        (-1, None),
        (None, None),
        ("None", None),
        ("12,345", None),
        (True, None),
        (float("nan"), None),
        (float("inf"), None),
        (2**63, None),
        ("²", None),
    ],
)
def test_count(value: Any, expected: int | None) -> None:
    assert _count(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-11-14T22:13:20.000Z", NOV_14_2023),
        ("2023-11-14T22:13:20", NOV_14_2023),  # no offset: UTC
        ("2023-11-14 23:13:20+01:00", NOV_14_2023),
        (1_700_000_000, NOV_14_2023),  # Unix seconds
        ("1700000000", NOV_14_2023),
        (1_700_000_000_000, NOV_14_2023),  # milliseconds
        ("yesterday", None),
        ("", None),
        (None, None),
        (True, None),
        (10**20, None),
        ({"t": 1}, None),
    ],
)
def test_timestamp(value: Any, expected: datetime | None) -> None:
    assert _timestamp(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        ("true", True),
        (" True ", True),
        (1, True),
        (False, False),
        ("false", False),
        ("no", False),
        (None, False),
        ({"a": 1}, False),
    ],
)
def test_flag(value: Any, expected: bool) -> None:
    assert _flag(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://x.example/a", "https://x.example/a"),
        ("HTTP://x.example", "HTTP://x.example"),
        ("javascript:alert(1)", None),
        ("data:text/html,hi", None),
        ("x.example", None),
        (5, None),
    ],
)
def test_url(value: Any, expected: str | None) -> None:
    assert _url(value) == expected


def test_posts_without_a_key_or_an_object_are_left_out_and_reels_are_added_once() -> None:
    item = {
        "latestPosts": [
            {"id": "1", "shortCode": "a"},
            None,
            "x",
            {"shortCode": "b"},
            {"id": "3", "shortCode": ""},
            {"id": 4, "shortCode": "d"},
        ],
    }
    reels = ({"id": "1", "shortCode": "a", "videoPlayCount": 9}, {"id": "5", "shortCode": "e"})
    assert [p["shortCode"] for p in post_items(item, reels)] == ["a", "d", "e"]
    assert post_items({"latestPosts": None}) == post_items({"latestPosts": {"id": "1"}}) == []


def test_image_urls_read_children_then_images_then_the_display_or_older_image_url() -> None:
    sidecar = {
        "childPosts": [None, {"displayUrl": None}, {"displayUrl": "https://c/1.jpg"}, {"imageUrl": "https://c/2.jpg"}],
        "displayUrl": "https://c/0.jpg",
    }
    assert image_urls(sidecar) == ["https://c/1.jpg", "https://c/2.jpg"]
    assert image_urls({"images": ["https://c/i.jpg", None, 5], "displayUrl": "https://c/0.jpg"}) == ["https://c/i.jpg"]
    assert image_urls({"images": "https://c/i.jpg", "displayUrl": "https://c/0.jpg"}) == ["https://c/0.jpg"]
    assert image_urls({"imageUrl": "https://c/old.jpg"}) == ["https://c/old.jpg"]
    assert image_urls({"displayUrl": "None"}) == []
