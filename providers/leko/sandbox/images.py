"""Synthetic evidence images for sandbox verifications, drawn with Pillow.

Small on purpose (a passport page is 620x440, JPEG quality 78, some 20-35 kB): they
live in the database. Nothing here resembles a real document closely enough to be
mistaken for one: every page says SPECIMEN, and the MRZ has no real check digits.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from PIL import Image, ImageDraw

from providers.sandbox_kit.images import font as _font
from providers.sandbox_kit.images import jpeg
from providers.sandbox_kit.images import mrz_field as _mrz_field

JPEG_QUALITY = 78
PAGE_SIZE = (620, 440)
AVATAR_SIZE = (320, 320)

SKIN_TONES = ((241, 194, 167), (224, 172, 105), (198, 134, 66), (141, 85, 36), (255, 219, 172))
HAIR_COLOURS = ((35, 25, 20), (90, 60, 30), (160, 120, 60), (200, 170, 110), (60, 60, 60))
BACKDROPS = ((206, 222, 236), (232, 224, 206), (204, 220, 206), (226, 214, 228))


@dataclass(frozen=True)
class PassportPrint:
    """What is printed on the synthetic passport data page."""

    country: str  # ICAO code, e.g. USA
    passport_number: str
    surname: str
    given_names: str
    birth_date: dt.date
    sex: str
    place_of_birth: str
    issue_date: dt.date
    expiry_date: dt.date
    authority: str


def draw_face(image: Image.Image, box: tuple[int, int, int, int], face_seed: int) -> None:
    """A head and shoulders inside ``box``: the same seed always draws the same person."""
    rng = random.Random(face_seed)
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    draw = ImageDraw.Draw(image)
    skin = rng.choice(SKIN_TONES)
    hair = rng.choice(HAIR_COLOURS)
    shirt = (rng.randint(30, 200), rng.randint(30, 200), rng.randint(30, 200))
    cx = x0 + w // 2
    head_w, head_h = int(w * 0.46), int(h * 0.5)
    head_top = y0 + int(h * 0.14)
    # shoulders, neck, hair behind the head, then the head
    draw.ellipse((x0 + int(w * 0.06), y0 + int(h * 0.74), x1 - int(w * 0.06), y1 + h // 3), shirt)
    draw.rectangle((cx - w // 10, head_top + head_h - 8, cx + w // 10, y0 + int(h * 0.82)), skin)
    draw.ellipse(
        (cx - head_w // 2 - 6, head_top - 10, cx + head_w // 2 + 6, head_top + head_h // 2 + 18),
        hair,
    )
    draw.ellipse((cx - head_w // 2, head_top, cx + head_w // 2, head_top + head_h), skin)
    eye_y = head_top + int(head_h * 0.42)
    eye_dx = head_w // 5
    for ex in (cx - eye_dx, cx + eye_dx):
        draw.ellipse((ex - 6, eye_y - 4, ex + 6, eye_y + 4), (250, 250, 250))
        draw.ellipse((ex - 3, eye_y - 3, ex + 3, eye_y + 3), (40, 30, 30))
        draw.line((ex - 8, eye_y - 10, ex + 8, eye_y - 11), hair, width=3)
    nose_y = head_top + int(head_h * 0.62)
    draw.line((cx, eye_y + 6, cx - 4, nose_y, cx + 3, nose_y), (150, 100, 80), width=2)
    mouth_y = head_top + int(head_h * 0.78)
    draw.arc((cx - 14, mouth_y - 8, cx + 14, mouth_y + 6), 20, 160, (150, 60, 60), width=3)


def mrz_lines(page: PassportPrint) -> tuple[str, str]:
    """Two TD3-like lines (44 characters); check digits are not computed."""
    names = f"{page.surname}<<{page.given_names.replace(' ', '<')}"
    line1 = _mrz_field(f"P<{page.country}{names}", 44)
    line2 = _mrz_field(
        f"{page.passport_number:<<9}0{page.country}{page.birth_date:%y%m%d}0{page.sex}"
        f"{page.expiry_date:%y%m%d}0",
        44,
    )
    return line1, line2


def passport_page(page: PassportPrint, face_seed: int) -> bytes:
    """The data page of a passport: portrait, printed fields and the MRZ."""
    image = Image.new("RGB", PAGE_SIZE, (244, 240, 230))
    draw = ImageDraw.Draw(image)
    # guilloche-ish background waves
    for i in range(0, PAGE_SIZE[0], 18):
        draw.arc((i - 140, 40, i + 140, 330), 200, 340, (226, 220, 206), width=1)
    draw.rectangle((0, 0, PAGE_SIZE[0], 46), (92, 34, 52))
    draw.text((18, 12), f"PASSPORT   {page.country}", (255, 255, 255), _font(22))
    draw.text((470, 15), "SPECIMEN", (255, 214, 120), _font(18))
    portrait = (20, 62, 180, 262)
    draw.rectangle(portrait, (206, 214, 224), outline=(110, 100, 90), width=2)
    # drawn apart and pasted, so the shoulders stay inside the frame
    photo = Image.new("RGB", (portrait[2] - portrait[0] - 3, portrait[3] - portrait[1] - 3))
    photo.paste((206, 214, 224), (0, 0, *photo.size))
    draw_face(photo, (0, 0, *photo.size), face_seed)
    image.paste(photo, (portrait[0] + 2, portrait[1] + 2))
    label, value = _font(11), _font(16)
    left = (
        ("TYPE / CODE", f"P   {page.country}"),
        ("PASSPORT NO.", page.passport_number),
        ("SURNAME", page.surname),
        ("GIVEN NAMES", page.given_names),
        ("DATE OF BIRTH", page.birth_date.strftime("%d %b %Y").upper()),
    )
    right = (
        ("SEX", page.sex),
        ("PLACE OF BIRTH", page.place_of_birth.upper()),
        ("DATE OF ISSUE", page.issue_date.strftime("%d %b %Y").upper()),
        ("DATE OF EXPIRY", page.expiry_date.strftime("%d %b %Y").upper()),
        ("AUTHORITY", page.authority.upper()),
    )
    for column, rows in ((196, left), (410, right)):
        y = 60
        for caption, text in rows:
            draw.text((column, y), caption, (110, 100, 90), label)
            draw.text((column, y + 12), text[:22], (20, 20, 30), value)
            y += 40
    draw.rectangle((0, 340, PAGE_SIZE[0], PAGE_SIZE[1]), (252, 250, 246))
    for i, line in enumerate(mrz_lines(page)):
        draw.text((16, 356 + i * 34), line, (20, 20, 20), _font(19))
    return jpeg(image, quality=JPEG_QUALITY)


def avatar(face_seed: int) -> bytes:
    """A square profile photo against a plain backdrop."""
    backdrop = BACKDROPS[face_seed % len(BACKDROPS)]
    image = Image.new("RGB", AVATAR_SIZE, backdrop)
    draw = ImageDraw.Draw(image)
    for y in range(0, AVATAR_SIZE[1], 4):
        shade = int(20 * y / AVATAR_SIZE[1])
        draw.rectangle((0, y, AVATAR_SIZE[0], y + 3), tuple(max(0, c - shade) for c in backdrop))
    draw_face(image, (30, 20, AVATAR_SIZE[0] - 30, AVATAR_SIZE[1]), face_seed)
    return jpeg(image, quality=JPEG_QUALITY)


def not_a_face(seed: int) -> bytes:
    """An avatar without a person in it (hills and a sun): LE-KO's avatar_not_human."""
    rng = random.Random(seed)
    image = Image.new("RGB", AVATAR_SIZE, (150, 200, 240))
    draw = ImageDraw.Draw(image)
    sun_x = rng.randint(60, 260)
    draw.ellipse((sun_x - 30, 40, sun_x + 30, 100), (255, 214, 90))
    for i, colour in enumerate(((90, 150, 80), (70, 130, 70), (50, 110, 60))):
        top = 170 + i * 40
        draw.ellipse((-80 + i * 90, top, 260 + i * 90, top + 260), colour)
    return jpeg(image, quality=JPEG_QUALITY)
