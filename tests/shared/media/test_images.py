"""Renditions: any mode and size in, metadata-free WebP out, never upscaled; non-images refused."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from shared.media.images import NotAnImage, make_renditions


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


CASES = {
    "rgba png": encode(Image.new("RGBA", (800, 600), (10, 200, 30, 128)), "PNG"),
    "palette gif": encode(Image.new("P", (400, 300), 7), "GIF"),
    "grayscale": encode(Image.new("L", (1200, 900), 128), "JPEG"),
    "1x1": encode(Image.new("RGB", (1, 1), (1, 2, 3)), "PNG"),
    "cmyk jpeg": encode(Image.new("CMYK", (700, 700), (0, 50, 100, 0)), "JPEG"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_modes_and_sizes(name: str) -> None:
    made = make_renditions(CASES[name], (150, 320, 640))
    assert set(made.webp) == {150, 320, 640}
    for width, body in made.webp.items():
        out = Image.open(io.BytesIO(body))
        assert out.format == "WEBP"
        assert out.width == min(width, made.width)


def test_metadata_is_stripped() -> None:
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # camera make
    exif[0x0112] = 6  # rotate 90
    data = encode(Image.new("RGB", (300, 200)), "JPEG", exif=exif.tobytes())
    made = make_renditions(data, (640,))
    out = Image.open(io.BytesIO(made.webp[640]))
    assert not out.getexif()
    assert out.size == (200, 300)  # orientation was applied before the tag was dropped
    assert "SpyCam" not in made.webp[640].decode("latin-1")


@pytest.mark.parametrize("data", [b"", b"GIF89a-but-not-really", b"<html></html>", b"\xff\xd8\xff" + b"\x00" * 50])
def test_non_images_are_refused(data: bytes) -> None:
    with pytest.raises(NotAnImage):
        make_renditions(data, (150,))


def test_a_strip_longer_than_webp_allows_is_scaled_to_fit() -> None:
    """WebP encodes at most 16,383 pixels a side; a 100x20000 strip raised ValueError (a 500 in the CDN worker)."""
    made = make_renditions(encode(Image.new("RGB", (100, 20_000), (9, 9, 9)), "PNG"), (150, 640))
    for body in made.webp.values():
        assert Image.open(io.BytesIO(body)).size == (82, 16_383)


def test_pixels_over_the_cap_are_refused_before_decoding() -> None:
    """Pillow only warns below twice its limit: this 8 KB PNG of 64 million pixels was decoded (~500 MB)."""
    data = encode(Image.new("P", (8_000, 8_000)), "PNG")
    with pytest.raises(NotAnImage, match="over 60000000 pixels"):
        make_renditions(data, (150,))
