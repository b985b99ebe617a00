"""Synthetic evidence files for KYC API sandbox sessions, drawn with Pillow.

US documents, as the API's DMV and OFAC checks suggest: a driver license or state ID
card (front with portrait, back with a PDF417-like barcode), a passport data page
with a TD3 machine-readable zone, a passport card, a selfie and a passive-liveness
frame. Small on purpose (a card is 512x324, JPEG quality 75, some 15-25 kB): they
live in the database. Every document says SPECIMEN; nothing here resembles a real
document closely enough to be mistaken for one.

A tampered front (``tampered=True``) carries what a manipulation detector finds: a
pasted patch over the name with a different background and a "SAMPLE" stamp.
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
CARD_SIZE = (512, 324)
PASSPORT_SIZE = (512, 360)
SELFIE_SIZE = (300, 400)

SKIN_TONES = ((241, 194, 167), (224, 172, 105), (198, 134, 66), (141, 85, 36), (255, 219, 172))
HAIR_COLOURS = ((35, 25, 20), (90, 60, 30), (160, 120, 60), (200, 170, 110), (60, 60, 60))
BACKDROPS = ((210, 220, 230), (230, 225, 210), (200, 215, 205), (225, 215, 225))
STATE_NAMES = {
    "CA": "CALIFORNIA",
    "TX": "TEXAS",
    "NY": "NEW YORK",
    "IL": "ILLINOIS",
    "WA": "WASHINGTON",
}
TITLES = {
    "driver_license": "DRIVER LICENSE",
    "identification_card": "IDENTIFICATION CARD",
    "passport_card": "PASSPORT CARD",
}


@dataclass(frozen=True)
class DocumentData:
    """What is printed on a synthetic document."""

    document_type: str  # driver_license, identification_card, passport, passport_card
    first_name: str
    middle_name: str
    last_name: str
    birth_date: dt.date
    sex: str  # M, F, X
    document_number: str
    issued_at: dt.date
    expires_at: dt.date
    state: str  # issuing state (driver license, ID card)
    street: str
    city: str
    postal_code: str
    height: str
    weight: str
    eye_color: str
    hair_color: str
    license_class: str
    restrictions: str

    @property
    def given_names(self) -> str:
        return " ".join(part for part in (self.first_name, self.middle_name) if part)


def draw_face(image: Image.Image, box: tuple[int, int, int, int], rng: random.Random) -> None:
    """A simple head and shoulders inside ``box`` (clipped to it), the same for one
    ``rng`` state."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    tile = image.crop(box)
    _draw_face_on(tile, w, h, rng)
    image.paste(tile, (x0, y0))


def _draw_face_on(image: Image.Image, w: int, h: int, rng: random.Random) -> None:
    x0, y0, x1, y1 = 0, 0, w, h
    draw = ImageDraw.Draw(image)
    skin = rng.choice(SKIN_TONES)
    hair = rng.choice(HAIR_COLOURS)
    shirt = (rng.randint(30, 200), rng.randint(30, 200), rng.randint(30, 200))
    cx = x0 + w // 2
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
    eye_dx = head_w // 5
    for ex in (cx - eye_dx, cx + eye_dx):
        draw.ellipse((ex - 5, eye_y - 3, ex + 5, eye_y + 3), (250, 250, 250))
        draw.ellipse((ex - 2, eye_y - 2, ex + 2, eye_y + 2), (40, 30, 30))
        draw.line((ex - 7, eye_y - 8, ex + 7, eye_y - 9), hair, width=2)
    nose_y = head_top + int(head_h * 0.62)
    draw.line((cx, eye_y + 5, cx - 3, nose_y, cx + 3, nose_y), (150, 100, 80), width=2)
    mouth_y = head_top + int(head_h * 0.78)
    draw.arc((cx - 11, mouth_y - 6, cx + 11, mouth_y + 5), 20, 160, (150, 60, 60), width=2)


def _rows(draw: ImageDraw.ImageDraw, x: int, y: int, rows: tuple[tuple[str, str], ...]) -> None:
    label, value = _font(10), _font(15)
    for caption, text in rows:
        draw.text((x, y), caption, (90, 100, 120), label)
        draw.text((x, y + 11), text, (15, 20, 35), value)
        y += 30


