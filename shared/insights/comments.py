"""Comment authenticity proxies: generic one-liners and repeated texts, the marks of engagement pods and bots."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from shared.insights.inputs import CreatorData

# Short praise that fits under any post, in several languages. Matched on the whole normalised comment.
GENERIC = {
    "nice", "nice pic", "nice post", "great", "great pic", "great post", "great shot", "awesome", "amazing",
    "cool", "love it", "love this", "wow", "beautiful", "gorgeous", "super", "perfect", "so cute", "cute",
    "follow me", "follow back", "check my profile", "dm me", "dm for collab", "good", "top", "bravo",
    "hermoso", "hermosa", "genial", "que lindo", "bonito", "lindo", "linda", "lindo demais", "top demais",
    "magnifique", "trop beau", "sehr schön", "schön", "toll", "bellissimo", "bellissima", "😍", "🔥", "❤️",
}  # fmt: skip
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    return " ".join(text.lower().replace("!", " ").replace(".", " ").split())


def is_generic(text: str) -> bool:
    clean = normalise(text)
    if not clean:
        return True
    if clean in GENERIC:
        return True
    return not _WORD.search(clean)  # emoji or punctuation only


def profile(data: CreatorData) -> dict[str, Any]:
    """Share of generic comments and of repeated texts among the scraped latest comments."""
    texts = [t for p in data.posts for t in p.comment_texts if t is not None]
    if not texts:
        return {"comments_seen": 0, "generic_share": None, "repeated_share": None, "top_repeated": []}
    counts = Counter(normalise(t) for t in texts)
    repeated = sum(n for text, n in counts.items() if n >= 3 and text)
    return {
        "comments_seen": len(texts),
        "generic_share": round(sum(is_generic(t) for t in texts) / len(texts), 3),
        "repeated_share": round(repeated / len(texts), 3),
        "top_repeated": [{"text": t, "count": n} for t, n in counts.most_common(3) if n >= 3 and t],
    }
