"""Believable KYC API sessions for the sandbox, shaped as the API's payloads.

``build(scenario, rng, now=...)`` returns the fields of one IDV session, its test
read, its documents (one per data source), its files and the re-authentication (IDA)
sessions of its identity. It touches no database: ``services.create_session`` stores
what it returns. The values follow the choices in ``providers/kycapi/client.py``.

Scenarios:

- ``clean``: complete and verified, score 86-97, DMV match (or not applicable for a
  passport), OFAC clear, every fraud signal unlikely; 0-2 re-authentications.
- ``dmv_mismatch``: a driver license or state ID whose DMV record does not match
  (``no_match``: one to three fields differ), not verified, score 62-74.
- ``low_score``: complete, not verified, score 28-45, "possible" manipulation and the
  name on the barcode differing from the front.
- ``document_fraud``: a tampered document front: image manipulation very likely,
  suspicious words ("SAMPLE") likely, maybe found online; not verified, score 18-35.
- ``ofac_hit``: a clean document whose holder is on the OFAC sanctions list
  (``ofac_status_e`` ``on_sanction_list``); not verified.
- ``in_progress``: consented, document front given, nothing checked yet.
- ``temporarily_complete``: everything given; DMV and OFAC checks still pending.
- ``blocked``: ``temporarily_blocked`` after failed liveness attempts.
- ``expired``: consented, then abandoned until it expired.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from providers.kycapi.sandbox import images

SCENARIOS = (
    "clean",
    "dmv_mismatch",
    "low_score",
    "document_fraud",
    "ofac_hit",
    "in_progress",
    "temporarily_complete",
    "blocked",
    "expired",
)
COMPLETE = frozenset({"clean", "dmv_mismatch", "low_score", "document_fraud", "ofac_hit"})
DMV_DOCUMENTS = frozenset({"driver_license", "identification_card"})
BACK_FILES = {
    "driver_license": "driver_license_back",
    "identification_card": "state_id_card_back",
    "passport_card": "passport_card_back",
}
FRONT_FILES = {
    "driver_license": "driver_license_front",
    "identification_card": "state_id_card_front",
    "passport": "passport_front",
    "passport_card": "passport_card_front",
}
DMV_FIELDS = (
    "document_number",
    "document_expiration",
    "document_issue",
    "document_category",
    "birth_date",
    "sex",
    "eye_color",
    "height",
    "weight",
    "first_name",
    "middle_name",
    "last_name",
    "suffix_name",
    "street",
    "city",
    "state",
    "postal_code",
)
# the fields a DMV mismatch is believable on (people move, renew, marry)
MISMATCH_CANDIDATES = ("street", "city", "postal_code", "last_name", "document_expiration")
SIDES = ("doc_front", "doc_back")
# the session read's flags, each with its ``<flag>_at``
FLAG_STEPS = (
    "consented",
    "document_front_given",
    "document_back_given",
    "liveness_detected",
    "selfie_given",
)

STATES: dict[str, tuple[tuple[str, str], ...]] = {
    "CA": (("SACRAMENTO", "95814"), ("OAKLAND", "94612"), ("FRESNO", "93721")),
    "TX": (("AUSTIN", "78701"), ("EL PASO", "79901"), ("HOUSTON", "77002")),
    "NY": (("ALBANY", "12207"), ("BUFFALO", "14202"), ("ROCHESTER", "14604")),
    "IL": (("SPRINGFIELD", "62701"), ("PEORIA", "61602"), ("CHICAGO", "60601")),
    "WA": (("OLYMPIA", "98501"), ("SPOKANE", "99201"), ("TACOMA", "98402")),
}
FIRST_NAMES = {
    "male": ("JAMES", "MICHAEL", "DANIEL", "CARLOS", "KEVIN", "ANDRE", "THOMAS"),
    "female": ("EMILY", "OLIVIA", "HANNAH", "SOFIA", "GRACE", "MAYA", "RACHEL"),
}
MIDDLE_NAMES = ("LEE", "MARIE", "ANN", "JAMES", "ROSE", "", "", "")
LAST_NAMES = ("JOHNSON", "MILLER", "DAVIS", "GARCIA", "NGUYEN", "PATEL", "WASHINGTON", "KIM")
STREETS = ("MAPLE AVE", "OAK ST", "WASHINGTON BLVD", "LAKE SHORE DR", "PINE ST", "ELM CT")
EYES = ("BRO", "BLU", "GRN", "HAZ")
HAIR = ("BRO", "BLK", "BLN", "RED", "GRY")


@dataclass(frozen=True)
class Person:
    """The synthetic identity behind a session."""

    gender_e: str
    first_name: str
    middle_name: str
    last_name: str
    birth_date: dt.date
    state: str
    city: str
    postal_code: str
    street: str
    height: str
    weight: str
    eye_color: str
    hair_color: str

    @property
    def sex(self) -> str:
        return {"male": "M", "female": "F"}.get(self.gender_e, "X")


@dataclass
class BuiltSession:
    """What ``build`` produces for one session."""

    fields: dict[str, Any]
    tests: dict[str, Any]
    documents: list[dict[str, Any]]
    face_seed: int
    files: dict[str, bytes] = field(default_factory=dict)
    reauthentications: list[dict[str, Any]] = field(default_factory=list)


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def new_id(rng: random.Random) -> str:
    """A UUID drawn from ``rng``: reproducible content, never a real session's id."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def make_person(rng: random.Random, today: dt.date) -> Person:
    gender = rng.choice(("male", "female"))
    state = rng.choice(tuple(STATES))
    city, postal_code = rng.choice(STATES[state])
    feet, inches = rng.randint(5, 6), rng.randint(0, 11)
    return Person(
        gender_e=gender,
        first_name=rng.choice(FIRST_NAMES[gender]),
        middle_name=rng.choice(MIDDLE_NAMES),
        last_name=rng.choice(LAST_NAMES),
        birth_date=today - dt.timedelta(days=rng.randint(19 * 365, 75 * 365)),
        state=state,
        city=city,
        postal_code=postal_code,
        street=f"{rng.randint(10, 9800)} {rng.choice(STREETS)}",
        height=f"{feet}-{inches:02d}",
        weight=f"{rng.randint(110, 240)} LB",
        eye_color=rng.choice(EYES),
        hair_color=rng.choice(HAIR),
    )


