"""If-None-Match, read one way by the router (whether to answer 304) and by the report read (whether its body may
stay in the database): weak comparison as RFC 9110 §13.1.2 asks for If-None-Match, so `W/"x"` and `"x"` name the
same tag (a proxy may drop the `W/`), a list matches when any member does, and `*` matches whatever exists."""

from __future__ import annotations


def none_match_holds(etag: str, if_none_match: str) -> bool:
    """True when the If-None-Match value `if_none_match` names `etag` (or is `*`): the caller's copy is current."""
    wanted = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag.removeprefix("W/") in wanted or "*" in wanted
