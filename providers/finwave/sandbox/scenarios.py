"""Believable Finwave onboardings for the sandbox: result bodies shaped as the document's.

``build(scenario, rng, ...)`` returns the status, the result body (without ``status``,
``onboardingId`` and ``customId``, which the model adds) and the evidence files of one
onboarding. It touches no database: ``services`` stores what it returns.

Scenarios (the status each one has):

- ``clean`` (FINISHED): an identity card read and validated, liveness passed, score 86-97.
- ``passport`` (FINISHED): as clean, with a passport's data page (no reverse, no address).
- ``failed_validations`` (FINISHED): an expired card: ``DOCUMENT_NOT_EXPIRED`` and
  ``OVERALL`` validations false, ``PHOTO_CHECKS`` authenticity false, score 38-55.
- ``low_score`` (FINISHED): everything passed, but a score of 45-58.
- ``ocr_error`` (FINISHED): ``errorEvent`` OCR_ERROR, the address field unreadable.
- ``rejected`` (FINISHED): the biometry step failed (blink and smile not done), score 15-30.
- ``created`` (CREATED): the URL was handed out, the user has not come yet.
- ``in_process`` (INPROCESS): the user sent the front of the document.
- ``incompleted`` (INCOMPLETED): the user left during biometry (``USER_LEAVES_PROCESS``).
- ``timeout`` (TIMEOUT): the time ran out after the first capture (``TIME_EXPIRED``).

OCR field names and the DD/MM/YYYY dates are the ones ``providers/finwave/client.py``
(choice (h)) documents; the score is on a 0-100 scale.
"""

from __future__ import annotations

import base64
import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from providers.finwave.sandbox import images

SCENARIOS = (
    "clean",
    "passport",
    "failed_validations",
    "low_score",
    "ocr_error",
    "rejected",
    "created",
    "in_process",
    "incompleted",
    "timeout",
)
FINISHED_SCENARIOS = (
    "clean",
    "passport",
    "failed_validations",
    "low_score",
    "ocr_error",
    "rejected",
)
STATUS_OF = {
    **dict.fromkeys(FINISHED_SCENARIOS, "FINISHED"),
    "created": "CREATED",
    "in_process": "INPROCESS",
    "incompleted": "INCOMPLETED",
    "timeout": "TIMEOUT",
}
# The scenario a status change leads to when no finished scenario is named.
SCENARIO_FOR_STATUS = {
    "CREATED": "created",
    "INPROCESS": "in_process",
    "INCOMPLETED": "incompleted",
    "TIMEOUT": "timeout",
    "FINISHED": "clean",
}
DEFAULT_ACCEPTATIONS = (
    {"mandatory": True, "text": "I have read and accept the privacy policy."},
    {"mandatory": False, "text": "I agree to receive commercial communications."},
)
# The log codes of the document, with its descriptions.
LOG_DESCRIPTIONS = {
    "USER_VISITED_ONBORDING_WEB": "The user has visited the web, but has not yet started the "
    "process.",
    "USER_START_ONBOARDING_PROCESS": "The user has started the login process.",
    "OCR_STREAM_STARTED": "The OCR process has been started.",
    "OCR_RESULT": "The OCR process has completed.",
    "FRONT_DOCUMENT_SENDED": "The user has sent the front part of his ID document.",
    "BACK_DOCUMENT_SENDED": "The user has sent the back of his ID document.",
    "BIOMETRY_STARTED": "The biometrics process has been started.",
    "BIOMETRY_FINISHED": "The biometrics process has completed.",
    "SMS_CODE_REQUEST": "A code has been requested via SMS.",
    "SMS_OTP_VALIDATION": "The code has been sent for validation.",
    "SMS_OTP_SUCCESSFULLY": "The code has been validated correctly.",
    "SESSION_EXPIRED": "The session has expired.",
    "PROCESS_INCOMPLETED": "The identification process has not been completed.",
    "PROCESS_FINISHED_SUCCESSFULLY": "The identification process has been successfully completed.",
}

