"""Pillow: prove the bytes are an image, drop all metadata, and make WebP renditions."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from PIL import Image, ImageOps

# A 15 MB cap on bytes still admits decompression bombs; cap pixels too.
Image.MAX_IMAGE_PIXELS = 60_000_000


class NotAnImage(Exception):
    """The bytes are not an image Pillow can decode."""


@dataclass(frozen=True)
class Renditions:
    sha256: str
    width: int
    height: int
    webp: dict[int, bytes]


def make_renditions(data: bytes, widths: tuple[int, ...]) -> Renditions:
    """WebP at each width (never upscaled), orientation applied, EXIF/ICC/XMP left behind."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        opened = Image.open(io.BytesIO(data))
        opened.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise NotAnImage(f"not a decodable image: {exc}") from exc
    image: Image.Image = ImageOps.exif_transpose(opened)
    has_alpha = image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info)
    image = image.convert("RGBA" if has_alpha else "RGB")
    out: dict[int, bytes] = {}
    for width in sorted(set(widths)):
        copy = image
        if image.width > width:
            copy = image.resize((width, max(1, round(image.height * width / image.width))), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        copy.save(buffer, "WEBP", quality=80, method=4)  # no exif=/icc_profile=: metadata is dropped
        out[width] = buffer.getvalue()
    return Renditions(hashlib.sha256(data).hexdigest(), image.width, image.height, out)
