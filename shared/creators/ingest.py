"""Idempotent upserts of one `apify/instagram-scraper` details item: creator, posts, media to re-host,
related profiles, and a follower snapshot. Keys are Instagram ids and shortCodes, never our own ids.

Every field is read as optional and of any type (../shared/reference/real-world-shapes.md): a value of the wrong
shape is stored as missing, never raised, since a raise failed the scrape on every delivery and the creator could
never be searched. Only a post with no id or shortCode is left out: nothing could key it.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.creators.models import Creator, CreatorSnapshot, MediaAsset, Post, RelatedProfile

BIGINT_MAX = 2**63 - 1
MISSING = ("", "None", "null")  # besides null, how the actor writes "no value" (seen in businessCategoryName)
MILLISECONDS_FROM = 100_000_000_000  # a Unix time past this is in milliseconds (in seconds it is the year 5138)


def text_of(value: Any) -> str | None:
    """A text field: null, "", "None" and objects are no text; a number is its digits."""
    if isinstance(value, str):
        return None if value.strip() in MISSING else value
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _url(value: Any) -> str | None:
    """Only a web address: a link we show or fetch is never javascript:, data: or a bare word."""
    text = text_of(value)
    return text if text is not None and text.lower().startswith(("https://", "http://")) else None


def _count(value: Any) -> int | None:
    """A count Postgres' bigint holds; -1 (hidden), null, "None", true, NaN and the like are no count."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value)
    if isinstance(value, float) and math.isfinite(value):
        value = int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= BIGINT_MAX else None


def _flag(value: Any) -> bool:
    return value.strip().lower() == "true" if isinstance(value, str) else value is True or value == 1


def _timestamp(value: Any) -> datetime | None:
    """ISO 8601 (without an offset, UTC) or Unix time in seconds or milliseconds; anything else is no time."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value)
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value / 1000 if abs(value) >= MILLISECONDS_FROM else value, UTC)
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        pass
    return None


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [str(v) for v in value if isinstance(v, str | int) and not isinstance(v, bool)]


def _objects(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def post_items(item: dict[str, Any], reels: tuple[dict[str, Any], ...] = ()) -> list[dict[str, Any]]:
    """A profile item's latest posts, then its reels not among them: each an object with an id and a shortCode,
    once."""
    out: dict[str, dict[str, Any]] = {}
    for post in [*_objects(item.get("latestPosts")), *reels]:
        if text_of(post.get("id")) and text_of(post.get("shortCode")):
            out.setdefault(str(post["id"]), post)
    return list(out.values())


def upsert_creator(*, db_session: Session, item: dict[str, Any], scraped_at: datetime) -> Creator:
    """The creator row for a profile item, matched by Instagram id first, then by username."""
    username = str(item["username"]).lower()
    ig_id = text_of(item.get("id"))
    creator = None
    if ig_id:
        creator = db_session.scalar(select(Creator).where(Creator.ig_id == ig_id).with_for_update())
    if creator is None:
        creator = db_session.scalar(select(Creator).where(Creator.username == username).with_for_update())
    if creator is None:
        creator = Creator(username=username)
        db_session.add(creator)
    creator.username = username
    creator.ig_id = ig_id
    creator.full_name = text_of(item.get("fullName"))
    creator.biography = text_of(item.get("biography"))
    creator.external_url = _url(item.get("externalUrl"))
    creator.followers_count = _count(item.get("followersCount"))
    creator.follows_count = _count(item.get("followsCount"))
    creator.posts_count = _count(item.get("postsCount"))
    creator.is_verified = _flag(item.get("verified"))
    creator.is_private = _flag(item.get("private"))
    creator.is_business = _flag(item.get("isBusinessAccount"))
    creator.business_category = text_of(item.get("businessCategoryName"))
    creator.profile_pic_url = _url(item.get("profilePicUrlHD")) or _url(item.get("profilePicUrl"))
    creator.source = "apify"
    creator.scraped_at = scraped_at
    db_session.flush()
    return creator


def upsert_posts(*, db_session: Session, creator: Creator, posts: list[dict[str, Any]]) -> list[Post]:
    """Posts keyed by Instagram id (one without an id or shortCode is left out); a hidden like count (-1) is
    stored as NULL with likes_hidden."""
    rows = []
    for item in posts:
        ig_id, short_code = text_of(item.get("id")), text_of(item.get("shortCode"))
        if ig_id is None or short_code is None:
            continue
        likes = item.get("likesCount")
        values = {
            "creator_id": creator.id,
            "ig_id": ig_id,
            "short_code": short_code,
            "post_type": item.get("type") if item.get("type") in ("Image", "Video", "Sidecar") else "Image",
            "caption": text_of(item.get("caption")),
            "hashtags": _strings(item.get("hashtags")),
            "mentions": _strings(item.get("mentions")),
            "url": _url(item.get("url")),
            "comments_count": _count(item.get("commentsCount")),
            "likes_count": _count(likes),
            "likes_hidden": likes == -1,
            "video_view_count": _count(item.get("videoViewCount")),
            "video_play_count": _count(item.get("videoPlayCount")),
            "posted_at": _timestamp(item.get("timestamp")),
            "display_url": _display_url(item),
            "is_sponsored": _flag(item.get("isSponsored")),
            "is_pinned": _flag(item.get("isPinned")),
            "location_name": text_of(item.get("locationName")),
            "latest_comments": _objects(item.get("latestComments")),
        }
        statement = insert(Post).values(**values)
        updates = {k: statement.excluded[k] for k in values if k not in ("ig_id", "creator_id")}
        post_id = db_session.execute(
            statement.on_conflict_do_update(index_elements=["ig_id"], set_=updates).returning(Post.id)
        ).scalar_one()
        rows.append(db_session.get(Post, post_id))
    return [r for r in rows if r is not None]


def _display_url(item: dict[str, Any]) -> str | None:
    return _url(item.get("displayUrl")) or _url(item.get("imageUrl"))  # imageUrl: older actor versions


def image_urls(item: dict[str, Any]) -> list[str]:
    """A post's images in order: every child of a Sidecar, else its images, else its display image."""
    children = [url for child in _objects(item.get("childPosts")) if (url := _display_url(child))]
    images = [url for value in _strings(item.get("images")) if (url := _url(value))]
    display = _display_url(item)
    return children or images or ([display] if display else [])


