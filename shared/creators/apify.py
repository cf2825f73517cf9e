"""The one Apify module: `apify/instagram-scraper` through the real apify-client: resultsType "details" for a
profile, "posts" for one post or reel by URL.

Outcomes a user can act on are values (profile, private, not found); failures are exceptions:
ScrapeQuotaExhausted when the Apify account is out of usage, ScrapeFailed when Apify stays unreachable
or erroring after the client's retries (429, 5xx and timeouts, `attempts` in all, exponential backoff), or when
a run does not finish in the time given (it is then aborted).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from shared.config import get_settings
from shared.text import storable

log = logging.getLogger("apify")


class ScrapeFailed(Exception):
    """Apify could not give us the profile; the message is fit for the user. `runs`: the Apify runs it started,
    which Apify bills whatever they returned (0 when none was started, or when that is not known)."""

    def __init__(self, message: str, runs: int = 0) -> None:
        super().__init__(message)
        self.runs = runs


class ScrapeQuotaExhausted(ScrapeFailed):
    """The Apify account has no usage left this month."""


@dataclass(frozen=True)
class ScrapeResult:
    kind: Literal["profile", "private", "not_found", "post"]
    item: dict[str, Any]
    reels: tuple[dict[str, Any], ...] = ()  # a profile's reels (resultsType "reels"), some also in latestPosts
    runs: int = 1  # the Apify runs it took: the usage meters count what Apify bills


def _client() -> Any:
    from apify_client import ApifyClient

    settings = get_settings().apify
    token = settings.token.get_secret_value() if settings.token else None
    options: dict[str, Any] = {
        "max_retries": settings.attempts - 1,
        "min_delay_between_retries": timedelta(seconds=settings.retry_delay_s),
        "timeout_short": timedelta(seconds=10),
        "timeout_medium": timedelta(seconds=30),
    }
    if settings.api_url:
        options["api_url"] = settings.api_url
        options["api_public_url"] = settings.api_url
    return ApifyClient(token, **options)


def _classify(exc: Exception) -> ScrapeFailed:
    from apify_client.errors import ApifyApiError

    if isinstance(exc, ApifyApiError):
        text = f"{exc.type or ''} {exc.message or ''}".lower()
        if exc.status_code in (402, 403) and ("usage" in text or "limit" in text):
            return ScrapeQuotaExhausted("our data provider's monthly quota is used up; please try again later")
        return ScrapeFailed(f"the data provider answered {exc.status_code} ({exc.type}) after {exc.attempt} attempts")
    return ScrapeFailed(f"the data provider could not be reached ({type(exc).__name__})")


def _items(run_input: dict[str, Any], wait_s: float | None = None) -> list[dict[str, Any]]:
    """Run the actor on `run_input` and read its dataset; failures as ScrapeFailed. A run still going after
    `wait_s` (default: run_timeout_s) is aborted: left alone it would run, and bill, up to the actor's own limit
    while nobody waits for it (a redelivery starts a new one)."""
    settings = get_settings().apify
    client = _client()
    wait = timedelta(seconds=settings.run_timeout_s if wait_s is None else wait_s)
    try:
        run = client.actor(settings.actor).call(run_input=run_input, logger=None, wait_duration=wait)
        if run is not None and run.status in ("READY", "RUNNING"):
            _abort(client, run.id)
            raise ScrapeFailed(
                f"the scraping run did not finish within {wait.total_seconds():.0f} s and was stopped", runs=1
            )
        if run is None or run.status != "SUCCEEDED":
            status = getattr(run, "status", "unknown")
            raise ScrapeFailed(f"the scraping run ended as {status}", runs=int(run is not None))
        # Stored as the actor wrote it, less what Postgres cannot hold (a caption cut mid-emoji, a NUL).
        return storable(list(client.dataset(run.default_dataset_id).list_items(clean=True).items))
    except ScrapeFailed:
        raise
    except Exception as exc:
        raise _classify(exc) from exc


def _abort(client: Any, run_id: str) -> None:
    try:
        client.run(run_id).abort()
    except Exception as exc:  # it still ends at the actor's own limit; the scrape fails either way
        log.warning("could not abort an Apify run", extra={"run_id": run_id, "error": repr(exc)})


def fetch_profile(username: str, wait_s: float | None = None) -> ScrapeResult:
    """One profile with its latest posts and related profiles."""
    run_input = {
        "directUrls": [f"https://www.instagram.com/{username}/"],
        "resultsType": "details",
        "resultsLimit": get_settings().apify.posts_per_profile,
        "addParentData": False,
    }
    items = _items(run_input, wait_s)
    for item in items:
        if item.get("error"):
            return ScrapeResult("not_found", item)
        if str(item.get("username", "")).lower() == username:
            return ScrapeResult("private" if item.get("private") else "profile", item)
    return ScrapeResult("not_found", {"inputUrl": f"https://www.instagram.com/{username}/"})


def fetch_reels(username: str, wait_s: float | None = None) -> list[dict[str, Any]]:
    """A profile's latest reels (resultsType "reels"): video items with plays and views."""
    limit = get_settings().apify.reels_per_profile
    if not limit:
        return []
    run_input = {
        "directUrls": [f"https://www.instagram.com/{username}/"],
        "resultsType": "reels",
        "resultsLimit": limit,
        "addParentData": False,
    }
    items = _items(run_input, wait_s)
    return [item for item in items if not item.get("error") and item.get("shortCode") and item.get("id")]


def fetch_post(url: str, shortcode: str) -> ScrapeResult:
    """One post or reel by its URL (resultsType "posts"): the post item, with its owner's username."""
    items = _items({"directUrls": [url], "resultsType": "posts", "resultsLimit": 1, "addParentData": False})
    for item in items:
        keyed = item.get("id") and item.get("ownerUsername")  # what the post and its owner are stored under
        if not item.get("error") and item.get("shortCode") == shortcode and keyed:
            return ScrapeResult("post", item)
    return ScrapeResult("not_found", {"inputUrl": url})
