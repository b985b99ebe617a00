"""Synthetic evidence images for Flonk sandbox sessions, drawn with Pillow.

Small on purpose (a card is 600x380, JPEG quality 75, some 20-35 kB): they live in the
database and are downloaded once per import. Nothing here resembles a real document
closely enough to be mistaken for one: every document says SPECIMEN.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from dataclasses import dataclass

from PIL import Image, ImageDraw

from providers.sandbox_kit.images import font as _font
from providers.sandbox_kit.images import jpeg

JPEG_QUALITY = 75
CARD_SIZE = (600, 380)
PASSPORT_SIZE = (600, 420)
SELFIE_SIZE = (320, 420)
BILL_SIZE = (520, 720)

SKIN_TONES = ((241, 194, 167), (224, 172, 105), (198, 134, 66), (141, 85, 36), (255, 219, 172))
HAIR_COLOURS = ((35, 25, 20), (90, 60, 30), (160, 120, 60), (200, 170, 110), (70, 70, 70))
# Letters the bundled font lacks, spelt as ICAO 9303 transliterates them.
SPELT_OUT = str.maketrans(
    {"Ä": "AE", "Ö": "OE", "Ü": "UE", "ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ẞ": "SS"}
)
STROKED = str.maketrans({"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d"})
BACKDROPS = ((214, 222, 232), (232, 226, 212), (204, 218, 208), (226, 216, 228))


@dataclass(frozen=True)
class DocumentData:
    """What is printed on the synthetic identity document."""

    document_type: str  # id_card | passport | driver_license
    country_code: str  # ISO 3166 alpha-3, as in the MRZ
    country_name: str
    surname: str
    given_names: str
    birth_date: dt.date
    sex: str
    nationality: str
    place_of_birth: str
    document_number: str
    issue_date: dt.date
    expiry_date: dt.date
    address_lines: tuple[str, ...]


@dataclass(frozen=True)
class BillData:
    """What is printed on the synthetic proof of address."""

    kind: str  # utility_bill | bank_statement
    issuer: str
    name: str
    address_lines: tuple[str, ...]
    issue_date: dt.date
    reference: str
    amount: str


def _write(draw: ImageDraw.ImageDraw, xy: tuple[int, int], text: str, fill, font) -> None:
    draw.text(xy, latin(text), fill, font)


def latin(text: str) -> str:
    """``text`` in the characters the bundled font has: umlauts spelt out, accents dropped."""
    spelt = text.translate(SPELT_OUT)
    return "".join(
        c for c in unicodedata.normalize("NFKD", spelt) if not unicodedata.combining(c)
    ).translate(STROKED)


def draw_face(image: Image.Image, box: tuple[int, int, int, int], face_seed: int) -> None:
    """Head and shoulders inside ``box``; one ``face_seed`` always draws the same person."""
    x0, y0, x1, y1 = box
    # Drawn on its own canvas and pasted, so the shoulders stay inside the frame.
    portrait = image.crop(box)
    _draw_face(portrait, x1 - x0, y1 - y0, face_seed)
    image.paste(portrait, (x0, y0))


def _draw_face(image: Image.Image, w: int, h: int, face_seed: int) -> None:
    rng = random.Random(face_seed)
    x0, y0, x1, y1 = 0, 0, w, h
    draw = ImageDraw.Draw(image)
    skin, hair = rng.choice(SKIN_TONES), rng.choice(HAIR_COLOURS)
    shirt = (rng.randint(30, 200), rng.randint(30, 200), rng.randint(30, 200))
    long_hair = rng.random() < 0.5
    cx = x0 + w // 2
    head_w, head_h = int(w * 0.46), int(h * 0.48)
    head_top = y0 + int(h * 0.15)
    draw.ellipse((x0 + int(w * 0.08), y0 + int(h * 0.72), x1 - int(w * 0.08), y1 + h // 3), shirt)
    if long_hair:
        draw.rectangle(
            (cx - head_w // 2 - 8, head_top + head_h // 3, cx + head_w // 2 + 8, head_top + head_h),
            hair,
        )
    draw.rectangle((cx - w // 10, head_top + head_h - 8, cx + w // 10, y0 + int(h * 0.8)), skin)
    draw.ellipse(
        (cx - head_w // 2 - 6, head_top - 10, cx + head_w // 2 + 6, head_top + head_h // 2 + 18),
        hair,
    )
    draw.ellipse((cx - head_w // 2, head_top, cx + head_w // 2, head_top + head_h), skin)
    eye_y, eye_dx = head_top + int(head_h * 0.42), head_w // 5
    for ex in (cx - eye_dx, cx + eye_dx):
        draw.ellipse((ex - 6, eye_y - 4, ex + 6, eye_y + 4), (250, 250, 250))
        draw.ellipse((ex - 3, eye_y - 3, ex + 3, eye_y + 3), (40, 30, 30))
        draw.line((ex - 8, eye_y - 10, ex + 8, eye_y - 11), hair, width=3)
    nose_y = head_top + int(head_h * 0.62)
    draw.line((cx, eye_y + 6, cx - 4, nose_y, cx + 3, nose_y), (150, 100, 80), width=2)
    mouth_y = head_top + int(head_h * 0.78)
    draw.arc((cx - 14, mouth_y - 8, cx + 14, mouth_y + 6), 20, 160, (150, 60, 60), width=3)


def _mrz(value: str, length: int) -> str:
    cleaned = "".join(c if c.isascii() and c.isalnum() else "<" for c in latin(value).upper())
    return (cleaned + "<" * length)[:length]


def _check_digit(value: str) -> str:
    """ICAO 9303 check digit (weights 7, 3, 1)."""
    weights = (7, 3, 1)
    total = 0
    for i, char in enumerate(value):
        if char.isdigit():
            number = int(char)
        elif char.isalpha():
            number = ord(char.upper()) - 55
        else:
            number = 0
        total += number * weights[i % 3]
    return str(total % 10)


def mrz_td1(doc: DocumentData) -> tuple[str, str, str]:
    """The three 30-character lines of an ID card's machine-readable zone."""
    number = _mrz(doc.document_number, 9)
    birth, expiry = f"{doc.birth_date:%y%m%d}", f"{doc.expiry_date:%y%m%d}"
    line1 = _mrz(f"ID{doc.country_code}{number}{_check_digit(number)}", 30)
    line2 = _mrz(
        f"{birth}{_check_digit(birth)}{doc.sex}{expiry}{_check_digit(expiry)}{doc.country_code}",
        30,
    )
    line3 = _mrz(f"{doc.surname}<<{doc.given_names.replace(' ', '<')}", 30)
    return line1, line2, line3


