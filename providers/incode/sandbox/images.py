"""Synthetic evidence images for sandbox interviews, drawn with Pillow.

Small on purpose (an ID card is 640x400, JPEG quality 80, some 20-40 kB): they live
in the database and travel base64-encoded, like Incode's. Nothing here resembles a
real document closely enough to be mistaken for one: every card says SPECIMEN.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from PIL import Image, ImageDraw

from providers.sandbox_kit.images import font as _font
from providers.sandbox_kit.images import jpeg
from providers.sandbox_kit.images import mrz_field as _mrz_field

JPEG_QUALITY = 80
CARD_SIZE = (640, 400)
SELFIE_SIZE = (360, 480)
FACE_SIZE = (180, 240)
POA_SIZE = (560, 760)

SKIN_TONES = ((241, 194, 167), (224, 172, 105), (198, 134, 66), (141, 85, 36), (255, 219, 172))
HAIR_COLOURS = ((35, 25, 20), (90, 60, 30), (160, 120, 60), (200, 170, 110), (60, 60, 60))
BACKDROPS = ((210, 220, 230), (230, 225, 210), (200, 215, 205), (225, 215, 225))


@dataclass(frozen=True)
class CardData:
    """What is printed on the synthetic ID card."""

    surname: str
    given_names: str
    birth_date: dt.date
    sex: str
    nationality: str
    document_number: str
    expiry_date: dt.date
    issuing_country: str
    address_lines: tuple[str, ...]


@dataclass(frozen=True)
class BillData:
    """What is printed on the synthetic utility bill (proof of address)."""

    issuer: str
    name: str
    address_lines: tuple[str, ...]
    issue_date: dt.date
    account_number: str
    amount: str


def _draw_face(image: Image.Image, box: tuple[int, int, int, int], rng: random.Random) -> None:
    """A simple head and shoulders inside ``box``, the same for one ``rng`` state."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    draw = ImageDraw.Draw(image)
    skin = rng.choice(SKIN_TONES)
    hair = rng.choice(HAIR_COLOURS)
    shirt = (rng.randint(30, 200), rng.randint(30, 200), rng.randint(30, 200))
    cx = x0 + w // 2
    head_w, head_h = int(w * 0.46), int(h * 0.48)
    head_top = y0 + int(h * 0.16)
    # shoulders, then hair behind the head, then the head
    draw.ellipse((x0 + int(w * 0.08), y0 + int(h * 0.72), x1 - int(w * 0.08), y1 + h // 3), shirt)
    draw.rectangle((cx - w // 10, head_top + head_h - 8, cx + w // 10, y0 + int(h * 0.8)), skin)
    draw.ellipse(
        (cx - head_w // 2 - 6, head_top - 10, cx + head_w // 2 + 6, head_top + head_h // 2 + 20),
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


def mrz_lines(card: CardData) -> tuple[str, str, str]:
    """Three TD1-like lines (30 characters); check digits are not computed."""
    line1 = _mrz_field(f"ID{card.issuing_country}{card.document_number}", 30)
    line2 = _mrz_field(
        f"{card.birth_date:%y%m%d}0{card.sex}{card.expiry_date:%y%m%d}0{card.nationality}", 30
    )
    names = f"{card.surname}<<{card.given_names.replace(' ', '<')}"
    line3 = _mrz_field(names, 30)
    return line1, line2, line3


def id_front(card: CardData, face_seed: int) -> bytes:
    """Front of an identity card: portrait box, name, birth date, number, MRZ."""
    image = Image.new("RGB", CARD_SIZE, (236, 242, 248))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, CARD_SIZE[0], 54), (28, 78, 140))
    draw.text((20, 14), f"{card.issuing_country}  IDENTITY CARD", (255, 255, 255), _font(24))
    draw.text((470, 18), "SPECIMEN", (255, 210, 90), _font(20))
    # guilloche-ish background lines
    for i in range(0, CARD_SIZE[0], 22):
        draw.arc((i - 120, 60, i + 120, 300), 200, 340, (210, 222, 236), width=1)
    portrait = (24, 74, 194, 290)
    draw.rectangle(portrait, (200, 212, 226), outline=(90, 110, 140), width=2)
    _draw_face(image, portrait, random.Random(face_seed))
    label, value = _font(13), _font(19)
    rows = (
        ("SURNAME", card.surname),
        ("GIVEN NAMES", card.given_names),
        ("DATE OF BIRTH", card.birth_date.strftime("%d %m %Y")),
        ("SEX / NATIONALITY", f"{card.sex}   {card.nationality}"),
        ("DOCUMENT NO.", card.document_number),
        ("DATE OF EXPIRY", card.expiry_date.strftime("%d %m %Y")),
    )
    y = 72
    for caption, text in rows:
        draw.text((214, y), caption, (90, 100, 120), label)
        draw.text((214, y + 14), text, (15, 20, 35), value)
        y += 36
    draw.rectangle((0, 300, CARD_SIZE[0], CARD_SIZE[1]), (250, 250, 250))
    mono = _font(20)
    for i, line in enumerate(mrz_lines(card)):
        draw.text((22, 308 + i * 29), line, (20, 20, 20), mono)
    return jpeg(image, quality=JPEG_QUALITY)


def id_back(card: CardData, rng: random.Random) -> bytes:
    """Back of the card: address, issuing authority and a barcode-like pattern."""
    image = Image.new("RGB", CARD_SIZE, (240, 240, 236))
    draw = ImageDraw.Draw(image)
    draw.text((24, 20), "ADDRESS", (90, 100, 120), _font(13))
    for i, line in enumerate(card.address_lines):
        draw.text((24, 38 + i * 24), line, (15, 20, 35), _font(19))
    draw.text(
        (24, 130), f"ISSUED BY  {card.issuing_country} CIVIL REGISTRY", (60, 60, 60), _font(15)
    )
    draw.text((470, 20), "SPECIMEN", (190, 60, 60), _font(20))
    # a PDF417-like block of random bars
    x0, y0, x1, y1 = 24, 170, 616, 370
    draw.rectangle((x0 - 6, y0 - 6, x1 + 6, y1 + 6), (255, 255, 255))
    row_h = 12
    for y in range(y0, y1, row_h):
        x = x0
        while x < x1:
            width = rng.choice((2, 3, 4, 6))
            if rng.random() < 0.55:
                draw.rectangle((x, y, min(x + width - 1, x1), y + row_h - 2), (0, 0, 0))
            x += width
    return jpeg(image, quality=JPEG_QUALITY)


def selfie(face_seed: int) -> bytes:
    """A head-and-shoulders photo against a plain backdrop."""
    rng = random.Random(face_seed)
    backdrop = BACKDROPS[face_seed % len(BACKDROPS)]
    image = Image.new("RGB", SELFIE_SIZE, backdrop)
    # soft vertical gradient so it does not look like a flat card
    draw = ImageDraw.Draw(image)
    for y in range(0, SELFIE_SIZE[1], 4):
        shade = int(18 * y / SELFIE_SIZE[1])
        colour = tuple(max(0, c - shade) for c in backdrop)
        draw.rectangle((0, y, SELFIE_SIZE[0], y + 3), colour)
    _draw_face(image, (30, 40, SELFIE_SIZE[0] - 30, SELFIE_SIZE[1]), rng)
    return jpeg(image, quality=JPEG_QUALITY)


def cropped_face(face_seed: int) -> bytes:
    """The face as Incode crops it from the selfie."""
    image = Image.new("RGB", FACE_SIZE, BACKDROPS[face_seed % len(BACKDROPS)])
    _draw_face(image, (0, 0, FACE_SIZE[0], FACE_SIZE[1] + 60), random.Random(face_seed))
    return jpeg(image, quality=JPEG_QUALITY)


def poa_document(bill: BillData) -> bytes:
    """A utility bill: issuer, customer name and address, issue date, amount due."""
    image = Image.new("RGB", POA_SIZE, (253, 253, 250))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, POA_SIZE[0], 70), (22, 120, 90))
    draw.text((28, 20), bill.issuer.upper(), (255, 255, 255), _font(26))
    draw.text((420, 26), "SPECIMEN", (255, 230, 120), _font(18))
    draw.text((28, 96), "Customer", (110, 110, 110), _font(14))
    draw.text((28, 114), bill.name, (20, 20, 20), _font(20))
    for i, line in enumerate(bill.address_lines):
        draw.text((28, 142 + i * 24), line, (20, 20, 20), _font(18))
    draw.text((340, 96), "Statement date", (110, 110, 110), _font(14))
    draw.text((340, 114), bill.issue_date.strftime("%d %B %Y"), (20, 20, 20), _font(18))
    draw.text((340, 146), "Account", (110, 110, 110), _font(14))
    draw.text((340, 164), bill.account_number, (20, 20, 20), _font(18))
    draw.line((28, 240, POA_SIZE[0] - 28, 240), (180, 180, 180), width=2)
    items = (("Standing charge", "12.40"), ("Energy used", "58.17"), ("VAT", "3.53"))
    for i, (what, cost) in enumerate(items):
        draw.text((28, 260 + i * 30), what, (40, 40, 40), _font(17))
        draw.text((450, 260 + i * 30), cost, (40, 40, 40), _font(17))
    draw.line((28, 360, POA_SIZE[0] - 28, 360), (180, 180, 180), width=2)
    draw.text((28, 372), "Amount due", (20, 20, 20), _font(20))
    draw.text((440, 372), bill.amount, (20, 20, 20), _font(20))
    # a usage chart, the thing every utility bill has
    bars = random.Random(bill.account_number)
    for i in range(12):
        height = bars.randint(40, 130)
        draw.rectangle((40 + i * 40, 620 - height, 64 + i * 40, 620), (120, 180, 160))
    draw.text((28, 650), "Monthly usage (kWh)", (110, 110, 110), _font(14))
    draw.text((28, 700), "Keep this statement as proof of address.", (110, 110, 110), _font(14))
    return jpeg(image, quality=JPEG_QUALITY)


def new_face_seed(rng: random.Random) -> int:
    """A face seed drawn from the scenario's rng, so the ID and selfie show one face."""
    return rng.randrange(2**32)