def document_type_for(scenario: str, rng: random.Random) -> str:
    if scenario in ("dmv_mismatch",):
        return rng.choice(("driver_license", "identification_card"))
    if scenario in ("low_score", "in_progress", "temporarily_complete", "blocked", "expired"):
        return "driver_license"
    if scenario == "document_fraud":
        return rng.choice(("driver_license", "identification_card", "passport_card"))
    if scenario == "ofac_hit":
        return rng.choice(("driver_license", "passport"))
    return rng.choice(("driver_license", "driver_license", "identification_card", "passport"))


def make_document_data(
    person: Person, document_type: str, rng: random.Random, today: dt.date
) -> images.DocumentData:
    expires = today + dt.timedelta(days=rng.randint(200, 7 * 365))
    if document_type in ("passport", "passport_card"):
        number = f"{rng.randint(100000000, 999999999)}"
        issued = _years_before(expires, 10)
    else:
        number = f"{rng.choice('ABDFGKMNPRSW')}{rng.randint(1000000, 9999999)}"
        issued = _years_before(expires, 8)
    return images.DocumentData(
        document_type=document_type,
        first_name=person.first_name,
        middle_name=person.middle_name,
        last_name=person.last_name,
        birth_date=person.birth_date,
        sex=person.sex,
        document_number=number,
        issued_at=issued,
        expires_at=expires,
        state=person.state,
        street=person.street,
        city=person.city,
        postal_code=person.postal_code,
        height=person.height,
        weight=person.weight,
        eye_color=person.eye_color,
        hair_color=person.hair_color,
        license_class="C" if document_type == "driver_license" else "",
        restrictions=rng.choice(("NONE", "NONE", "B")) if document_type == "driver_license" else "",
    )