def mrz_td3(doc: DocumentData) -> tuple[str, str]:
    """The two 44-character lines of a passport's machine-readable zone."""
    number = _mrz(doc.document_number, 9)
    birth, expiry = f"{doc.birth_date:%y%m%d}", f"{doc.expiry_date:%y%m%d}"
    line1 = _mrz(f"P<{doc.country_code}{doc.surname}<<{doc.given_names.replace(' ', '<')}", 44)
    line2 = _mrz(
        f"{number}{_check_digit(number)}{doc.country_code}{birth}{_check_digit(birth)}"
        f"{doc.sex}{expiry}{_check_digit(expiry)}",
        44,
    )
    return line1, line2


def _rows(draw: ImageDraw.ImageDraw, x: int, y: int, rows: tuple[tuple[str, str], ...]) -> None:
    label, value = _font(12), _font(17)
    for caption, text in rows:
        _write(draw, (x, y), caption, (90, 100, 120), label)
        _write(draw, (x, y + 13), text, (15, 20, 35), value)
        y += 34


def card_front(doc: DocumentData, face_seed: int) -> bytes:
    """Front of an identity card or driving licence: portrait, data, MRZ for ID cards."""
    licence = doc.document_type == "driver_license"
    background = (246, 238, 226) if licence else (232, 240, 246)
    band = (150, 40, 60) if licence else (20, 86, 120)
    image = Image.new("RGB", CARD_SIZE, background)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, CARD_SIZE[0], 50), band)
    title = "DRIVING LICENCE" if licence else "IDENTITY CARD"
    _write(draw, (18, 13), f"{doc.country_name.upper()}  {title}", (255, 255, 255), _font(21))
    _write(draw, (470, 16), "SPECIMEN", (255, 214, 100), _font(17))
    for i in range(0, CARD_SIZE[0], 20):
        draw.arc((i - 110, 56, i + 110, 280), 200, 340, (214, 224, 234), width=1)
    portrait = (20, 66, 176, 268)
    draw.rectangle(portrait, (204, 214, 226), outline=(90, 110, 140), width=2)
    draw_face(image, portrait, face_seed)
    _rows(
        draw,
        196,
        62,
        (
            ("SURNAME", doc.surname.upper()),
            ("GIVEN NAMES", doc.given_names.upper()),
            ("DATE OF BIRTH", doc.birth_date.strftime("%d.%m.%Y")),
            ("NATIONALITY", doc.nationality.upper()),
            ("DOCUMENT NO.", doc.document_number),
            ("VALID UNTIL", doc.expiry_date.strftime("%d.%m.%Y")),
        ),
    )
    if licence:
        _write(draw, (20, 290), "CATEGORIES  AM  A1  B  BE", (60, 40, 40), _font(18))
    else:
        draw.rectangle((0, 282, CARD_SIZE[0], CARD_SIZE[1]), (250, 250, 250))
        for i, line in enumerate(mrz_td1(doc)):
            _write(draw, (18, 288 + i * 29), line, (20, 20, 20), _font(19))
    return jpeg(image, quality=JPEG_QUALITY)


