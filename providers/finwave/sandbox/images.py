"""Synthetic evidence for sandbox onboardings, drawn with Pillow.

Small on purpose (an ID card is 480x300, JPEG quality 75, some 10-20 kB): the files live
in the database and travel in a ZIP. Nothing here resembles a real document closely
enough to be mistaken for one: every document says SPECIMEN. The selfie, blink and smile
frames show the same drawn face as the document's portrait, from one seed.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from PIL import Image, ImageDraw

from providers.sandbox_kit.images import font as _font
from providers.sandbox_kit.images import jpeg
from providers.sandbox_kit.images import mrz_field as _mrz_field

JPEG_QUALITY = 75
CARD_SIZE = (480, 300)
PASSPORT_SIZE = (480, 340)
FRAME_SIZE = (240, 320)
PORTRAIT_SIZE = (120, 160)

SKIN_TONES = ((241, 194, 167), (224, 172, 105), (198, 134, 66), (141, 85, 36), (255, 219, 172))
HAIR_COLOURS = ((35, 25, 20), (90, 60, 30), (160, 120, 60), (200, 170, 110), (60, 60, 60))
BACKDROPS = ((214, 222, 232), (232, 226, 212), (204, 218, 208), (226, 216, 228))
# A WebM (EBML) header and a note: the sandbox's "full video" is not a video.
VIDEO_PLACEHOLDER = b"\x1aE\xdf\xa3" + b"\x00" * 12 + b"FINWAVE SANDBOX: NOT A REAL VIDEO\n" * 40


@dataclass(frozen=True)
class DocumentData:
    """What is printed on the synthetic identity document."""

    kind: str  # "IDCARD" | "PASSPORT"
    country: str
    surname: str
    given_names: str
    birth_date: dt.date
    sex: str
    nationality: str
    document_number: str
    expiry_date: dt.date
    address_lines: tuple[str, ...]


def draw_face(
    image: Image.Image,
    box: tuple[int, int, int, int],
    face_seed: int,
    *,
    eyes_closed: bool = False,
    smiling: bool = False,
    turn: int = 0,
) -> None:
    """A head and shoulders inside ``box``: the same person for one ``face_seed``.

    ``eyes_closed``/``smiling`` make the blink and smile frames; ``turn`` shifts the
    face sideways a little, as in the head-movement step.
    """
    rng = random.Random(face_seed)
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    draw = ImageDraw.Draw(image)
    skin, hair = rng.choice(SKIN_TONES), rng.choice(HAIR_COLOURS)
    shirt = (rng.randint(30, 200), rng.randint(30, 200), rng.randint(30, 200))
    cx = x0 + w // 2 + turn
    head_w, head_h = int(w * 0.46), int(h * 0.48)
    head_top = y0 + int(h * 0.16)
    draw.ellipse((x0 + int(w * 0.08), y0 + int(h * 0.72), x1 - int(w * 0.08), y1 + h // 3), shirt)
    draw.rectangle((cx - w // 10, head_top + head_h - 8, cx + w // 10, y0 + int(h * 0.8)), skin)
    draw.ellipse(
        (cx - head_w // 2 - 5, head_top - 8, cx + head_w // 2 + 5, head_top + head_h // 2 + 16),
        hair,
    )
    draw.ellipse((cx - head_w // 2, head_top, cx + head_w // 2, head_top + head_h), skin)
    eye_y = head_top + int(head_h * 0.42)
    eye_dx = max(head_w // 5, 6)
    for ex in (cx - eye_dx, cx + eye_dx):
        if eyes_closed:
            draw.arc((ex - 6, eye_y - 4, ex + 6, eye_y + 4), 0, 180, (60, 40, 40), width=2)
        else:
            draw.ellipse((ex - 5, eye_y - 3, ex + 5, eye_y + 3), (250, 250, 250))
            draw.ellipse((ex - 2, eye_y - 2, ex + 2, eye_y + 2), (40, 30, 30))
        draw.line((ex - 7, eye_y - 9, ex + 7, eye_y - 10), hair, width=2)
    nose_y = head_top + int(head_h * 0.62)
    draw.line((cx, eye_y + 5, cx - 3, nose_y, cx + 3, nose_y), (150, 100, 80), width=2)
    mouth_y = head_top + int(head_h * 0.78)
    if smiling:
        draw.chord((cx - 14, mouth_y - 10, cx + 14, mouth_y + 8), 0, 180, (150, 50, 50))
    else:
        draw.arc((cx - 11, mouth_y - 6, cx + 11, mouth_y + 5), 20, 160, (150, 60, 60), width=2)


def mrz_lines(doc: DocumentData) -> tuple[str, ...]:
    """TD1 (card, three lines) or TD3 (passport, two lines) look-alikes; no check digits."""
    names = f"{doc.surname}<<{doc.given_names.replace(' ', '<')}"
    dates = f"{doc.birth_date:%y%m%d}0{doc.sex}{doc.expiry_date:%y%m%d}0{doc.nationality}"
    if doc.kind == "PASSPORT":
        return (
            _mrz_field(f"P<{doc.country}{names}", 44),
            _mrz_field(f"{doc.document_number}0{doc.nationality}{dates}", 44),
        )
    return (
        _mrz_field(f"ID{doc.country}{doc.document_number}", 30),
        _mrz_field(dates, 30),
        _mrz_field(names, 30),
    )


def _data_rows(draw: ImageDraw.ImageDraw, doc: DocumentData, x: int, y: int) -> None:
    label, value = _font(10), _font(14)
    rows = (
        ("SURNAME", doc.surname),
        ("GIVEN NAMES", doc.given_names),
        ("DATE OF BIRTH", doc.birth_date.strftime("%d %m %Y")),
        ("SEX / NATIONALITY", f"{doc.sex}   {doc.nationality}"),
        ("DOCUMENT NO.", doc.document_number),
        ("DATE OF EXPIRY", doc.expiry_date.strftime("%d %m %Y")),
    )
    for caption, text in rows:
        draw.text((x, y), caption, (90, 100, 120), label)
        draw.text((x, y + 11), text, (15, 20, 35), value)
        y += 28


def document_front(doc: DocumentData, face_seed: int) -> bytes:
    """An identity card's front or a passport's data page: portrait, data, MRZ."""
    size = PASSPORT_SIZE if doc.kind == "PASSPORT" else CARD_SIZE
    background = (238, 232, 244) if doc.kind == "PASSPORT" else (232, 242, 238)
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    banner = (96, 40, 90) if doc.kind == "PASSPORT" else (20, 110, 90)
    draw.rectangle((0, 0, size[0], 40), banner)
    title = "PASSPORT" if doc.kind == "PASSPORT" else "IDENTITY CARD"
    draw.text((14, 10), f"{doc.country}  {title}", (255, 255, 255), _font(18))
    draw.text((360, 13), "SPECIMEN", (255, 214, 100), _font(15))
    for i in range(0, size[0], 18):
        draw.arc((i - 90, 46, i + 90, 230), 200, 340, (214, 226, 222), width=1)
    # the portrait on its own tile, so the drawing stays inside the photo's frame
    tile = Image.new("RGB", (120, 160), (204, 214, 224))
    draw_face(tile, (0, 0, 120, 160), face_seed)
    image.paste(tile, (16, 54))
    draw.rectangle((16, 54, 136, 214), outline=(90, 110, 140), width=2)
    _data_rows(draw, doc, 152, 52)
    mrz_top = size[1] - (64 if doc.kind == "PASSPORT" else 80)
    draw.rectangle((0, mrz_top, size[0], size[1]), (250, 250, 250))
    for i, line in enumerate(mrz_lines(doc)):
        draw.text((12, mrz_top + 6 + i * 24), line, (20, 20, 20), _font(15))
    return jpeg(image, quality=JPEG_QUALITY)


def document_reverse(doc: DocumentData, rng: random.Random) -> bytes:
    """An identity card's back: address, issuing authority and a barcode-like block."""
    image = Image.new("RGB", CARD_SIZE, (240, 240, 234))
    draw = ImageDraw.Draw(image)
    draw.text((18, 14), "ADDRESS", (90, 100, 120), _font(10))
    for i, line in enumerate(doc.address_lines):
        draw.text((18, 28 + i * 18), line, (15, 20, 35), _font(14))
    draw.text((18, 96), f"ISSUED BY  {doc.country} CIVIL REGISTRY", (60, 60, 60), _font(12))
    draw.text((360, 14), "SPECIMEN", (190, 60, 60), _font(15))
    x0, y0, x1, y1 = 18, 124, 462, 282
    draw.rectangle((x0 - 4, y0 - 4, x1 + 4, y1 + 4), (255, 255, 255))
    for y in range(y0, y1, 9):
        x = x0
        while x < x1:
            width = rng.choice((2, 3, 4, 5))
            if rng.random() < 0.55:
                draw.rectangle((x, y, min(x + width - 1, x1), y + 7), (0, 0, 0))
            x += width
    return jpeg(image, quality=JPEG_QUALITY)


