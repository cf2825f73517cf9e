"""Keep a creator's search row current: called by `shared.creators.documents.write` in the same transaction as
the document, so the catalogue and the report never disagree.

The content vector (lookalikes) is the mean of the creator's post embeddings (MiniLM, 384-d, each already
L2-normalised), normalised again: the centre of what the creator posts about, so cosine distance between two
creators compares their content as a whole. The bio is not in it: a bio is one short line and would weigh as
much as a post. It is recomputed when new analysis lands (the analysis stage asks for it), in Postgres, by
pgvector's `avg` and `l2_normalize`, so the 384 floats of each post never travel to Python."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.catalogue.models import CreatorSearch
from shared.creators.report import PREVIEW_PROFILE

LANGUAGE_MIN_SHARE = 0.2  # a caption language counts for the filter from a fifth of the posts
TOP_CATEGORIES = 3  # the categories a creator is filed under (of the insights' top five)

# The dimension is written out (EMBEDDING_DIM in models): rows of another size are left out of the mean.
_EMBED = text(
    """
    INSERT INTO creator_vectors (creator_id, embedding, posts, languages)
    SELECT :creator_id, l2_normalize(avg(CAST(analysis.result ->> 'vector' AS vector(384)))), count(*),
           CAST(:languages AS text[])
    FROM post_analysis analysis JOIN posts post ON post.id = analysis.post_id
    WHERE post.creator_id = :creator_id AND analysis.task = 'embeddings'
      AND jsonb_array_length(analysis.result -> 'vector') = 384
    HAVING count(*) > 0
    ON CONFLICT (creator_id) DO UPDATE
    SET embedding = excluded.embedding, posts = excluded.posts, languages = excluded.languages, updated_at = now()
    """
)
# The vector row's copy of the languages (the per-language indexes read it), rewritten only when they changed.
_LANGUAGES = text(
    "UPDATE creator_vectors SET languages = CAST(:languages AS text[])"
    " WHERE creator_id = :creator_id AND languages <> CAST(:languages AS text[])"
)


def row_of(document: dict[str, Any]) -> dict[str, Any]:
    """The search row's columns, read from a report document."""
    profile = document["profile"]
    data = (document.get("insights") or {}).get("data") or {}
    engagement, quality = data.get("engagement") or {}, data.get("audience_quality") or {}
    content, audience = data.get("content") or {}, data.get("audience") or {}
    languages = ((audience.get("languages") or {}).get("posts")) or []
    countries = audience.get("countries") or []
    growth = ((document.get("history") or {}).get("growth") or {}).get("30d")
    scraped_at = (document.get("provenance") or {}).get("scraped_at")
    return {
        "username": profile["username"],
        "name_text": f"{profile['username']} {profile.get('full_name') or ''}".strip().lower(),
        "bio": profile.get("biography") or "",
        "profile": {key: profile.get(key) for key in PREVIEW_PROFILE},
        "posts_count": profile.get("posts_count"),
        "followers": profile.get("followers_count"),
        "median_er": engagement.get("median_er"),
        "categories": [c["label"] for c in (content.get("top_categories") or [])[:TOP_CATEGORIES]],
        "languages": sorted(item["code"] for item in languages if item["share"] >= LANGUAGE_MIN_SHARE),
        "country": countries[0]["code"] if countries else None,
        "verified": bool(profile.get("is_verified")),
        "business": bool(profile.get("is_business")),
        "sponsored_share": (content.get("sponsored") or {}).get("share"),
        "quality_score": quality.get("score"),
        "quality_state": quality.get("state"),
        "growth_30d": growth["rate"] if growth else None,
        "scraped_at": datetime.fromisoformat(scraped_at) if scraped_at else None,
    }


def refresh(*, db_session: Session, creator_id: int, document: dict[str, Any], embedding: bool = False) -> None:
    """Upsert the creator's search row from its document (a private account has none) and its vector row's
    languages; `embedding` recomputes the content vector too."""
    if document["profile"].get("is_private"):  # nothing of it can be analysed: not a creator brands can book
        db_session.execute(delete(CreatorSearch).where(CreatorSearch.creator_id == creator_id))
        return
    values = row_of(document)
    statement = insert(CreatorSearch).values(creator_id=creator_id, **values)
    db_session.execute(statement.on_conflict_do_update(index_elements=["creator_id"], set_=values))
    vector = {"creator_id": creator_id, "languages": values["languages"]}
    db_session.execute(_EMBED if embedding else _LANGUAGES, vector)