def _tamper(image: Image.Image, box: tuple[int, int, int, int], text: str) -> None:
    """A pasted patch: a slightly different background, a seam and a stamp."""
    draw = ImageDraw.Draw(image)
    draw.rectangle(box, (250, 244, 228), outline=(205, 200, 190))
    draw.text((box[0] + 4, box[1] + 3), text, (30, 30, 30), _font(15))
    draw.text((box[2] - 70, box[3] + 4), "SAMPLE", (200, 40, 40), _font(16))


def card_front(data: DocumentData, face_seed: int, *, tampered: bool = False) -> bytes:
    """Front of a driver license, state ID or passport card."""
    image = Image.new("RGB", CARD_SIZE, (234, 240, 247))
    draw = ImageDraw.Draw(image)
    header = (26, 70, 128) if data.document_type != "passport_card" else (20, 40, 90)
    draw.rectangle((0, 0, CARD_SIZE[0], 44), header)
    issuer = (
        "UNITED STATES OF AMERICA"
        if data.document_type == "passport_card"
        else STATE_NAMES.get(data.state, data.state)
    )
    draw.text((14, 6), issuer, (255, 255, 255), _font(16))
    draw.text((14, 24), TITLES.get(data.document_type, "IDENTITY"), (220, 230, 245), _font(13))
    draw.text((400, 14), "SPECIMEN", (255, 210, 90), _font(16))
    for i in range(0, CARD_SIZE[0], 18):
        draw.arc((i - 100, 50, i + 100, 250), 200, 340, (212, 224, 238), width=1)
    portrait = (16, 58, 146, 230)
    draw.rectangle(portrait, (200, 212, 226), outline=(90, 110, 140), width=2)
    draw_face(image, portrait, random.Random(face_seed))
    rows = (
        ("DOCUMENT NO.", data.document_number),
        ("LAST NAME", data.last_name),
        ("FIRST / MIDDLE", data.given_names),
        ("DATE OF BIRTH", data.birth_date.strftime("%m/%d/%Y")),
        ("EXPIRES", data.expires_at.strftime("%m/%d/%Y")),
    )
    _rows(draw, 160, 54, rows)
    if data.document_type != "passport_card":
        draw.text((160, 210), f"{data.street}", (15, 20, 35), _font(12))
        draw.text(
            (160, 225), f"{data.city}, {data.state} {data.postal_code}", (15, 20, 35), _font(12)
        )
        small = (
            f"SEX {data.sex}  HGT {data.height}  WGT {data.weight}  EYES {data.eye_color}"
            f"  HAIR {data.hair_color}"
        )
        draw.text((16, 246), small, (40, 40, 60), _font(12))
        if data.document_type == "driver_license":
            draw.text((16, 266), f"CLASS {data.license_class}", (40, 40, 60), _font(12))
            draw.text((120, 266), f"RESTR {data.restrictions}", (40, 40, 60), _font(12))
    draw.text((16, 292), f"ISS {data.issued_at:%m/%d/%Y}", (70, 70, 90), _font(12))
    if tampered:
        _tamper(image, (158, 94, 360, 118), data.last_name)
    return jpeg(image, quality=JPEG_QUALITY)


def card_back(data: DocumentData, rng: random.Random) -> bytes:
    """Back of the card: a PDF417-like barcode block and the issuer's small print."""
    image = Image.new("RGB", CARD_SIZE, (240, 240, 236))
    draw = ImageDraw.Draw(image)
    authority = (
        "U.S. DEPARTMENT OF STATE"
        if data.document_type == "passport_card"
        else f"{STATE_NAMES.get(data.state, data.state)} DEPARTMENT OF MOTOR VEHICLES"
    )
    draw.text((16, 12), authority, (60, 60, 60), _font(13))
    draw.text((400, 12), "SPECIMEN", (190, 60, 60), _font(16))
    x0, y0, x1, y1 = 16, 44, 496, 220
    draw.rectangle((x0 - 4, y0 - 4, x1 + 4, y1 + 4), (255, 255, 255))
    row_h = 11
    for y in range(y0, y1, row_h):
        x = x0
        while x < x1:
            width = rng.choice((3, 4, 6, 8))
            if rng.random() < 0.55:
                draw.rectangle((x, y, min(x + width - 1, x1), y + row_h - 2), (0, 0, 0))
            x += width
    draw.text((16, 240), f"DD {rng.randint(10**9, 10**10 - 1)}", (60, 60, 60), _font(12))
    draw.text((16, 260), "Organ donor: see reverse of registry record", (90, 90, 90), _font(11))
    return jpeg(image, quality=JPEG_QUALITY)


