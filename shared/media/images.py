"""Pillow: prove the bytes are an image, drop all metadata, and make WebP renditions."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from PIL import Image, ImageOps

# A 15 MB cap on bytes still admits decompression bombs (a 0.3 MB PNG holds 100 million pixels); cap pixels too.
# Pillow only warns between MAX_IMAGE_PIXELS and twice that, and at 100 million pixels the renditions took
# ~770 MB more memory (the function has 1 GiB), so the cap is checked here, before decoding.
MAX_PIXELS = 60_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
WEBP_MAX_SIDE = 16_383  # the longest side WebP can encode


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
            if probe.width * probe.height > MAX_PIXELS:
                raise NotAnImage(f"image is {probe.width}x{probe.height}, over {MAX_PIXELS} pixels")
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
        # Never upscaled; a side past WebP's limit (a 1080x20000 strip) scales the rendition down to fit it.
        scale = min(1.0, width / image.width, WEBP_MAX_SIDE / image.height)
        copy = image
        if scale < 1.0:
            size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
            copy = image.resize(size, Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        copy.save(buffer, "WEBP", quality=80, method=4)  # no exif=/icc_profile=: metadata is dropped
        out[width] = buffer.getvalue()
    return Renditions(hashlib.sha256(data).hexdigest(), image.width, image.height, out)