COUNTRIES: dict[str, dict[str, Any]] = {
    "PRT": {
        "given": ("JOANA", "INES", "TIAGO", "RUI", "MARIANA", "PEDRO", "BEATRIZ"),
        "surnames": ("SILVA", "SANTOS", "FERREIRA", "PEREIRA", "OLIVEIRA", "COSTA", "MARTINS"),
        "places": (("1100-148 LISBOA",), ("4000-322 PORTO",), ("3000-140 COIMBRA",)),
        "streets": ("RUA AUGUSTA", "AVENIDA DA LIBERDADE", "RUA DE SANTA CATARINA"),
        "models": ("2007-2009", "2019"),
    },
    "ESP": {
        "given": ("LUCIA", "PABLO", "CARMEN", "DIEGO", "ELENA", "SERGIO", "PAULA"),
        "surnames": ("GARCIA", "LOPEZ", "MARTIN", "SANCHEZ", "ROMERO", "NAVARRO"),
        "places": (("28013 MADRID",), ("46002 VALENCIA",), ("41001 SEVILLA",)),
        "streets": ("CALLE MAYOR", "CALLE DE ALCALA", "AVENIDA DEL PUERTO"),
        "models": ("2015", "2021"),
    },
    "FRA": {
        "given": ("CAMILLE", "LEA", "HUGO", "LOUIS", "CHLOE", "JULES", "MANON"),
        "surnames": ("MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "RICHARD"),
        "places": (("75004 PARIS",), ("69002 LYON",), ("33000 BORDEAUX",)),
        "streets": ("RUE DE RIVOLI", "RUE DE LA REPUBLIQUE", "COURS DE L'INTENDANCE"),
        "models": ("1994", "2021"),
    },
}
VALIDATIONS = (
    "OVERALL",
    "DOCUMENT_NOT_EXPIRED",
    "MRZ_CHECK_DIGITS",
    "VISUAL_MRZ_CONSISTENCY",
    "AGE_OF_MAJORITY",
)
AUTHENTICITY = ("PATTERN_CHECKS", "PHOTO_CHECKS", "SCREEN_CAPTURE_CHECK", "PHOTOCOPY_CHECK")
HEAD_MOVES = ("MV_HEAD_STRAIGHT", "MV_HEAD_LEFT", "MV_HEAD_RIGHT")
USER_AGENTS = (
    {"os": "Android 14", "device": "Pixel 8", "browser": "Chrome 126"},
    {"os": "iOS 17.5", "device": "iPhone 14", "browser": "Safari 17"},
    {"os": "Android 13", "device": "Galaxy A54", "browser": "Samsung Internet 25"},
)


@dataclass(frozen=True)
class Person:
    """The synthetic identity behind an onboarding."""

    country: str
    given_names: str
    surname: str
    sex: str
    birth_date: dt.date
    document_number: str
    expiry_date: dt.date
    street: str
    place: str
    model: str

    @property
    def address_lines(self) -> tuple[str, ...]:
        return (self.street, self.place)


@dataclass
class BuiltOnboarding:
    """What ``build`` makes: the status, the result body and the files by evidence role."""

    status: str
    result: dict[str, Any]
    files: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)


def _document_number(country: str, rng: random.Random) -> str:
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    if country == "PRT":  # like the document's example, 008390126ZX2
        body = f"{rng.randint(0, 99_999_999):08d}{rng.randint(0, 9)}"
        return f"{body}{rng.choice(letters)}{rng.choice(letters)}{rng.randint(0, 9)}"
    if country == "ESP":
        return f"{''.join(rng.choice(letters) for _ in range(3))}{rng.randint(100000, 999999)}"
    return "".join(rng.choice(letters + "0123456789") for _ in range(12))


