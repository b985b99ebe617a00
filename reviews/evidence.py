"""Storing evidence files: sniffing, limits, content-addressed names and thumbnails."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, UnidentifiedImageError

ALLOWED_IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_PIXELS = 40_000_000
THUMBNAIL_SIZE = (320, 320)


class EvidenceRejected(ValueError):
    """An evidence file is too large or not a kind kycdash accepts."""


@dataclass(frozen=True)
class SniffedFile:
    content_type: str
    extension: str
    sha256: str
    size: int
    width: int | None = None
    height: int | None = None


def sniff(content: bytes) -> SniffedFile:
    """Identify a file from its bytes (never from a name or a declared type)."""
    size = len(content)
    if size == 0:
        raise EvidenceRejected("evidence file is empty")
    if size > settings.EVIDENCE_MAX_BYTES:
        raise EvidenceRejected(
            f"evidence file is {size:,} bytes; the limit is {settings.EVIDENCE_MAX_BYTES:,}"
        )
    digest = hashlib.sha256(content).hexdigest()
    if content.startswith(b"%PDF-"):
        return SniffedFile("application/pdf", "pdf", digest, size)
    try:
        with Image.open(io.BytesIO(content)) as image:
            image_format = image.format
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise EvidenceRejected(f"image of {width}x{height} pixels is too large")
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise EvidenceRejected("evidence file is neither an image nor a PDF") from exc
    if image_format not in ALLOWED_IMAGE_FORMATS:
        raise EvidenceRejected(f"image format {image_format} is not accepted")
    content_type = ALLOWED_IMAGE_FORMATS[image_format]
    extension = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}[content_type]
    return SniffedFile(content_type, extension, digest, size, width, height)


def store(content: bytes, sniffed: SniffedFile, *, project_id: int) -> tuple[str, str]:
    """Save the file and its thumbnail under content-addressed names; return both names."""
    base = f"evidence/{project_id}/{sniffed.sha256[:2]}/{sniffed.sha256}"
    name = f"{base}.{sniffed.extension}"
    if not default_storage.exists(name):
        name = default_storage.save(name, ContentFile(content))
    thumbnail = ""
    if sniffed.content_type.startswith("image/"):
        thumbnail = f"{base}.thumb.jpg"
        if not default_storage.exists(thumbnail):
            thumbnail = default_storage.save(thumbnail, ContentFile(_thumbnail(content)))
    return name, thumbnail


def _thumbnail(content: bytes) -> bytes:
    with Image.open(io.BytesIO(content)) as image:
        image = image.convert("RGB")
        image.thumbnail(THUMBNAIL_SIZE)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=80)
        return out.getvalue()
