"""Believable Flonk sessions for the sandbox: payloads shaped as the SDK's DTOs.

``build(scenario, rng, ...)`` returns the session status, the verification object
(the webhooks' snake_case ``data.object``), the PoA read and the images of one
session. It touches no database: ``services.create_session`` stores what it returns.

Scenarios:

- ``clean``: completed, verification ``approved`` with confidence 0.90-0.98, a recent
  utility bill or bank statement read with confidence >= 0.95 (``auto_approved``).
- ``manual_review``: completed, verification ``manual_review`` with confidence
  0.62-0.74 (Flonk's automated check asks for a person); no PoA.
- ``duplicate``: completed, ``approved``, but ``duplicate_verification.is_duplicate``:
  the same person and face as an earlier session of the account
  (``previous_verification_id``), matched by document number.
- ``poa_review``: completed, ``approved``, with a proof of address that differs from
  the ID (initial for the name, abbreviated street, an older statement): confidence
  0.59-0.73 between the account's PoA thresholds, so ``poaStatus`` is
  ``manual_review``.
- ``rejected``: completed, verification ``rejected`` (confidence 0.15-0.40) with a
  ``rejection_reason``.
- ``reused``: completed, ``approved`` by reusing a verified identity from another
  project (``reuse_source``, mode ``full_reuse``); only the liveness selfie is new.
- ``in_progress``: the widget is open, the document front uploaded, no verification.
- ``pending``: created, nobody opened the widget yet.
- ``expired``: the session's lifetime ran out before anything was uploaded.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from providers.flonk.sandbox import images
from providers.flonk.sandbox.models import iso, new_prefixed_id, new_project_id

SCENARIOS = (
    "clean",
    "manual_review",
    "duplicate",
    "poa_review",
    "rejected",
    "reused",
    "in_progress",
    "pending",
    "expired",
)
COMPLETED = frozenset({"clean", "manual_review", "duplicate", "poa_review", "rejected", "reused"})
WITH_POA = frozenset({"clean", "poa_review"})

COUNTRIES: dict[str, dict[str, Any]] = {
    "DEU": {
        "name": "Germany",
        "nationality": "German",
        "given": ("Anna", "Lukas", "Lena", "Felix", "Marie", "Jonas", "Clara", "Paul"),
        "surnames": ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Wagner", "Becker"),
        "cities": (("Berlin", "10115"), ("Hamburg", "20095"), ("Leipzig", "04109")),
        "streets": ("Hauptstraße", "Gartenweg", "Bahnhofstraße", "Lindenallee"),
        "number_first": False,
    },
    "AUT": {
        "name": "Austria",
        "nationality": "Austrian",
        "given": ("Sophie", "Maximilian", "Laura", "Tobias", "Johanna", "David"),
        "surnames": ("Gruber", "Huber", "Bauer", "Pichler", "Moser", "Steiner"),
        "cities": (("Wien", "1010"), ("Graz", "8010"), ("Linz", "4020")),
        "streets": ("Ringstraße", "Mariahilfer Straße", "Herrengasse", "Landstraße"),
        "number_first": False,
    },
    "UKR": {
        "name": "Ukraine",
        "nationality": "Ukrainian",
        "given": ("Olena", "Andrii", "Iryna", "Dmytro", "Kateryna", "Oleksandr"),
        "surnames": ("Shevchenko", "Kovalenko", "Bondarenko", "Tkachenko", "Melnyk"),
        "cities": (("Kyiv", "01001"), ("Lviv", "79000"), ("Odesa", "65000")),
        "streets": ("vul. Khreshchatyk", "vul. Sichovykh Striltsiv", "prosp. Svobody"),
        "number_first": False,
    },
    "POL": {
        "name": "Poland",
        "nationality": "Polish",
        "given": ("Zofia", "Jakub", "Maja", "Kacper", "Julia", "Szymon"),
        "surnames": ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamińska"),
        "cities": (("Warszawa", "00-001"), ("Kraków", "30-001"), ("Gdańsk", "80-001")),
        "streets": ("ul. Marszałkowska", "ul. Długa", "ul. Floriańska"),
        "number_first": False,
    },
    "GBR": {
        "name": "United Kingdom",
        "nationality": "British",
        "given": ("Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Thomas"),
        "surnames": ("Smith", "Jones", "Williams", "Brown", "Evans", "Walker", "Hughes"),
        "cities": (("Leeds", "LS1 4AP"), ("Bristol", "BS1 5TR"), ("York", "YO1 7HH")),
        "streets": ("High Street", "Church Lane", "Victoria Road", "Station Road"),
        "number_first": True,
    },
}
ISSUERS = {
    "utility_bill": ("Stadtwerke Nord", "Blue River Water", "Metro Gas & Power", "Lumen Telecom"),
    "bank_statement": ("Northbank", "Sparkasse Mitte", "Harbour Bank"),
}
DOCUMENT_TYPES = (("id_card", 5), ("passport", 3), ("driver_license", 2))
# PoA fields Flonk scores, with their weights (PoaConfidenceBreakdownDto.totalWeight = 1).
POA_WEIGHTS = {
    "full_name": 0.3,
    "address": 0.3,
    "city": 0.1,
    "postal_code": 0.1,
    "country": 0.05,
    "issue_date": 0.15,
}
REJECTION_REASONS = ("document_unclear", "document_expired", "face_mismatch")


@dataclass(frozen=True)
class Person:
    """The synthetic identity behind a session."""

    given_names: str
    surname: str
    sex: str
    birth_date: dt.date
    country: str
    place_of_birth: str
    document_type: str
    document_number: str
    issue_date: dt.date
    expiry_date: dt.date
    street: str
    postal_code: str
    city: str
    email: str

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.surname}"

    @property
    def first_name(self) -> str:
        return self.given_names.split()[0]

    @property
    def country_name(self) -> str:
        return COUNTRIES[self.country]["name"]

    @property
    def nationality(self) -> str:
        return COUNTRIES[self.country]["nationality"]

    @property
    def address_lines(self) -> tuple[str, ...]:
        return (self.street, f"{self.postal_code} {self.city}", self.country_name)

    def as_json(self) -> dict[str, Any]:
        return {
            key: value.isoformat() if isinstance(value, dt.date) else value
            for key, value in self.__dict__.items()
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Person:
        values = dict(data)
        for key in ("birth_date", "issue_date", "expiry_date"):
            values[key] = dt.date.fromisoformat(values[key])
        return cls(**values)


@dataclass
class BuiltSession:
    """Everything the sandbox stores for one new session."""

    status: str
    document_type: str
    person: Person
    face_seed: int
    client_id: str
    client_metadata: dict[str, Any]
    verification: dict[str, Any] | None
    poa: dict[str, Any] | None
    images: dict[str, bytes] = field(default_factory=dict)


def _ascii(text: str) -> str:
    table = str.maketrans(
        {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ś": "s", "ó": "o", "ń": "n", "ł": "l"}
    )
    table.update(str.maketrans({"ą": "a", "ę": "e", "ć": "c", "ź": "z", "ż": "z"}))
    return "".join(c for c in text.lower().translate(table) if c.isalnum() or c in ".-")


def make_person(rng: random.Random, today: dt.date, full_name: str | None = None) -> Person:
    country = rng.choice(sorted(COUNTRIES))
    data = COUNTRIES[country]
    given, surname = rng.choice(data["given"]), rng.choice(data["surnames"])
    if full_name:
        parts = full_name.split()
        given, surname = " ".join(parts[:-1]) or parts[0], parts[-1]
    sex = rng.choice("MF")
    city, postal_code = rng.choice(data["cities"])
    number = rng.randint(1, 180)
    street_name = rng.choice(data["streets"])
    street = f"{number} {street_name}" if data["number_first"] else f"{street_name} {number}"
    weights = [w for _, w in DOCUMENT_TYPES]
    document_type = rng.choices([t for t, _ in DOCUMENT_TYPES], weights)[0]
    expiry = today + dt.timedelta(days=rng.randint(200, 9 * 365))
    alphabet = "CFGHJKLMNPRTVWXYZ0123456789"
    return Person(
        given_names=given,
        surname=surname,
        sex=sex,
        birth_date=today - dt.timedelta(days=rng.randint(19 * 365, 75 * 365)),
        country=country,
        place_of_birth=rng.choice(data["cities"])[0],
        document_type=document_type,
        document_number="".join(rng.choice(alphabet) for _ in range(9)),
        issue_date=expiry - dt.timedelta(days=10 * 365),
        expiry_date=expiry,
        street=street,
        postal_code=postal_code,
        city=city,
        email=f"{_ascii(given)}.{_ascii(surname)}@example.com",
    )


def extracted_data(person: Person) -> dict[str, Any]:
    """WebhookExtractedDataDto: what Flonk read from the identity document."""
    return {
        "full_name": person.full_name,
        "first_name": person.first_name,
        "last_name": person.surname,
        "date_of_birth": person.birth_date.isoformat(),
        "nationality": person.nationality,
        "sex": person.sex,
        "issue_date": person.issue_date.isoformat(),
        "expiry_date": person.expiry_date.isoformat(),
        "place_of_birth": person.place_of_birth,
    }


def poa_status_for(confidence: float, *, auto_approve: float, manual_review: float) -> str:
    """Flonk's poaStatus from its confidence and the project's PoA thresholds."""
    if confidence >= auto_approve:
        return "auto_approved"
    if confidence >= manual_review:
        return "manual_review"
    return "rejected"


def make_poa(
    person: Person,
    rng: random.Random,
    today: dt.date,
    *,
    doubtful: bool,
    auto_approve: float,
    manual_review: float,
) -> tuple[dict[str, Any], images.BillData]:
    """The PoA read (PoaStatusResponseDto + confidenceBreakdown) and the bill it read."""
    kind = rng.choice(("utility_bill", "bank_statement"))
    name, street = person.full_name, person.street
    issued = today - dt.timedelta(days=rng.randint(5, 40))
    scores = dict.fromkeys(POA_WEIGHTS, 1.0)
    scores["address"] = rng.choice((1.0, 1.0, 0.9))
    if doubtful:
        # the kind of differences a reviewer has to judge: initials, abbreviations, age
        name = f"{person.first_name[0]}. {person.surname}"
        street = (
            street.replace("straße", "str.").replace("Street", "St").replace("Road", "Rd")
            + f", Apt {rng.randint(1, 9)}"
        )
        issued = today - dt.timedelta(days=rng.randint(70, 130))
        scores["full_name"] = 0.5
        scores["address"] = round(rng.uniform(0.5, 0.8), 2)
        scores["issue_date"] = round(rng.uniform(0.3, 0.6), 2)
    achieved = round(sum(POA_WEIGHTS[k] * scores[k] for k in POA_WEIGHTS), 4)
    total = round(sum(POA_WEIGHTS.values()), 4)
    confidence = round(achieved / total, 4)
    status = poa_status_for(confidence, auto_approve=auto_approve, manual_review=manual_review)
    bill = images.BillData(
        kind=kind,
        issuer=rng.choice(ISSUERS[kind]),
        name=name,
        address_lines=(street, f"{person.postal_code} {person.city}", person.country_name),
        issue_date=issued,
        reference=f"{rng.randint(10**9, 10**10 - 1)}",
        amount=f"{rng.uniform(40, 160):.2f}",
    )
    read = {
        "jobId": new_prefixed_id("poa", 24),
        "status": "completed",
        "message": "PoA extraction completed",
        "data": {
            "fullName": name,
            "address": street,
            "city": person.city,
            "postalCode": person.postal_code,
            "country": person.country_name,
            "documentType": kind,
            "issueDate": issued.isoformat(),
            "issuer": bill.issuer,
        },
        "confidenceScore": confidence,
        "confidenceBreakdown": {
            "fieldScores": scores,
            "totalWeight": total,
            "achievedWeight": achieved,
            "confidenceScore": confidence,
        },
        "poaStatus": status,
    }
    return read, bill


def no_poa() -> dict[str, Any]:
    """The PoA read of a session without a proof of address."""
    return {
        "jobId": None,
        "status": "not_found",
        "message": "No proof of address was uploaded for this session.",
    }


def build(
    scenario: str,
    rng: random.Random,
    *,
    session_id: str,
    now: dt.datetime,
    test_mode: bool,
    full_name: str | None = None,
    original: dict[str, Any] | None = None,
    poa_auto_approve: float = 0.85,
    poa_manual_review: float = 0.5,
    with_images: bool = True,
) -> BuiltSession:
    """One session of ``scenario``; raises ValueError for an unknown scenario.

    ``original`` (for ``duplicate``): ``{"session_id", "completed_at", "person",
    "face_seed"}`` of the earlier session the new one duplicates.
    """
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}")
    today = now.date()
    person = make_person(rng, today, full_name)
    face_seed = images.new_face_seed(rng)
    if scenario == "duplicate":
        if not original:
            raise ValueError("the duplicate scenario needs an earlier session to duplicate")
        person = Person.from_json(original["person"])
        face_seed = original["face_seed"]
    client_id = f"client-{rng.randint(10000, 99999)}"
    metadata = {"userId": f"user_{rng.randint(10000, 99999)}", "email": person.email}

    built = BuiltSession(
        status=("completed" if scenario in COMPLETED else scenario),
        document_type=person.document_type,
        person=person,
        face_seed=face_seed,
        client_id=client_id,
        client_metadata=metadata,
        verification=None,
        poa=None,
    )
    bill = None
    if scenario in COMPLETED:
        confidence = {
            "clean": (0.90, 0.98),
            "manual_review": (0.62, 0.74),
            "duplicate": (0.88, 0.95),
            "poa_review": (0.88, 0.96),
            "rejected": (0.15, 0.40),
            "reused": (0.93, 0.99),
        }[scenario]
        status = {"manual_review": "manual_review", "rejected": "rejected"}.get(
            scenario, "approved"
        )
        completed_at = now - dt.timedelta(seconds=rng.randint(20, 240))
        verification: dict[str, Any] = {
            "id": session_id,
            "client_id": client_id,
            "client_metadata": metadata,
            "status": status,
            "confidence": round(rng.uniform(*confidence), 3),
            "document_type": person.document_type,
            "extracted_data": extracted_data(person),
            "created_at": iso(completed_at),
            "updated_at": iso(completed_at),
            "test_mode": test_mode,
        }
        if status == "rejected":
            verification["rejection_reason"] = rng.choice(REJECTION_REASONS)
        if scenario in WITH_POA:
            poa, bill = make_poa(
                person,
                rng,
                today,
                doubtful=scenario == "poa_review",
                auto_approve=poa_auto_approve,
                manual_review=poa_manual_review,
            )
            built.poa = poa
            verified_address = ", ".join(
                (poa["data"]["address"], f"{person.postal_code} {person.city}", person.country_name)
            )
            verification["poa_verification"] = {
                "status": poa["poaStatus"],
                "confidence_score": poa["confidenceScore"],
                "verified_address": verified_address,
                "address_match": scenario != "poa_review",
            }
        else:
            built.poa = no_poa()
        if scenario == "duplicate":
            assert original is not None
            verification["duplicate_verification"] = {
                "is_duplicate": True,
                "previous_verification_id": original["session_id"],
                "previous_verified_at": original["completed_at"],
                "match_type": "document_number",
                "similarity_score": round(rng.uniform(0.96, 1.0), 3),
            }
        if scenario == "reused":
            verification["reuse_source"] = {
                "is_reused": True,
                "verified_identity_id": new_prefixed_id("vid", 16),
                "original_project_id": new_project_id(),
                "original_attempt_id": new_prefixed_id("atm", 10),
                "original_completed_at": iso(now - dt.timedelta(days=rng.randint(20, 300))),
                "consent_at": iso(completed_at - dt.timedelta(seconds=30)),
                "mode": "full_reuse",
            }
        built.verification = verification

    if with_images:
        built.images = _images(scenario, person, face_seed, bill, rng)
    return built


def _images(
    scenario: str,
    person: Person,
    face_seed: int,
    bill: images.BillData | None,
    rng: random.Random,
) -> dict[str, bytes]:
    if scenario in ("pending", "expired"):
        return {}
    document = images.DocumentData(
        document_type=person.document_type,
        country_code=person.country,
        country_name=person.country_name,
        surname=person.surname,
        given_names=person.given_names,
        birth_date=person.birth_date,
        sex=person.sex,
        nationality=person.nationality,
        place_of_birth=person.place_of_birth,
        document_number=person.document_number,
        issue_date=person.issue_date,
        expiry_date=person.expiry_date,
        address_lines=person.address_lines,
    )
    drawn: dict[str, bytes] = {}
    if scenario == "reused":
        # A full reuse captures only the liveness selfie of the identity challenge.
        return {"face": images.selfie(face_seed)}
    if person.document_type == "passport":
        drawn["main"] = images.passport_page(document, face_seed)
    else:
        drawn["front"] = images.card_front(document, face_seed)
        if scenario != "in_progress":
            drawn["back"] = images.card_back(document, rng)
    if scenario == "in_progress":
        return drawn
    drawn["face"] = images.selfie(face_seed)
    if bill is not None:
        drawn["poa"] = images.proof_of_address(bill)
    return drawn