def mrz_lines(data: DocumentData) -> tuple[str, str]:
    """Two TD3 lines (44 characters); check digits are not computed."""
    names = f"{data.last_name}<<{data.given_names.replace(' ', '<')}"
    line1 = _mrz_field(f"P<USA{names}", 44)
    line2 = _mrz_field(
        f"{data.document_number:<9}0USA{data.birth_date:%y%m%d}0{data.sex}"
        f"{data.expires_at:%y%m%d}0",
        44,
    )
    return line1, line2


def passport_page(data: DocumentData, face_seed: int, *, tampered: bool = False) -> bytes:
    """The data page of a passport: portrait, fields and the machine-readable zone."""
    image = Image.new("RGB", PASSPORT_SIZE, (238, 236, 226))
    draw = ImageDraw.Draw(image)
    draw.text((16, 10), "PASSPORT   UNITED STATES OF AMERICA", (30, 50, 100), _font(15))
    draw.text((400, 10), "SPECIMEN", (190, 60, 60), _font(16))
    portrait = (16, 40, 140, 210)
    draw.rectangle(portrait, (205, 210, 215), outline=(100, 100, 110), width=2)
    draw_face(image, portrait, random.Random(face_seed))
    rows = (
        ("TYPE / CODE / PASSPORT NO.", f"P   USA   {data.document_number}"),
        ("SURNAME", data.last_name),
        ("GIVEN NAMES", data.given_names),
        ("DATE OF BIRTH / SEX", f"{data.birth_date:%d %b %Y}   {data.sex}".upper()),
        ("DATE OF EXPIRATION", f"{data.expires_at:%d %b %Y}".upper()),
    )
    _rows(draw, 156, 40, rows)
    draw.rectangle((0, 276, PASSPORT_SIZE[0], PASSPORT_SIZE[1]), (250, 250, 246))
    for i, line in enumerate(mrz_lines(data)):
        draw.text((12, 290 + i * 28), line, (20, 20, 20), _font(16))
    if tampered:
        _tamper(image, (154, 78, 356, 102), data.last_name)
    return jpeg(image, quality=JPEG_QUALITY)


def selfie(face_seed: int) -> bytes:
    """A head-and-shoulders photo against a plain backdrop."""
    backdrop = BACKDROPS[face_seed % len(BACKDROPS)]
    image = Image.new("RGB", SELFIE_SIZE, backdrop)
    draw = ImageDraw.Draw(image)
    for y in range(0, SELFIE_SIZE[1], 4):
        shade = int(18 * y / SELFIE_SIZE[1])
        draw.rectangle((0, y, SELFIE_SIZE[0], y + 3), tuple(max(0, c - shade) for c in backdrop))
    draw_face(image, (24, 30, SELFIE_SIZE[0] - 24, SELFIE_SIZE[1]), random.Random(face_seed))
    return jpeg(image, quality=JPEG_QUALITY)


def liveness_frame(face_seed: int) -> bytes:
    """A frame of the passive-liveness capture: the face inside the capture oval."""
    image = Image.new("RGB", SELFIE_SIZE, (34, 38, 46))
    draw_face(image, (40, 50, SELFIE_SIZE[0] - 40, SELFIE_SIZE[1] - 20), random.Random(face_seed))
    draw = ImageDraw.Draw(image)
    draw.ellipse(
        (34, 36, SELFIE_SIZE[0] - 34, SELFIE_SIZE[1] - 60), outline=(90, 220, 140), width=4
    )
    draw.text((78, 352), "Hold still", (230, 230, 230), _font(20))
    return jpeg(image, quality=JPEG_QUALITY)


def new_face_seed(rng: random.Random) -> int:
    """A face seed drawn from the scenario's rng, so the document and selfie show one face."""
    return rng.randrange(2**32)
