"""Comment authenticity: generic one-liners, texts pasted by several accounts (pods) and accounts that comment on
nearly every post, from the latest comments the scrape keeps."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from typing import Any

from shared.insights.inputs import Comment, CreatorData

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


# A pod: the same (not generic) text from at least this many different accounts.
POD_MIN_ACCOUNTS = 3
# Regulars: accounts among the latest comments of at least this share of the posts that have any, counted once
# there are REGULARS_MIN_POSTS such posts (fans of a small creator may comment often; on 60% of posts' few latest
# comments, they rarely do unless the commenting is arranged).
REGULARS_SHARE = 0.6
REGULARS_MIN_POSTS = 4
EVIDENCE = 5  # items of evidence shown per signal


def profile(data: CreatorData) -> dict[str, Any]:
    """What the scraped latest comments say about how organic the engagement is.

    - generic_share: one-liners that fit under any post ("nice pic", emoji only);
    - repeated_share: comments whose text appears 3 times or more (any authors);
    - pod_share: comments whose (non-generic) text POD_MIN_ACCOUNTS different accounts wrote: pods paste;
    - regulars_share: comments by accounts present on most posts (REGULARS_SHARE);
    - inorganic_share: comments caught by any of the three above, each counted once. The audience-quality
      component `comment_authenticity` scores 1 - inorganic_share.
    Each signal comes with its evidence: the texts and accounts behind it."""
    seen = [(n, c) for n, post in enumerate(data.posts) for c in post.latest_comments]
    if not seen:
        shares = ("generic_share", "repeated_share", "pod_share", "regulars_share", "inorganic_share")
        empty = {"top_repeated": [], "pods": [], "regulars": [], "audience_sentiment": audience_sentiment([])}
        return {"comments_seen": 0, **dict.fromkeys(shares), **empty}
    texts = [normalise(c.text) for _, c in seen]
    counts = Counter(texts)
    generic = [is_generic(c.text) for _, c in seen]
    authors_by_text: dict[str, set[str]] = defaultdict(set)
    for (_, c), text, plain in zip(seen, texts, generic, strict=True):
        if c.author and text and not plain:
            authors_by_text[text].add(c.author)
    pod_texts = {text for text, authors in authors_by_text.items() if len(authors) >= POD_MIN_ACCOUNTS}
    regulars = _regulars(seen)
    pod = [text in pod_texts for text in texts]
    regular = [c.author in regulars for _, c in seen]
    inorganic = [any(marks) for marks in zip(generic, pod, regular, strict=True)]
    total = len(seen)
    return {
        "comments_seen": total,
        "generic_share": round(sum(generic) / total, 3),
        "repeated_share": round(sum(n for text, n in counts.items() if n >= 3 and text) / total, 3),
        "top_repeated": [{"text": t, "count": n} for t, n in counts.most_common(3) if n >= 3 and t],
        "pod_share": round(sum(pod) / total, 3),
        "pods": [
            {"text": text, "accounts": len(authors_by_text[text]), "examples": sorted(authors_by_text[text])[:EVIDENCE]}
            for text in sorted(pod_texts, key=lambda t: (-len(authors_by_text[t]), t))[:EVIDENCE]
        ],
        "regulars_share": round(sum(regular) / total, 3),
        "regulars": [{"account": a, "posts": n} for a, n in sorted(regulars.items(), key=lambda i: (-i[1], i[0]))][
            :EVIDENCE
        ],
        "inorganic_share": round(sum(inorganic) / total, 3),
        "audience_sentiment": audience_sentiment([c for _, c in seen]),
    }


SENTIMENTS = ("positive", "neutral", "negative")


def audience_sentiment(seen: list[Comment]) -> dict[str, Any]:
    """How the audience answers: the sentiment of the latest comments the models could read (the first
    COMMENTS_ANALYSED per post). Comments without an answer (not analysed yet, or a language the profile's model
    does not read) are counted apart, never guessed. Shares are over the counted comments and add up to 1."""
    counts = {label: sum(c.sentiment == label for c in seen) for label in SENTIMENTS}
    counted = sum(counts.values())
    shares = {label: round(n / counted, 3) for label, n in counts.items()} if counted else dict.fromkeys(SENTIMENTS)
    return {"counted": counted, "not_counted": len(seen) - counted, "counts": counts, "shares": shares}


def _regulars(seen: list[tuple[int, Comment]]) -> dict[str, int]:
    """Accounts on at least REGULARS_SHARE of the posts that have scraped comments: account -> posts."""
    posts_with_comments = len({n for n, _ in seen})
    if posts_with_comments < REGULARS_MIN_POSTS:
        return {}
    posts_by_author: dict[str, set[int]] = defaultdict(set)
    for n, c in seen:
        if c.author:
            posts_by_author[c.author].add(n)
    needed = math.ceil(REGULARS_SHARE * posts_with_comments)
    return {a: len(posts) for a, posts in posts_by_author.items() if len(posts) >= needed}