def make_person(rng: random.Random, today: dt.date, *, expired: bool = False) -> Person:
    country = rng.choice(sorted(COUNTRIES))
    data = COUNTRIES[country]
    given = rng.choice(data["given"])
    if rng.random() < 0.4:
        given = f"{given} {rng.choice([g for g in data['given'] if g != given])}"
    surname = rng.choice(data["surnames"])
    if country in ("PRT", "ESP"):
        surname = f"{surname} {rng.choice([s for s in data['surnames'] if s != surname])}"
    if expired:
        expiry = today - dt.timedelta(days=rng.randint(30, 400))
    else:
        expiry = today + dt.timedelta(days=rng.randint(200, 9 * 365))
    return Person(
        country=country,
        given_names=given,
        surname=surname,
        sex=rng.choice("MF"),
        birth_date=today - dt.timedelta(days=rng.randint(19 * 365, 75 * 365)),
        document_number=_document_number(country, rng),
        expiry_date=expiry,
        street=f"{rng.choice(data['streets'])} {rng.randint(1, 240)}",
        place=rng.choice(data["places"])[0],
        model=rng.choice(data["models"]),
    )


def _moment(value: dt.datetime) -> dict[str, Any]:
    return {"date": value.strftime("%Y-%m-%d %H:%M:%S"), "timestamp": int(value.timestamp() * 1000)}


def _log(value: dt.datetime, code: str) -> dict[str, Any]:
    return {**_moment(value), "code": code, "description": LOG_DESCRIPTIONS[code]}


def _field(
    name: str,
    value: str,
    rng: random.Random,
    *,
    mrz: bool = True,
    valid: bool = True,
    readable: bool = True,
) -> dict[str, Any]:
    visual_probability = rng.uniform(0.86, 0.99) if readable else rng.uniform(0.2, 0.45)
    sources = [
        {
            "source": "VISUAL",
            "value": value if readable else "",
            "original_value": value if readable else "",
            "probability": round(visual_probability, 2),
        }
    ]
    if mrz:
        sources.append(
            {
                "source": "MRZ",
                "value": value,
                "original_value": value.replace(" ", "<"),
                "probability": round(rng.uniform(0.9, 1.0), 2),
            }
        )
    return {
        "name": name,
        "sources": sources,
        "value": value if readable or mrz else "",
        "validity_status": valid,
        "status": readable,
    }


def make_ocr(
    person: Person,
    kind: str,
    rng: random.Random,
    *,
    scenario: str,
    portrait_jpeg: bytes | None,
) -> dict[str, Any]:
    """The ``ocr`` object: detected type, fields, images, authenticity, validations."""
    expired = scenario == "failed_validations"
    fields = [
        _field("DOCUMENT_NUMBER", person.document_number, rng),
        _field("SURNAME", person.surname, rng),
        _field("NAME", person.given_names, rng),
        _field("DATE_OF_BIRTH", person.birth_date.strftime("%d/%m/%Y"), rng),
        _field("DATE_OF_EXPIRY", person.expiry_date.strftime("%d/%m/%Y"), rng, valid=not expired),
        _field("SEX", person.sex, rng),
        _field("NATIONALITY", person.country, rng),
        _field("ISSUING_STATE", person.country, rng),
    ]
    if kind == "IDCARD":
        address = ", ".join(person.address_lines)
        fields.append(_field("ADDRESS", address, rng, mrz=False, readable=scenario != "ocr_error"))
    failed_validations = {"OVERALL", "DOCUMENT_NOT_EXPIRED"} if expired else set()
    failed_authenticity = {"PHOTO_CHECKS"} if expired else set()
    ocr: dict[str, Any] = {
        "types": [
            {
                "name": kind,
                "probability": rng.uniform(0.82, 0.99),
                "year": person.model,
                "country": person.country,
                "id": f"{person.country}_{kind}_{person.model}",
                "side": "A",
            }
        ],
        "fields": fields,
        "images": [],
        "authenticity": [
            {"name": name, "value": name not in failed_authenticity} for name in AUTHENTICITY
        ],
        "validations": [
            {"name": name, "value": name not in failed_validations} for name in VALIDATIONS
        ],
    }
    if portrait_jpeg is not None:
        ocr["images"].append(
            {"name": "PORTRAIT", "value": base64.b64encode(portrait_jpeg).decode()}
        )
    return ocr


