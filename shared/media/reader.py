"""One image for analysis, from wherever it is: inline base64 bytes, an object of our bucket, or a URL read
through the SSRF-safe fetcher. One error for every way it can fail, so each caller maps failures once."""

from __future__ import annotations

import base64
import binascii

from shared import errors
from shared.config import get_settings
from shared.media import storage
from shared.media.fetcher import FetchRefused, fetch_image


class ImageUnreadable(errors.InvalidInput):
    title = "Image unreadable"
    code = "image_unreadable"


def read(*, data_base64: str | None = None, key: str | None = None, url: str | None = None) -> bytes:
    """The bytes of exactly one of the three references; ImageUnreadable says why not."""
    given = [name for name, value in (("data_base64", data_base64), ("key", key), ("url", url)) if value is not None]
    if len(given) != 1:
        raise ImageUnreadable(f"give exactly one of data_base64, key, url (got {given or 'none'})")
    if data_base64 is not None:
        try:
            return base64.b64decode(data_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ImageUnreadable("data_base64 is not base64") from exc
    try:
        return storage.get(key) if key is not None else fetch_image(str(url), get_settings().cdn).data
    except FetchRefused as exc:
        raise ImageUnreadable(f"url refused: {exc}") from exc
    except Exception as exc:  # a missing object, an unreachable host, a timeout
        raise ImageUnreadable(f"could not be read: {type(exc).__name__}") from exc