def make_documents(
    card: images.DocumentData, person: Person, rng: random.Random, *, barcode_name: str = ""
) -> list[dict[str, Any]]:
    """The document rows of a session: one per data source that read the document."""
    us_document = card.document_type in DMV_DOCUMENTS
    base = {
        "type_e": card.document_type,
        "document_number": card.document_number,
        "ref_number": f"{rng.randint(10**9, 10**10 - 1)}" if us_document else "",
        "issued_at": card.issued_at.isoformat(),
        "expires_at": card.expires_at.isoformat(),
        "issuing_country": "USA",
        "issuing_state": card.state if us_document else "",
        "first_name": card.first_name,
        "middle_name": card.middle_name,
        "last_name": card.last_name,
        "name_suffix": "",
        "street": card.street if us_document else "",
        "city": card.city if us_document else "",
        "state": card.state if us_document else "",
        "postal_code": card.postal_code if us_document else "",
        "birth_date": card.birth_date.isoformat(),
        "gender_e": person.gender_e,
        "height": card.height if us_document else "",
        "weight": card.weight if us_document else "",
        "eye_color": card.eye_color if us_document else "",
        "hair_color": card.hair_color if us_document else "",
        "class": card.license_class,
        "restrictions": card.restrictions,
    }
    if card.document_type == "passport":
        return [{**base, "data_source_e": "mrz"}]
    second = "barcode" if us_document else "mrz"
    back = {**base, "data_source_e": second}
    if barcode_name:
        back["last_name"] = barcode_name
    return [{**base, "data_source_e": "ocr"}, back]


def likelihoods(
    document_type: str, *, front: dict[str, str] | None = None, unknown: bool = False
) -> dict[str, str]:
    """The eight string results of the test read, clean unless ``front`` overrides."""
    clean = {
        "image_manipulation": "very_unlikely",
        "is_identity_document": "very_likely",
        "online_duplication": "very_unlikely",
        "suspicious_words": "very_unlikely",
    }
    values = {}
    for side in SIDES:
        for signal, value in clean.items():
            has_side = side == "doc_front" or document_type in BACK_FILES
            values[f"{side}_{signal}"] = value if has_side and not unknown else "unknown"
    for signal, value in (front or {}).items():
        values[f"doc_front_{signal}"] = value
    return values


def make_tests(
    scenario: str, document_type: str, rng: random.Random, *, dmv_status: str
) -> dict[str, Any]:
    unknown = scenario not in COMPLETE
    front: dict[str, str] = {}
    if scenario == "low_score":
        front = {"image_manipulation": "possible", "is_identity_document": "possible"}
    elif scenario == "document_fraud":
        front = {
            "image_manipulation": "very_likely",
            "suspicious_words": "likely",
            "online_duplication": rng.choice(("likely", "possible", "unlikely")),
        }
    elif scenario == "clean" and rng.random() < 0.3:
        front = {"image_manipulation": "unlikely"}
    tests: dict[str, Any] = likelihoods(document_type, front=front, unknown=unknown)

    mismatched: set[str] = set()
    if dmv_status == "no_match":
        mismatched = set(rng.sample(MISMATCH_CANDIDATES, rng.randint(1, 3)))
    checked = dmv_status in ("match", "no_match")
    for name in DMV_FIELDS:
        value: bool | None = None
        if checked and name not in ("middle_name", "suffix_name"):
            value = name not in mismatched
        tests[f"dmv_{name}_match"] = value
    has_back = document_type in BACK_FILES and not unknown
    tests["document_number_crosscheck"] = True if has_back else None
    tests["name_crosscheck"] = (scenario != "low_score") if has_back else None
    tests["address_crosscheck"] = True if has_back and document_type in DMV_DOCUMENTS else None
    return tests


def _timeline(
    rng: random.Random, start: dt.datetime, steps: tuple[str, ...]
) -> dict[str, dt.datetime]:
    """When each step happened: a minute or three apart, from ``start``."""
    moments: dict[str, dt.datetime] = {}
    moment = start
    for step in steps:
        moment += dt.timedelta(seconds=rng.randint(40, 180))
        moments[step] = moment
    return moments


