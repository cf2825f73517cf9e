"""Content: top categories and sentiment mix (from the per-post inference), hashtags, mentions,
sponsored posts (Instagram's flag or paid-partnership markers in several languages), sponsored vs
organic engagement, and the brands a creator works with."""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from typing import Any

from shared.insights.engagement import post_er
from shared.insights.inputs import CreatorData, PostData, confident_sentiment

# Disclosure markers: hashtags matched whole, phrases matched in the caption (case-insensitive).
SPONSOR_TAGS = {
    "ad", "ads", "sponsored", "sponsor", "paidpartnership", "gifted", "advertisement",  # en
    "publicidad", "publi", "anuncio", "patrocinado", "colaboracionpagada",  # es
    "publicidade", "parceria", "publipost", "patrocinio",  # pt
    "werbung", "anzeige", "sponsoring",  # de
    "sponsorisé", "sponsorise", "partenariat", "pub",  # fr
    "adv", "sponsorizzato",  # it
}  # fmt: skip
SPONSOR_PHRASES = re.compile(
    r"paid partnership|sponsored by|in partnership with|colaboraci[oó]n pagada|en colaboraci[oó]n con|"
    r"patrocinado por|parceria paga|bezahlte partnerschaft|partenariat r[ée]mun[ée]r[ée]",
    re.IGNORECASE,
)
_HASHTAG = re.compile(r"#(\w+)", re.UNICODE)


def is_sponsored(post: PostData) -> tuple[bool, str | None]:
    """Whether a post is paid, and the marker that says so."""
    if post.is_sponsored:
        return True, "instagram paid-partnership label"
    tags = {t.lower().lstrip("#") for t in post.hashtags} | {t.lower() for t in _HASHTAG.findall(post.caption)}
    found = sorted(tags & SPONSOR_TAGS)
    if found:
        return True, f"#{found[0]}"
    match = SPONSOR_PHRASES.search(post.caption)
    if match:
        return True, match.group(0)
    return False, None


def compute(data: CreatorData) -> dict[str, Any]:
    categories: defaultdict[str, float] = defaultdict(float)
    sentiments: Counter[str] = Counter()
    analysed = 0
    for post in data.posts:
        if (post.analysis.get("categories") or {}).get("scores"):  # an unavailable result carries none
            analysed += 1
            for label, score in (post.analysis["categories"].get("scores") or {}).items():
                categories[label] += float(score)
        label = confident_sentiment(post.analysis.get("sentiment") or {})
        if label:
            sentiments[label] += 1
    flagged = [(p, *is_sponsored(p)) for p in data.posts]
    sponsored = [p for p, yes, _ in flagged if yes]
    organic = [p for p, yes, _ in flagged if not yes]

    def median_er(posts: list[PostData]) -> float | None:
        rates = [r for r in (post_er(p, data.followers) for p in posts) if r is not None]
        return round(statistics.median(rates), 4) if rates else None

    n = max(len(data.posts), 1)
    paid, organic_er = median_er(sponsored), median_er(organic)
    return {
        "top_categories": [
            {"label": label, "score": round(total / analysed, 4)}
            for label, total in sorted(categories.items(), key=lambda kv: kv[1], reverse=True)[:5]
        ]
        if analysed
        else [],
        "sentiment_mix": {k: round(v / sum(sentiments.values()), 3) for k, v in sentiments.most_common()},
        "posts_analysed": analysed,
        "top_hashtags": [
            {"tag": t, "posts": c}
            for t, c in Counter(h.lower() for p in data.posts for h in p.hashtags).most_common(10)
        ],
        "top_mentions": [
            {"handle": m, "posts": c}
            for m, c in Counter(x.lower() for p in data.posts for x in p.mentions).most_common(10)
        ],
        "sponsored": {
            "posts": len(sponsored),
            "share": round(len(sponsored) / n, 3),
            "markers": sorted({marker for _, yes, marker in flagged if yes and marker}),
            "median_er_sponsored": paid,
            "median_er_organic": organic_er,
            # Modash's "paid post performance": sponsored posts' median ER over organic posts' (1.0 = on par).
            "paid_vs_organic_er": round(paid / organic_er, 2) if paid is not None and organic_er else None,
        },
        "brand_mentions": [
            {"handle": m, "sponsored_posts": c}
            for m, c in Counter(x.lower() for p in sponsored for x in p.mentions).most_common(10)
        ],
    }
