"""The pieces of the sandboxes' drawn images that do not depend on the provider."""

from __future__ import annotations

import io
from functools import cache

from PIL import Image, ImageFont


@cache
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's bundled font: no dependency on fonts installed on the machine."""
    return ImageFont.load_default(size=size)


def jpeg(image: Image.Image, *, quality: int) -> bytes:
    """``image`` as optimised RGB JPEG bytes."""
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=quality, optimize=True)
    return buffer.getvalue()


def mrz_field(value: str, length: int) -> str:
    """``value`` as an MRZ field: upper case, ``<`` for anything not alphanumeric,
    padded with ``<`` or cut to ``length``."""
    cleaned = "".join(c if c.isalnum() else "<" for c in value.upper())
    return (cleaned + "<" * length)[:length]