def upsert_media(
    *, db_session: Session, creator: Creator, posts: list[tuple[Post, dict[str, Any]]]
) -> list[MediaAsset]:
    """Media rows still to re-host: new ones, failed ones, and an avatar whose source changed."""
    wanted: list[tuple[int | None, str, int, str]] = []
    if creator.profile_pic_url:
        wanted.append((None, "avatar", 0, creator.profile_pic_url))
    for post, item in posts:
        wanted += [(post.id, "post_image", i, url) for i, url in enumerate(image_urls(item))]
    todo = []
    for post_id, kind, position, url in wanted:
        asset = db_session.scalar(
            select(MediaAsset)
            .where(
                MediaAsset.creator_id == creator.id,
                MediaAsset.post_id.is_(None) if post_id is None else MediaAsset.post_id == post_id,
                MediaAsset.position == position,
            )
            .with_for_update()
        )
        if asset is None:
            asset = MediaAsset(creator_id=creator.id, post_id=post_id, kind=kind, position=position, source_url=url)
            db_session.add(asset)
        elif asset.status == "uploaded" and (kind == "post_image" or asset.source_url == url):
            continue
        asset.source_url, asset.status, asset.error = url, "pending", None
        todo.append(asset)
    db_session.flush()
    return todo


def upsert_related(*, db_session: Session, creator: Creator, related: Any) -> int:
    """The profile's related profiles, in the snake_case keys the actor gives them (camelCase read too)."""
    items = _objects(related)
    for position, item in enumerate(items):
        username = (text_of(item.get("username")) or "").lower()
        if not username:
            continue
        values = {
            "creator_id": creator.id,
            "username": username,
            "ig_id": text_of(item.get("id")),
            "full_name": text_of(item.get("full_name", item.get("fullName"))),
            "is_verified": _flag(item.get("is_verified", item.get("isVerified"))),
            "is_private": _flag(item.get("is_private", item.get("isPrivate"))),
            "profile_pic_url": _url(item.get("profile_pic_url", item.get("profilePicUrl"))),
            "position": position,
        }
        statement = insert(RelatedProfile).values(**values)
        db_session.execute(
            statement.on_conflict_do_update(
                constraint="uq_related_profiles_creator_username",
                set_={
                    k: statement.excluded[k]
                    for k in ("ig_id", "full_name", "is_verified", "is_private", "profile_pic_url", "position")
                },
            )
        )
    return len(items)


def add_snapshot(*, db_session: Session, creator: Creator) -> CreatorSnapshot:
    snapshot = CreatorSnapshot(
        creator_id=creator.id,
        captured_at=creator.scraped_at or datetime.now(UTC),
        followers_count=creator.followers_count,
        follows_count=creator.follows_count,
        posts_count=creator.posts_count,
    )
    db_session.add(snapshot)
    return snapshot
