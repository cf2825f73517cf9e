"""Instagram post and reel URLs: which are accepted, and the shortcode and canonical URL they name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from shared.errors import InvalidInput

HOSTS = ("instagram.com", "www.instagram.com", "m.instagram.com")
# The rule as the API document states it (AnalyzeIn.url's pattern), and the last check parse() makes: what the
# document refuses, the API refuses too (the checks before it only give the common mistakes a precise reason).
# A link as the app shares it: optional scheme and host prefix, a post path, an optional plain or %-encoded query.
URL_PATTERN = (
    r"^(https?://)?(www\.|m\.)?instagram\.com/([A-Za-z0-9._]{1,30}/)?(p|reel|reels|tv)/[A-Za-z0-9_-]{5,40}/?"
    r"(\?[A-Za-z0-9=&_.%-]*)?$"
)
_URL = re.compile(URL_PATTERN)
# /p/CODE, /reel/CODE, /reels/CODE, /tv/CODE, optionally after a username (/name/p/CODE), then / or nothing.
_PATH = re.compile(r"^/(?:[A-Za-z0-9._]{1,30}/)?(p|reel|reels|tv)/([A-Za-z0-9_-]{5,40})/?$")
KINDS = {"p": "post", "tv": "post", "reel": "reel", "reels": "reel"}


@dataclass(frozen=True)
class PostUrl:
    shortcode: str
    kind: str  # post | reel

    @property
    def canonical(self) -> str:
        return f"https://www.instagram.com/{'reel' if self.kind == 'reel' else 'p'}/{self.shortcode}/"


def parse(raw: str) -> PostUrl:
    """A post or reel URL -> its shortcode; anything else is InvalidInput naming what is wrong."""
    value = raw.strip()
    if "://" not in value:
        value = "https://" + value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https"):
        raise InvalidInput("url must be an http(s) Instagram link")
    if (parts.hostname or "").lower() not in HOSTS:
        raise InvalidInput(f"url must be on instagram.com, not {parts.hostname or 'no host'}")
    found = _PATH.match(parts.path)
    if found is None:
        raise InvalidInput("url must name one post or reel: instagram.com/p/<code>/ or instagram.com/reel/<code>/")
    if _URL.fullmatch(raw) is None:
        raise InvalidInput(
            "url must be the link as Instagram shares it: lower case, no spaces, user or port, and a query of letters,"
            " digits and =&_.%- only"
        )
    return PostUrl(shortcode=found.group(2), kind=KINDS[found.group(1)])
