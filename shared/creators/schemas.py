"""Instagram usernames: normalization and Instagram's rules, each failure naming the rule it broke."""

from __future__ import annotations

import re

from shared.errors import InvalidInput

# A username as the API documents it (case is folded; normalize_username also takes "@name" and profile URLs).
USERNAME_PATTERN = r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$"
_URL = re.compile(r"^(?:https?://)?(?:www\.|m\.)?instagram\.com/([^/?#]+)/?(?:[?#].*)?$", re.IGNORECASE)
_ALLOWED = re.compile(r"^[a-z0-9._]+$")


def normalize_username(raw: str) -> str:
    """`@Name`, `instagram.com/name/` and case variants -> `name`; InvalidInput naming the broken rule."""
    value = raw.strip()
    if match := _URL.match(value):
        value = match.group(1)
    value = value.removeprefix("@").lower()
    if not value:
        raise InvalidInput("username is empty (rule: 1-30 characters)")
    if len(value) > 30:
        raise InvalidInput(f"username has {len(value)} characters (rule: at most 30)")
    if not _ALLOWED.match(value):
        raise InvalidInput("username may contain only letters, digits, '.' and '_' (rule: allowed characters)")
    if value.startswith(".") or value.endswith("."):
        raise InvalidInput("username may not start or end with '.' (rule: no leading or trailing dot)")
    if ".." in value:
        raise InvalidInput("username may not contain '..' (rule: no consecutive dots)")
    return value
