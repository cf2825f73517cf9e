"""Audience insights, inferred and labelled as such: languages and likely countries, each with a confidence.

Languages: the per-post language outputs (what the creator writes in) and the writing system of the
comments (who answers). Countries: post locations, bio signals (flag emojis, country names) and the
languages, each signal a vote; confidence grows with the number and agreement of votes. No model
sees the followers themselves, so none of this is measured: every figure says `inferred`.
"""

from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from typing import Any

from shared.insights.inputs import CreatorData

# Where a language is mostly spoken (Instagram audiences), as country votes.
LANGUAGE_COUNTRIES: dict[str, tuple[str, ...]] = {
    "es": ("ES", "MX", "AR", "CO"), "pt": ("BR", "PT"), "fr": ("FR", "CA", "BE"), "de": ("DE", "AT", "CH"),
    "it": ("IT",), "ar": ("SA", "AE", "EG"), "ja": ("JP",), "ko": ("KR",), "tr": ("TR",), "ru": ("RU",),
    "nl": ("NL", "BE"), "pl": ("PL",), "id": ("ID",), "hi": ("IN",), "en": ("US", "GB", "CA", "AU"),
}  # fmt: skip
PLACES: dict[str, str] = {
    "madrid": "ES", "barcelona": "ES", "spain": "ES", "españa": "ES", "mexico": "MX", "méxico": "MX",
    "cdmx": "MX", "buenos aires": "AR", "bogotá": "CO", "bogota": "CO", "são paulo": "BR", "sao paulo": "BR",
    "rio de janeiro": "BR", "brasil": "BR", "brazil": "BR", "lisboa": "PT", "lisbon": "PT", "porto": "PT",
    "paris": "FR", "france": "FR", "lyon": "FR", "berlin": "DE", "münchen": "DE", "munich": "DE",
    "hamburg": "DE", "germany": "DE", "deutschland": "DE", "wien": "AT", "vienna": "AT", "zürich": "CH",
    "roma": "IT", "rome": "IT", "milano": "IT", "milan": "IT", "italia": "IT", "italy": "IT", "dubai": "AE",
    "abu dhabi": "AE", "riyadh": "SA", "cairo": "EG", "tokyo": "JP", "seoul": "KR", "istanbul": "TR",
    "moscow": "RU", "amsterdam": "NL", "warsaw": "PL", "jakarta": "ID", "bali": "ID", "mumbai": "IN",
    "delhi": "IN", "new york": "US", "los angeles": "US", "miami": "US", "usa": "US", "london": "GB",
    "manchester": "GB", "uk": "GB", "toronto": "CA", "vancouver": "CA", "sydney": "AU", "melbourne": "AU",
}  # fmt: skip
SCRIPTS = {"ARABIC": "ar", "CYRILLIC": "ru", "HIRAGANA": "ja", "KATAKANA": "ja", "HANGUL": "ko", "CJK": "zh",
           "DEVANAGARI": "hi", "THAI": "th", "GREEK": "el", "HEBREW": "he"}  # fmt: skip


def _flags(text: str) -> list[str]:
    """Country codes from regional-indicator flag emojis (🇪🇸 -> ES)."""
    letters = [chr(ord(c) - 0x1F1E6 + ord("A")) for c in text if 0x1F1E6 <= ord(c) <= 0x1F1FF]
    return ["".join(letters[i : i + 2]) for i in range(0, len(letters) - 1, 2)]


def _script(text: str) -> str | None:
    """The non-Latin writing system of a comment, if any ('latin' for Latin letters, None for emoji only)."""
    for char in text:
        if char.isalpha():
            name = unicodedata.name(char, "")
            for key, code in SCRIPTS.items():
                if name.startswith(key):
                    return code
            return "latin"
    return None


def _shares(counter: Counter[str]) -> list[dict[str, Any]]:
    total = sum(counter.values())
    return [{"code": k, "share": round(v / total, 3)} for k, v in counter.most_common(5)] if total else []


def compute(data: CreatorData) -> dict[str, Any]:
    post_languages: Counter[str] = Counter()
    for post in data.posts:
        found = post.analysis.get("language") or {}
        if found.get("label") and (found.get("score") or 0) >= 0.5:
            post_languages[found["label"]] += 1
    comment_scripts = Counter(s for p in data.posts for t in p.comment_texts if (s := _script(t)))
    votes: defaultdict[str, float] = defaultdict(float)
    signals: Counter[str] = Counter()
    for post in data.posts:
        place = (post.location or "").lower()
        for name, country in PLACES.items():
            if name in place:
                votes[country] += 2
                signals["locations"] += 1
                break
    bio = data.biography.lower()
    for country in _flags(data.biography):
        votes[country] += 3
        signals["bio_flags"] += 1
    for name, country in PLACES.items():
        if name in bio:
            votes[country] += 2
            signals["bio_places"] += 1
    for language, n in post_languages.items():
        for rank, country in enumerate(LANGUAGE_COUNTRIES.get(language, ())):
            votes[country] += n / len(data.posts) * (1.5 if rank == 0 else 0.5)
        signals["languages"] += 1
    total = sum(votes.values())
    ranked = sorted(votes.items(), key=lambda kv: kv[1], reverse=True)
    top_share = ranked[0][1] / total if total else 0.0
    strength = min(1.0, sum(signals.values()) / 8)
    return {
        "inferred": True,
        "method": "post languages, comment scripts, post locations and bio signals; no follower data",
        "languages": {"posts": _shares(post_languages), "comment_scripts": _shares(comment_scripts)},
        "countries": [{"code": k, "share": round(v / total, 3)} for k, v in ranked[:5]] if total else [],
        "confidence": round(strength * top_share, 2),
        "signals": dict(signals),
    }
