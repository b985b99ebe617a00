"""Believable Incode interviews for the sandbox: payloads shaped as the Omni API's.

``build(scenario, rng, ...)`` returns the onboarding status, the score and OCR
payloads, the antifraud result and the images of one interview. It touches no
database: ``services.create_interview`` stores what it returns.

Scenarios:

- ``clean``: ONBOARDING_FINISHED, every check OK, overall OK around 90, with a
  recent utility bill read with high confidence.
- ``manual_review``: overall MANUAL (needsReviewReason RULE_APPLIED), a few WARN checks.
- ``low_score``: overall FAIL below 60, failed tamper/liveness/face checks.
- ``antifraud_failed``: antifraud FAILED at IdFaceAntifraudExecutor; the face is
  already enrolled (existingUser) under another interview of the account when
  there is one, and the images show that interview's face.
- ``poa_review``: a clean ID with a utility bill read with confidences of 0.6-0.75.
- ``in_progress``: FACE_VALIDATION_FINISHED, no score yet, antifraud not executed.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from providers.incode.sandbox import images

SCENARIOS = (
    "clean",
    "manual_review",
    "low_score",
    "antifraud_failed",
    "poa_review",
    "in_progress",
)

# country -> (given names, surnames, two surnames?, cities with postal codes, streets)
COUNTRIES: dict[str, dict[str, Any]] = {
    "ESP": {
        "given": ("MARIA", "LUCIA", "JAVIER", "PABLO", "CARMEN", "DIEGO", "ELENA", "SERGIO"),
        "surnames": ("GARCIA", "LOPEZ", "MARTIN", "SANCHEZ", "ROMERO", "NAVARRO", "MORENO"),
        "two_surnames": True,
        "cities": (("MADRID", "28013", "MADRID"), ("VALENCIA", "46002", "VALENCIA")),
        "streets": ("CALLE MAYOR", "AVENIDA DEL PUERTO", "CALLE DE ALCALA", "PASEO DEL PRADO"),
    },
    "MEX": {
        "given": ("SOFIA", "VALENTINA", "MATEO", "SANTIAGO", "XIMENA", "EMILIANO", "REGINA"),
        "surnames": ("HERNANDEZ", "GONZALEZ", "RAMIREZ", "FLORES", "TORRES", "CRUZ", "REYES"),
        "two_surnames": True,
        "cities": (("CIUDAD DE MEXICO", "06700", "CDMX"), ("GUADALAJARA", "44100", "JALISCO")),
        "streets": ("AV INSURGENTES SUR", "CALLE JUAREZ", "AV REFORMA", "CALLE HIDALGO"),
    },
    "USA": {
        "given": ("EMILY", "JAMES", "OLIVIA", "MICHAEL", "HANNAH", "DANIEL", "GRACE"),
        "surnames": ("JOHNSON", "MILLER", "DAVIS", "WILSON", "ANDERSON", "TAYLOR", "MOORE"),
        "two_surnames": False,
        "cities": (("SPRINGFIELD", "62701", "IL"), ("PORTLAND", "97205", "OR")),
        "streets": ("MAPLE AVENUE", "OAK STREET", "WASHINGTON BLVD", "LAKE SHORE DRIVE"),
    },
    "DEU": {
        "given": ("ANNA", "LUKAS", "LENA", "FELIX", "MARIE", "JONAS", "CLARA"),
        "surnames": ("MUELLER", "SCHMIDT", "SCHNEIDER", "FISCHER", "WEBER", "WAGNER"),
        "two_surnames": False,
        "cities": (("BERLIN", "10115", "BERLIN"), ("HAMBURG", "20095", "HAMBURG")),
        "streets": ("HAUPTSTRASSE", "GARTENWEG", "BAHNHOFSTRASSE", "LINDENALLEE"),
    },
    "GBR": {
        "given": ("OLIVER", "AMELIA", "GEORGE", "ISLA", "HARRY", "AVA", "THOMAS"),
        "surnames": ("SMITH", "JONES", "WILLIAMS", "BROWN", "EVANS", "WALKER", "HUGHES"),
        "two_surnames": False,
        "cities": (("LEEDS", "LS1 4AP", "WEST YORKSHIRE"), ("BRISTOL", "BS1 5TR", "AVON")),
        "streets": ("HIGH STREET", "CHURCH LANE", "VICTORIA ROAD", "STATION ROAD"),
    },
}
POA_ISSUERS = ("Northwind Energy", "Blue River Water", "Metro Gas & Power", "Lumen Telecom")

PHOTO_CHECKS = (
    "tamperCheck",
    "postitCheck",
    "alignment",
    "fakeCheck",
    "ocrIdentityCheck",
    "screenIdLiveness",
    "paperIdLiveness",
    "readabilityCheck",
    "balancedLightFront",
    "balancedLightBack",
    "sharpnessFront",
    "sharpnessBack",
)
ID_CHECKS = (
    "documentClassification",
    "visiblePhotoFeatures",
    "issueDateValidity",
    "documentExpired",
    "birthDateValidity",
    "expirationDateValidity",
    "documentNumberCheckDigit",
    "birthDateCheckDigit",
    "expirationDateCheckDigit",
    "compositeCheckDigit",
    "birthDateCrosscheck",
    "expirationDateCrosscheck",
    "sexCrosscheck",
    "fullNameCrosscheck",
    "documentNumberCrosscheck",
    "underageCheck",
)
# checks whose value is a measurement rather than a pass/fail word
MEASURED = {"balancedLightFront", "balancedLightBack", "sharpnessFront", "sharpnessBack"}


@dataclass(frozen=True)
class Person:
    """The synthetic identity behind an interview."""

    given_names: str
    first_surname: str
    second_surname: str
    sex: str
    birth_date: dt.date
    country: str
    document_number: str
    issue_date: dt.date
    expiry_date: dt.date
    street: str
    postal_code: str
    city: str
    state: str

    @property
    def surname(self) -> str:
        return " ".join(p for p in (self.first_surname, self.second_surname) if p)

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.surname}"

    @property
    def first_name(self) -> str:
        return self.given_names.split()[0]

    @property
    def address_lines(self) -> tuple[str, ...]:
        return (self.street, f"{self.postal_code} {self.city}", self.state)


@dataclass
class BuiltInterview:
    """What ``build`` produces for one interview."""

    onboarding_status: str
    score: dict[str, Any]
    ocr: dict[str, Any]
    antifraud_result: str
    antifraud_step: str
    face_seed: int
    images: dict[str, bytes] = field(default_factory=dict)


def epoch_ms(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp() * 1000)


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def make_person(rng: random.Random, today: dt.date, full_name: str | None = None) -> Person:
    country = rng.choice(tuple(COUNTRIES))
    data = COUNTRIES[country]
    if full_name and full_name.split():
        parts = full_name.upper().split()
        given, surnames = parts[0], parts[1:] or ["DOE"]
        first_surname, second_surname = surnames[0], " ".join(surnames[1:])
    else:
        given = rng.choice(data["given"])
        first_surname = rng.choice(data["surnames"])
        second_surname = rng.choice(data["surnames"]) if data["two_surnames"] else ""
    city, postal_code, state = rng.choice(data["cities"])
    birth = today - dt.timedelta(days=rng.randint(19 * 365, 75 * 365))
    expiry = today + dt.timedelta(days=rng.randint(200, 9 * 365))
    letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(3))
    return Person(
        given_names=given,
        first_surname=first_surname,
        second_surname=second_surname,
        sex=rng.choice("MF"),
        birth_date=birth,
        country=country,
        document_number=f"{letters}{rng.randint(100000, 999999)}",
        issue_date=_years_before(expiry, 10),
        expiry_date=expiry,
        street=f"{rng.randint(1, 240)} {rng.choice(data['streets'])}",
        postal_code=postal_code,
        city=city,
        state=state,
    )


def _result(status: str, value: float | str) -> dict[str, str]:
    text = value if isinstance(value, str) else f"{value:.1f}"
    return {"value": text, "status": status}


def _checks(
    keys: tuple[str, ...], rng: random.Random, overrides: dict[str, str]
) -> list[dict[str, str]]:
    items = []
    for key in keys:
        status = overrides.get(key, "OK")
        if key in MEASURED:
            value = {"OK": rng.uniform(70, 99), "WARN": rng.uniform(40, 60)}.get(
                status, rng.uniform(5, 35)
            )
            text = f"{value:.1f}"
        else:
            text = {"OK": "PASSED", "WARN": "WARNING", "FAIL": "FAILED"}.get(status, "UNKNOWN")
        items.append({"value": text, "status": status, "key": key})
    return items


def make_score(
    scenario: str, rng: random.Random, *, existing_interview_id: str = ""
) -> dict[str, Any]:
    """The GET /omni/get/score body for a finished interview of ``scenario``."""
    photo: dict[str, str] = {}
    specific: dict[str, str] = {}
    id_status, id_value = "OK", rng.uniform(88, 99)
    live_status, live_value = "OK", rng.uniform(90, 99.5)
    face_status, face_value = "OK", rng.uniform(85, 98)
    antifraud_status, antifraud_value = "OK", 100.0
    overall_status, overall_value = "OK", rng.uniform(86, 95)
    face: dict[str, Any] = {"existingUser": False}
    extra: dict[str, Any] = {}

    if scenario == "manual_review":
        photo = {"sharpnessFront": "WARN", "balancedLightFront": "WARN"}
        specific = {"fullNameCrosscheck": "WARN"}
        id_status, id_value = "WARN", rng.uniform(68, 78)
        overall_status, overall_value = "MANUAL", rng.uniform(66, 76)
        extra = {
            "needsReviewReason": "RULE_APPLIED",
            "appliedRule": {
                "name": "ID quality below 80 goes to review",
                "expression": "idValidation.overall < 80",
                "ruleType": "total",
                "status": "WARN",
            },
        }
    elif scenario == "low_score":
        photo = {"tamperCheck": "FAIL", "screenIdLiveness": "FAIL", "sharpnessFront": "WARN"}
        specific = {"documentNumberCheckDigit": "FAIL", "compositeCheckDigit": "FAIL"}
        id_status, id_value = "FAIL", rng.uniform(20, 40)
        live_status, live_value = "WARN", rng.uniform(50, 62)
        face_status, face_value = "FAIL", rng.uniform(18, 40)
        overall_status, overall_value = "FAIL", rng.uniform(30, 48)
    elif scenario == "antifraud_failed":
        antifraud_status, antifraud_value = "FAIL", 0.0
        overall_status, overall_value = "MANUAL", rng.uniform(55, 68)
        face = {"existingUser": True, "nameMatch": {"status": "FAIL"}}
        if existing_interview_id:
            face["existingInterviewId"] = existing_interview_id
        extra = {"needsReviewReason": "RULE_APPLIED"}
    elif scenario == "poa_review":
        overall_status, overall_value = "OK", rng.uniform(84, 92)

    face.update(
        {
            "maskCheck": _result("OK", rng.uniform(0, 4)),
            "lensesCheck": {"status": "OK"},
            "faceBrightness": _result("OK", rng.uniform(110, 150)),
            "overall": _result(face_status, face_value),
        }
    )
    score: dict[str, Any] = {
        "idValidation": {
            "photoSecurityAndQuality": _checks(PHOTO_CHECKS, rng, photo),
            "idSpecific": _checks(ID_CHECKS, rng, specific),
            "overall": _result(id_status, id_value),
        },
        "liveness": {
            "livenessScore": _result(live_status, live_value),
            "photoQuality": {"value": f"{rng.uniform(60, 90):.1f}"},
            "overall": _result(live_status, live_value),
        },
        "faceRecognition": face,
        "antifraud": {"overall": _result(antifraud_status, antifraud_value)},
        "idOcrConfidence": {
            "overallConfidence": _result(
                "OK" if scenario != "low_score" else "FAIL",
                rng.uniform(88, 98) if scenario != "low_score" else rng.uniform(40, 60),
            )
        },
        "overall": _result(overall_status, overall_value),
    }
    score.update(extra)
    return score


def make_ocr(person: Person, rng: random.Random, *, low_confidence: bool = False) -> dict[str, Any]:
    """The GET /omni/get/ocr-data body: what was read from the ID."""
    low, high = (0.45, 0.7) if low_confidence else (0.88, 0.995)

    def conf() -> float:
        return round(rng.uniform(low, high), 3)

    return {
        "name": {
            "fullName": person.full_name,
            "firstName": person.first_name,
            "givenName": person.given_names,
            "paternalLastName": person.first_surname,
            **({"maternalLastName": person.second_surname} if person.second_surname else {}),
            "machineReadableFullName": f"{person.surname} {person.given_names}",
        },
        "address": "\n".join(person.address_lines),
        "addressFields": {
            "street": person.street,
            "postalCode": person.postal_code,
            "city": person.city,
            "state": person.state,
        },
        "fullAddress": True,
        "birthDate": epoch_ms(person.birth_date),
        "gender": person.sex,
        "nationality": person.country,
        "documentNumber": person.document_number,
        "typeOfId": "IdentificationCard",
        "issuingCountry": person.country,
        "issuedAt": str(epoch_ms(person.issue_date)),
        "expireAt": str(epoch_ms(person.expiry_date)),
        "issueDate": person.issue_date.year,
        "expirationDate": person.expiry_date.year,
        "ocrDataConfidence": {
            "nameConfidence": conf(),
            "firstNameConfidence": conf(),
            "givenNameConfidence": conf(),
            "fathersSurnameConfidence": conf(),
            "birthDateConfidence": conf(),
            "genderConfidence": conf(),
            "nationalityConfidence": conf(),
            "documentNumberConfidence": conf(),
            "issuingCountryConfidence": conf(),
            "expireAtConfidence": conf(),
            "addressConfidence": conf(),
        },
    }


def make_bill(
    person: Person, rng: random.Random, today: dt.date, *, doubtful: bool
) -> images.BillData:
    """The utility bill of ``person``: a faithful copy, or a doubtful one for review."""
    name = person.full_name
    lines = person.address_lines[:2]
    issued = today - dt.timedelta(days=rng.randint(5, 40))
    if doubtful:
        # the kind of differences a reviewer has to judge: initials, abbreviations, age
        name = f"{person.first_name[0]}. {person.first_surname}"
        street = person.street.replace("STREET", "ST").replace("AVENIDA", "AV")
        lines = (f"{street}, FLAT {rng.randint(1, 9)}", lines[1])
        issued = today - dt.timedelta(days=rng.randint(60, 120))
    return images.BillData(
        issuer=rng.choice(POA_ISSUERS),
        name=name,
        address_lines=lines,
        issue_date=issued,
        account_number=f"{rng.randint(10**9, 10**10 - 1)}",
        amount=f"{rng.uniform(40, 160):.2f}",
    )


def poa_fields(bill: images.BillData, rng: random.Random, *, doubtful: bool) -> dict[str, Any]:
    """The address-statement part of the OCR payload for ``bill``."""
    low, high = (0.6, 0.75) if doubtful else (0.9, 0.98)
    street, city_line = bill.address_lines[0], bill.address_lines[-1]
    postal_code, _, city = city_line.partition(" ")
    return {
        "addressFromStatement": "\n".join(bill.address_lines),
        "addressFieldsFromStatement": {"street": street, "postalCode": postal_code, "city": city},
        "poaName": bill.name,
        "addressStatementEmissionDate": epoch_ms(bill.issue_date),
        "documentType": "otherPoa",
        "confidences": {
            "addressFromStatementConfidence": round(rng.uniform(low, high), 3),
            "poaNameConfidence": round(rng.uniform(low, high), 3),
        },
    }


def build(
    scenario: str,
    rng: random.Random,
    *,
    today: dt.date,
    full_name: str | None = None,
    existing_interview_id: str = "",
    existing_face_seed: int | None = None,
    with_images: bool = True,
) -> BuiltInterview:
    """One interview of ``scenario``; raises ValueError for an unknown scenario."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}")
    person = make_person(rng, today, full_name)
    face_seed = images.new_face_seed(rng)
    if scenario == "antifraud_failed" and existing_face_seed is not None:
        face_seed = existing_face_seed  # the same face under another name: the fraud signal
    ocr = make_ocr(person, rng, low_confidence=scenario == "low_score")

    bill = None
    if scenario in ("clean", "poa_review"):
        doubtful = scenario == "poa_review"
        bill = make_bill(person, rng, today, doubtful=doubtful)
        statement = poa_fields(bill, rng, doubtful=doubtful)
        ocr["ocrDataConfidence"].update(statement.pop("confidences"))
        ocr.update(statement)

    if scenario == "in_progress":
        status, score, antifraud, step = "FACE_VALIDATION_FINISHED", {}, "NOT_EXECUTED", ""
    else:
        status = "ONBOARDING_FINISHED"
        score = make_score(scenario, rng, existing_interview_id=existing_interview_id)
        antifraud, step = "PASSED", ""
        if scenario == "antifraud_failed":
            antifraud, step = "FAILED", "IdFaceAntifraudExecutor"

    built = BuiltInterview(
        onboarding_status=status,
        score=score,
        ocr=ocr,
        antifraud_result=antifraud,
        antifraud_step=step,
        face_seed=face_seed,
    )
    if with_images:
        card = images.CardData(
            surname=person.surname,
            given_names=person.given_names,
            birth_date=person.birth_date,
            sex=person.sex,
            nationality=person.country,
            document_number=person.document_number,
            expiry_date=person.expiry_date,
            issuing_country=person.country,
            address_lines=person.address_lines,
        )
        built.images = {
            "croppedFrontID": images.id_front(card, face_seed),
            "croppedBackID": images.id_back(card, rng),
            "selfie": images.selfie(face_seed),
            "croppedFace": images.cropped_face(face_seed),
        }
        if bill is not None:
            built.images["document"] = images.poa_document(bill)
    return built
