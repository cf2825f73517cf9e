"""Image decoding for the models and the Pillow statistics every profile reports."""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image, ImageOps, ImageStat

MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding
STATS_SIDE = 128  # statistics on a thumbnail: same answer, a fraction of the work


class BadImage(ValueError):
    """The bytes are not an image Pillow can decode."""


def to_rgb(data: bytes) -> Image.Image:
    """Decode any mode (RGBA, LA, P with transparency, L, 1, CMYK, I;16) to RGB, transparency over white."""
    try:
        image: Image.Image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_PIXELS:
            raise BadImage(f"image is {image.width}x{image.height}, over {MAX_PIXELS} pixels")
        image = ImageOps.exif_transpose(image)
        image.load()
    except BadImage:
        raise
    except Exception as exc:
        raise BadImage(f"not a decodable image: {exc}") from exc
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA"):
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        return background
    if image.mode in ("I;16", "I", "F"):
        image = image.point(lambda v: v / 256).convert("L")
    return image.convert("RGB")


def statistics(image: Image.Image) -> dict[str, object]:
    """Brightness (0-1), colourfulness (Hasler & Süsstrunk), dominant colours with shares, size."""
    small = image.copy()
    small.thumbnail((STATS_SIDE, STATS_SIDE))
    brightness = ImageStat.Stat(small.convert("L")).mean[0] / 255
    pixels = np.asarray(small, dtype=np.float64).reshape(-1, 3)
    rg = pixels[:, 0] - pixels[:, 1]
    yb = (pixels[:, 0] + pixels[:, 1]) / 2 - pixels[:, 2]
    colourfulness = math.hypot(rg.std(), yb.std()) + 0.3 * math.hypot(rg.mean(), yb.mean())
    quantized = small.quantize(colors=5, method=Image.Quantize.MEDIANCUT)
    palette = quantized.getpalette() or []
    counts: list[tuple[int, int]] = sorted(quantized.getcolors() or [], reverse=True)  # type: ignore[arg-type]
    total = sum(c for c, _ in counts) or 1
    dominant = [
        {"hex": "#{:02x}{:02x}{:02x}".format(*palette[i * 3 : i * 3 + 3]), "share": round(c / total, 3)}
        for c, i in counts
    ]
    return {
        "width": image.width,
        "height": image.height,
        "brightness": round(brightness, 4),
        "colourfulness": round(colourfulness, 2),
        "dominant_colours": dominant,
    }
