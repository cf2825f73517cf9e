"""Idempotent upserts of one `apify/instagram-scraper` details item: creator, posts, media to re-host,
related profiles, and a follower snapshot. Keys are Instagram ids and shortCodes, never our own ids."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.creators.models import Creator, CreatorSnapshot, MediaAsset, Post, RelatedProfile


def _count(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and value >= 0 else None


def _timestamp(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def upsert_creator(*, db_session: Session, item: dict[str, Any], scraped_at: datetime) -> Creator:
    """The creator row for a profile item, matched by Instagram id first, then by username."""
    username = str(item["username"]).lower()
    ig_id = str(item["id"]) if item.get("id") else None
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
    creator.full_name = item.get("fullName")
    creator.biography = item.get("biography")
    creator.external_url = item.get("externalUrl")
    creator.followers_count = _count(item.get("followersCount"))
    creator.follows_count = _count(item.get("followsCount"))
    creator.posts_count = _count(item.get("postsCount"))
    creator.is_verified = bool(item.get("verified"))
    creator.is_private = bool(item.get("private"))
    creator.is_business = bool(item.get("isBusinessAccount"))
    creator.business_category = item.get("businessCategoryName")
    creator.profile_pic_url = item.get("profilePicUrlHD") or item.get("profilePicUrl")
    creator.source = "apify"
    creator.scraped_at = scraped_at
    db_session.flush()
    return creator


def upsert_posts(*, db_session: Session, creator: Creator, posts: list[dict[str, Any]]) -> list[Post]:
    """Posts keyed by Instagram id; a hidden like count (-1) is stored as NULL with likes_hidden."""
    rows = []
    for item in posts:
        likes = item.get("likesCount")
        values = {
            "creator_id": creator.id,
            "ig_id": str(item["id"]),
            "short_code": item["shortCode"],
            "post_type": item.get("type") if item.get("type") in ("Image", "Video", "Sidecar") else "Image",
            "caption": item.get("caption"),
            "hashtags": [str(h) for h in item.get("hashtags") or []],
            "mentions": [str(m) for m in item.get("mentions") or []],
            "url": item.get("url"),
            "comments_count": _count(item.get("commentsCount")),
            "likes_count": _count(likes),
            "likes_hidden": likes == -1,
            "video_view_count": _count(item.get("videoViewCount")),
            "video_play_count": _count(item.get("videoPlayCount")),
            "posted_at": _timestamp(item.get("timestamp")),
            "display_url": item.get("displayUrl"),
            "is_sponsored": bool(item.get("isSponsored")),
            "is_pinned": bool(item.get("isPinned")),
            "location_name": item.get("locationName"),
            "latest_comments": item.get("latestComments") or [],
        }
        statement = insert(Post).values(**values)
        updates = {k: statement.excluded[k] for k in values if k not in ("ig_id", "creator_id")}
        post_id = db_session.execute(
            statement.on_conflict_do_update(index_elements=["ig_id"], set_=updates).returning(Post.id)
        ).scalar_one()
        rows.append(db_session.get(Post, post_id))
    return [r for r in rows if r is not None]


def image_urls(item: dict[str, Any]) -> list[str]:
    """A post's images in order: every child of a Sidecar, else its display image."""
    children = [c.get("displayUrl") for c in item.get("childPosts") or [] if c.get("displayUrl")]
    urls = children or list(item.get("images") or []) or [item.get("displayUrl")]
    return [u for u in urls if u]


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


def upsert_related(*, db_session: Session, creator: Creator, related: list[dict[str, Any]]) -> int:
    for position, item in enumerate(related):
        username = str(item.get("username") or "").lower()
        if not username:
            continue
        values = {
            "creator_id": creator.id,
            "username": username,
            "ig_id": str(item["id"]) if item.get("id") else None,
            "full_name": item.get("full_name"),
            "is_verified": bool(item.get("is_verified")),
            "is_private": bool(item.get("is_private")),
            "profile_pic_url": item.get("profile_pic_url"),
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
    return len(related)


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