def card_back(doc: DocumentData, rng: random.Random) -> bytes:
    """Back of the card: address, authority, issue date and a barcode-like block."""
    image = Image.new("RGB", CARD_SIZE, (240, 240, 236))
    draw = ImageDraw.Draw(image)
    _write(draw, (20, 18), "ADDRESS", (90, 100, 120), _font(12))
    for i, line in enumerate(doc.address_lines):
        _write(draw, (20, 34 + i * 23), line, (15, 20, 35), _font(17))
    _write(
        draw, (20, 112), f"PLACE OF BIRTH  {doc.place_of_birth.upper()}", (60, 60, 60), _font(14)
    )
    _write(draw, (20, 134), f"ISSUED  {doc.issue_date:%d.%m.%Y}", (60, 60, 60), _font(14))
    _write(draw, (470, 18), "SPECIMEN", (190, 60, 60), _font(17))
    x0, y0, x1, y1 = 20, 168, 580, 360
    draw.rectangle((x0 - 6, y0 - 6, x1 + 6, y1 + 6), (255, 255, 255))
    for y in range(y0, y1, 12):
        x = x0
        while x < x1:
            width = rng.choice((2, 3, 4, 6))
            if rng.random() < 0.55:
                draw.rectangle((x, y, min(x + width - 1, x1), y + 10), (0, 0, 0))
            x += width
    return jpeg(image, quality=JPEG_QUALITY)


def passport_page(doc: DocumentData, face_seed: int) -> bytes:
    """A passport's data page: portrait, data fields and the two-line MRZ."""
    image = Image.new("RGB", PASSPORT_SIZE, (238, 232, 246))
    draw = ImageDraw.Draw(image)
    for i in range(0, PASSPORT_SIZE[1], 14):
        draw.line((0, i, PASSPORT_SIZE[0], i + 40), (226, 218, 238), width=1)
    _write(draw, (20, 12), f"PASSPORT  {doc.country_name.upper()}", (70, 40, 110), _font(21))
    _write(draw, (470, 14), "SPECIMEN", (190, 60, 60), _font(17))
    _write(draw, (20, 40), f"TYPE P   CODE {doc.country_code}", (90, 80, 110), _font(13))
    portrait = (20, 62, 176, 268)
    draw.rectangle(portrait, (214, 208, 226), outline=(110, 90, 140), width=2)
    draw_face(image, portrait, face_seed)
    _rows(
        draw,
        196,
        58,
        (
            ("SURNAME", doc.surname.upper()),
            ("GIVEN NAMES", doc.given_names.upper()),
            ("NATIONALITY", doc.nationality.upper()),
            ("DATE OF BIRTH / SEX", f"{doc.birth_date:%d.%m.%Y}   {doc.sex}"),
            ("PASSPORT NO.", doc.document_number),
            ("DATE OF EXPIRY", doc.expiry_date.strftime("%d.%m.%Y")),
        ),
    )
    draw.rectangle((0, 330, PASSPORT_SIZE[0], PASSPORT_SIZE[1]), (250, 250, 250))
    for i, line in enumerate(mrz_td3(doc)):
        _write(draw, (12, 340 + i * 32), line, (20, 20, 20), _font(18))
    return jpeg(image, quality=JPEG_QUALITY)