def build(
    scenario: str,
    rng: random.Random,
    *,
    now: dt.datetime,
    created_at: dt.datetime | None = None,
    with_images: bool = True,
) -> BuiltSession:
    """One session of ``scenario``; raises ValueError for an unknown scenario.

    ``created_at`` places the session in time (its steps follow within minutes, none
    later than ``now``); by default its last event (a re-authentication, completion,
    expiry…) happened seconds before ``now``, so a sync that started earlier sees it as
    changed, as it would at the real API.
    """
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}")
    today = now.date()
    person = make_person(rng, today)
    document_type = document_type_for(scenario, rng)
    card = make_document_data(person, document_type, rng, today)
    face_seed = images.new_face_seed(rng)
    complete = scenario in COMPLETE
    anchored = created_at is not None
    if created_at is None:
        created_at = now  # provisional: the whole timeline is moved back below

    if scenario == "expired":
        steps: tuple[str, ...] = ("consented",)
    elif scenario == "in_progress":
        steps = ("consented", "document_front_given")
    elif scenario == "blocked":
        steps = ("consented", "document_front_given", "document_back_given", "selfie_given")
    else:
        steps = (
            "consented",
            "document_front_given",
            *(("document_back_given",) if document_type in BACK_FILES else ()),
            "liveness_detected",
            "selfie_given",
        )
    moments = _timeline(rng, created_at, steps)
    last = max(moments.values())

    dmv_status = "unknown"
    if document_type not in DMV_DOCUMENTS:
        dmv_status = "not_applicable"
    elif scenario == "dmv_mismatch":
        dmv_status = "no_match"
    elif complete:
        dmv_status = "match"
    elif scenario == "temporarily_complete":
        dmv_status = "pending"
    ofac_status = {"ofac_hit": "on_sanction_list"}.get(scenario, "clear" if complete else "")
    ofac_status = ofac_status or ("pending" if scenario == "temporarily_complete" else "unknown")

    status_e = {
        "in_progress": "in_progress",
        "temporarily_complete": "temporarily_complete",
        "blocked": "temporarily_blocked",
        "expired": "expired",
    }.get(scenario, "complete")
    score_ranges = {
        "clean": (86, 97),
        "dmv_mismatch": (62, 74),
        "low_score": (28, 45),
        "document_fraud": (18, 35),
        "ofac_hit": (80, 92),
    }
    score = round(rng.uniform(*score_ranges[scenario]), 1) if scenario in score_ranges else None
    verified = {"clean": True}.get(scenario, False if complete else None)

    history = [{"event": "session_created", "status_e": "in_progress", "created_at": created_at}]
    history += [
        {"event": step, "status_e": "in_progress", "created_at": moments[step]} for step in steps
    ]
    completed_at = verified_at = dmv_at = ofac_at = None
    if complete:
        dmv_at = (
            last + dt.timedelta(seconds=rng.randint(2, 9))
            if dmv_status != "not_applicable"
            else None
        )
        ofac_at = last + dt.timedelta(seconds=rng.randint(2, 9))
        completed_at = last + dt.timedelta(seconds=rng.randint(10, 20))
        verified_at = completed_at
        if dmv_at:
            history.append(
                {"event": "dmv_checked", "status_e": "in_progress", "created_at": dmv_at}
            )
        history.append({"event": "ofac_checked", "status_e": "in_progress", "created_at": ofac_at})
        history.append({"event": "completed", "status_e": "complete", "created_at": completed_at})
    elif scenario == "temporarily_complete":
        history.append(
            {"event": "checks_pending", "status_e": "temporarily_complete", "created_at": last}
        )
    elif scenario == "blocked":
        blocked_at = last + dt.timedelta(seconds=rng.randint(30, 90))
        history.append(
            {"event": "liveness_failed", "status_e": "in_progress", "created_at": blocked_at}
        )
        history.append(
            {"event": "blocked", "status_e": "temporarily_blocked", "created_at": blocked_at}
        )
    elif scenario == "expired":
        expired_at = created_at + dt.timedelta(hours=24)
        history.append({"event": "expired", "status_e": "expired", "created_at": expired_at})

    reauthentications: list[dt.datetime] = []
    if scenario == "clean":
        moment = completed_at or last
        for _ in range(rng.randint(0, 2)):
            moment += dt.timedelta(minutes=rng.randint(10, 40))
            reauthentications.append(moment)

    latest = max([entry["created_at"] for entry in history] + reauthentications)
    if anchored:
        reauthentications = [min(moment, now) for moment in reauthentications]
    else:
        shift = now - dt.timedelta(seconds=rng.randint(1, 30)) - latest
        created_at += shift
        moments = {step: moment + shift for step, moment in moments.items()}
        completed_at, verified_at, dmv_at, ofac_at = (
            None if moment is None else moment + shift
            for moment in (completed_at, verified_at, dmv_at, ofac_at)
        )
        history = [{**entry, "created_at": entry["created_at"] + shift} for entry in history]
        reauthentications = [moment + shift for moment in reauthentications]

    fields: dict[str, Any] = {
        "status_e": status_e,
        "document_type_e": document_type if scenario != "expired" else "unknown",
        "verified": verified,
        "score": score,
        "dmv_status_e": dmv_status,
        "ofac_status_e": ofac_status,
        "gender_e": person.gender_e if scenario != "expired" else "unknown",
        "first_name": person.first_name if scenario != "expired" else "",
        "middle_name": person.middle_name if scenario != "expired" else "",
        "last_name": person.last_name if scenario != "expired" else "",
        "suffix_name": "",
        "birth_date": person.birth_date.isoformat() if scenario != "expired" else "",
        "user_id": f"user-{rng.randint(10000, 99999)}",
        "idv_weights_id": new_id(rng),
        "metadata": {"customer_reference": f"CUST-{rng.randint(100000, 999999)}"},
        "settings": {"liveness_mode": "passive"},
        "created_at": created_at,
        "completed_at": completed_at,
        "verified_at": verified_at,
        "dmv_detected_at": dmv_at,
        "ofac_detected_at": ofac_at,
        "history": [{**entry, "created_at": iso(entry["created_at"])} for entry in history],
    }
    for step in FLAG_STEPS:
        fields[step] = step in steps
        fields[f"{step}_at"] = moments.get(step)

    documents: list[dict[str, Any]] = []
    if scenario not in ("expired",):
        barcode_name = f"{person.last_name}E" if scenario == "low_score" else ""
        documents = make_documents(card, person, rng, barcode_name=barcode_name)
        if scenario == "in_progress":
            documents = documents[:1]  # only the front has been read so far

    built = BuiltSession(
        fields=fields,
        tests=make_tests(scenario, document_type, rng, dmv_status=dmv_status),
        documents=documents,
        face_seed=face_seed,
    )
    built.reauthentications = [
        {"authenticated": True, "created_at": moment} for moment in reauthentications
    ]
    if with_images:
        built.files = make_files(
            card, fields, face_seed, rng, tampered=scenario == "document_fraud"
        )
    return built


def make_files(
    card: images.DocumentData,
    fields: dict[str, Any],
    face_seed: int,
    rng: random.Random,
    *,
    tampered: bool = False,
) -> dict[str, bytes]:
    """The stored files of a session: what its flags say was given."""
    files: dict[str, bytes] = {}
    document_type = card.document_type
    if fields.get("document_front_given"):
        if document_type == "passport":
            files[FRONT_FILES[document_type]] = images.passport_page(
                card, face_seed, tampered=tampered
            )
        else:
            files[FRONT_FILES[document_type]] = images.card_front(
                card, face_seed, tampered=tampered
            )
    if fields.get("document_back_given") and document_type in BACK_FILES:
        files[BACK_FILES[document_type]] = images.card_back(card, rng)
    if fields.get("selfie_given"):
        files["selfie"] = images.selfie(face_seed)
    if fields.get("liveness_detected"):
        files["liveness_passive"] = images.liveness_frame(face_seed)
    return files