def _frame(face_seed: int, **pose) -> bytes:
    backdrop = BACKDROPS[face_seed % len(BACKDROPS)]
    image = Image.new("RGB", FRAME_SIZE, backdrop)
    draw = ImageDraw.Draw(image)
    for y in range(0, FRAME_SIZE[1], 4):
        shade = int(16 * y / FRAME_SIZE[1])
        draw.rectangle((0, y, FRAME_SIZE[0], y + 3), tuple(max(0, c - shade) for c in backdrop))
    draw_face(image, (20, 28, FRAME_SIZE[0] - 20, FRAME_SIZE[1]), face_seed, **pose)
    return jpeg(image, quality=JPEG_QUALITY)


def selfie(face_seed: int) -> bytes:
    """The biometry target image: the user looking at the camera."""
    return _frame(face_seed)


def blink_frame(face_seed: int) -> bytes:
    """The frame Finwave keeps from the blink challenge: eyes closed."""
    return _frame(face_seed, eyes_closed=True)


def smile_frame(face_seed: int) -> bytes:
    """The frame Finwave keeps from the smile challenge."""
    return _frame(face_seed, smiling=True, turn=4)


def portrait(face_seed: int) -> bytes:
    """The document's portrait as the OCR crops it (``ocr.images`` PORTRAIT)."""
    image = Image.new("RGB", PORTRAIT_SIZE, (204, 214, 224))
    draw_face(image, (0, 0, PORTRAIT_SIZE[0], PORTRAIT_SIZE[1] + 40), face_seed)
    return jpeg(image, quality=JPEG_QUALITY)


def new_face_seed(rng: random.Random) -> int:
    return rng.randrange(2**32)