def selfie(face_seed: int) -> bytes:
    """A head-and-shoulders photo against a plain backdrop, as the widget captures it."""
    backdrop = BACKDROPS[face_seed % len(BACKDROPS)]
    image = Image.new("RGB", SELFIE_SIZE, backdrop)
    draw = ImageDraw.Draw(image)
    for y in range(0, SELFIE_SIZE[1], 4):
        shade = int(20 * y / SELFIE_SIZE[1])
        draw.rectangle((0, y, SELFIE_SIZE[0], y + 3), tuple(max(0, c - shade) for c in backdrop))
    draw_face(image, (24, 36, SELFIE_SIZE[0] - 24, SELFIE_SIZE[1]), face_seed)
    return jpeg(image, quality=JPEG_QUALITY)


def proof_of_address(bill: BillData) -> bytes:
    """A utility bill or bank statement: issuer, name and address, date, amounts."""
    statement = bill.kind == "bank_statement"
    image = Image.new("RGB", BILL_SIZE, (253, 253, 250))
    draw = ImageDraw.Draw(image)
    band = (30, 60, 120) if statement else (22, 120, 90)
    draw.rectangle((0, 0, BILL_SIZE[0], 64), band)
    _write(draw, (24, 18), bill.issuer.upper(), (255, 255, 255), _font(23))
    _write(draw, (400, 24), "SPECIMEN", (255, 230, 120), _font(16))
    _write(draw, (24, 88), "Customer", (110, 110, 110), _font(13))
    _write(draw, (24, 104), bill.name, (20, 20, 20), _font(18))
    for i, line in enumerate(bill.address_lines):
        _write(draw, (24, 130 + i * 22), line, (20, 20, 20), _font(16))
    _write(draw, (310, 88), "Statement date", (110, 110, 110), _font(13))
    _write(draw, (310, 104), bill.issue_date.strftime("%d %B %Y"), (20, 20, 20), _font(16))
    _write(draw, (310, 132), "Account" if statement else "Customer no.", (110, 110, 110), _font(13))
    _write(draw, (310, 148), bill.reference, (20, 20, 20), _font(16))
    draw.line((24, 230, BILL_SIZE[0] - 24, 230), (180, 180, 180), width=2)
    if statement:
        items = (("Salary", "+2,410.00"), ("Rent", "-940.00"), ("Groceries", "-212.37"))
        total_label = "Closing balance"
    else:
        items = (("Standing charge", "12.40"), ("Energy used", "58.17"), ("VAT", "3.53"))
        total_label = "Amount due"
    for i, (what, cost) in enumerate(items):
        _write(draw, (24, 248 + i * 28), what, (40, 40, 40), _font(15))
        _write(draw, (400, 248 + i * 28), cost, (40, 40, 40), _font(15))
    draw.line((24, 340, BILL_SIZE[0] - 24, 340), (180, 180, 180), width=2)
    _write(draw, (24, 352), total_label, (20, 20, 20), _font(18))
    _write(draw, (400, 352), bill.amount, (20, 20, 20), _font(18))
    bars = random.Random(bill.reference)
    for i in range(12):
        height = bars.randint(40, 120)
        draw.rectangle((36 + i * 38, 600 - height, 58 + i * 38, 600), (120, 170, 190))
    _write(draw, (24, 620), "Monthly overview", (110, 110, 110), _font(13))
    _write(draw, (24, 680), "Keep this document as proof of address.", (110, 110, 110), _font(13))
    return jpeg(image, quality=JPEG_QUALITY)


def new_face_seed(rng: random.Random) -> int:
    """A face seed drawn from the scenario's rng, so document and selfie show one face."""
    return rng.randrange(2**32)