def make_biometry(start: dt.datetime, rng: random.Random, *, scenario: str) -> dict[str, Any]:
    """The ``biometry`` object (epoch seconds, as the document's example)."""
    failed = scenario == "rejected"
    t0 = int(start.timestamp())
    moves, t = [], t0
    for move in HEAD_MOVES:
        moves.append({"end": t + 2, "type": move, "start": t})
        t += 2
    if failed:
        score = rng.uniform(10, 30)
    elif scenario == "low_score":
        score = rng.uniform(70, 82)
    else:
        score = rng.uniform(94, 99.9)
    return {
        "score": round(score, 6),
        "head": {"end": t, "moves": moves, "start": t0, "success": True},
        "blink": {"end": t + 3, "start": t, "success": not failed},
        "smile": {"end": t + 5, "start": t + 3, "success": not failed},
    }


def _score(scenario: str, rng: random.Random) -> float:
    low, high = {
        "failed_validations": (38, 55),
        "low_score": (45, 58),
        "ocr_error": (62, 74),
        "rejected": (15, 30),
    }.get(scenario, (86, 97))
    return round(rng.uniform(low, high), 1)


def build(
    scenario: str,
    rng: random.Random,
    *,
    onboarding_id: str,
    started_at: dt.datetime,
    acceptations: list[dict[str, Any]] | None = None,
    phone_step: bool = False,
    with_images: bool = True,
    quick: bool = False,
) -> BuiltOnboarding:
    """One onboarding of ``scenario`` whose user started at ``started_at``.

    ``quick`` spaces the user's steps by a second or two instead of up to forty, for an
    onboarding moved on "now" through the control endpoint. Raises ValueError for an
    unknown scenario.
    """
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}")
    status = STATUS_OF[scenario]
    kind = "PASSPORT" if scenario == "passport" else "IDCARD"
    person = make_person(rng, started_at.date(), expired=scenario == "failed_validations")
    face_seed = images.new_face_seed(rng)
    requested = list(acceptations) if acceptations is not None else list(DEFAULT_ACCEPTATIONS)
    started = started_at
    gap = (1, 2) if quick else (4, 40)

    # The timeline the user went through, as far as this scenario goes.
    timeline: list[tuple[str, dt.datetime]] = []
    t = started
    reached = {
        "created": 0,
        "timeout": 4,
        "in_process": 4,
        "incompleted": 7,  # left during biometry
    }.get(scenario, 99)
    steps_codes = [
        "USER_VISITED_ONBORDING_WEB",
        "USER_START_ONBOARDING_PROCESS",
        "OCR_STREAM_STARTED",
        "FRONT_DOCUMENT_SENDED",
        "BACK_DOCUMENT_SENDED",
        "OCR_RESULT",
        "BIOMETRY_STARTED",
        "BIOMETRY_FINISHED",
    ]
    if kind == "PASSPORT":
        steps_codes.remove("BACK_DOCUMENT_SENDED")
    for code in steps_codes[:reached]:
        timeline.append((code, t))
        t += dt.timedelta(seconds=rng.randint(*gap))
    if status == "FINISHED" and phone_step:
        for code in ("SMS_CODE_REQUEST", "SMS_OTP_VALIDATION", "SMS_OTP_SUCCESSFULLY"):
            timeline.append((code, t))
            t += dt.timedelta(seconds=rng.randint(*gap))
    ended = t
    ending = {
        "FINISHED": "PROCESS_FINISHED_SUCCESSFULLY",
        "INCOMPLETED": "PROCESS_INCOMPLETED",
        "TIMEOUT": "SESSION_EXPIRED",
    }.get(status)
    if ending:
        if status == "TIMEOUT" and not quick:
            ended = started + dt.timedelta(minutes=30)
        timeline.append((ending, ended))
    logs = [_log(moment, code) for code, moment in timeline]
    reached_codes = {code for code, _ in timeline}

    ocr_done = "OCR_RESULT" in reached_codes
    biometry_done = "BIOMETRY_FINISHED" in reached_codes
    error_event = {
        "incompleted": "USER_LEAVES_PROCESS",
        "timeout": "TIME_EXPIRED",
        "ocr_error": "OCR_ERROR",
    }.get(scenario)
    steps = {
        "acceptation": True if timeline else None,
        "ocr": True if ocr_done else None,
        "biometry": (scenario != "rejected") if biometry_done else None,
        "sms": True if (phone_step and status == "FINISHED") else None,
    }
    portrait_jpeg = images.portrait(face_seed) if with_images and ocr_done else None
    ocr = (
        make_ocr(person, kind, rng, scenario=scenario, portrait_jpeg=portrait_jpeg)
        if ocr_done
        else None
    )
    biometry_start = dict(timeline).get("BIOMETRY_STARTED", ended)
    biometry = make_biometry(biometry_start, rng, scenario=scenario) if biometry_done else None
    sms_events = []
    if steps["sms"]:
        sms_at = dict(timeline)["SMS_CODE_REQUEST"]
        sms_events = [
            {**_moment(sms_at), "code": "SMS_SENDED"},
            {**_moment(sms_at + dt.timedelta(seconds=20)), "code": "SUCCESS_OTP"},
        ]

    # Files: named <id>-<9 digits of the capture time>-<ROLE>.<ext>, as in the example.
    stamp = str(int(started.timestamp() * 1000))[:9]
    files: dict[str, tuple[str, str, bytes]] = {}
    if with_images and timeline:
        doc = images.DocumentData(
            kind=kind,
            country=person.country,
            surname=person.surname,
            given_names=person.given_names,
            birth_date=person.birth_date,
            sex=person.sex,
            nationality=person.country,
            document_number=person.document_number,
            expiry_date=person.expiry_date,
            address_lines=person.address_lines,
        )

        def add(role: str, suffix: str, make, content_type: str = "image/jpeg") -> None:
            files[role] = (f"{onboarding_id}-{stamp}-{suffix}", content_type, make())

        if "FRONT_DOCUMENT_SENDED" in reached_codes:
            add("idDocumentFront", "FRONT.jpg", lambda: images.document_front(doc, face_seed))
        if "BACK_DOCUMENT_SENDED" in reached_codes:
            add("idDocumentReverse", "REVERSE.jpg", lambda: images.document_reverse(doc, rng))
        if biometry_done:
            add("biometryBlink", "BLINK.jpg", lambda: images.blink_frame(face_seed))
            add("biometrySmile", "SMILE.jpg", lambda: images.smile_frame(face_seed))
            add("biometryTargetImage", "SELFIE.jpg", lambda: images.selfie(face_seed))
            add("fullVideo", "VIDEO.webm", lambda: images.VIDEO_PLACEHOLDER, "video/webm")
    evidence_order = (
        "fullVideo",
        "biometryBlink",
        "biometrySmile",
        "idDocumentFront",
        "idDocumentReverse",
        "biometryTargetImage",
    )
    evidences = {role: files[role][0] for role in evidence_order if role in files}

    agent = rng.choice(USER_AGENTS)
    result: dict[str, Any] = {
        "processStatus": {
            "score": _score(scenario, rng) if status == "FINISHED" else 0,
            "steps": steps,
            "startedAt": _moment(started) if timeline else None,
            "finishedAt": _moment(ended) if status == "FINISHED" else None,
            "errorEvent": error_event,
        },
        "acceptations": [
            {
                "text": str(a.get("text") or ""),
                "accepted": bool(timeline) and (a.get("mandatory") is True or rng.random() < 0.5),
                "mandatory": a.get("mandatory") is True,
            }
            for a in requested
        ],
        "evidences": evidences,
        "ocr": ocr,
        "biometry": biometry,
        "smsEvents": sms_events,
        "logs": logs,
        "userAgent": (
            {**agent, "address": f"198.51.100.{rng.randint(2, 254)}"} if timeline else None
        ),
    }
    return BuiltOnboarding(status=status, result=result, files=files)
