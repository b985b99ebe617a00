"""Believable LE-KO verifications for the sandbox: sections shaped as the API returns them.

``build(scenario, rng, ...)`` returns the status, the current step, the
``avatarVerification`` / ``passportVerification`` / ``imageMatchResult`` /
``failureReason`` sections and the images of one verification. It touches no
database: ``services.create_verification`` stores what it returns and fills in the
``fileKey`` of each image it stores.

Scenarios:

- ``clean``: approved and completed; a human avatar, the passport read with high
  confidence, avatar and passport photo matched (score 0.86-0.97).
- ``admin_review``: ``admin_review_required`` at the ``admin_review`` step: the
  match score (0.66-0.78) is under LE-KO's 0.80 threshold but not far enough to
  reject, so an administrator must decide (``failureReason.reason``
  ``admin_review_required``).
- ``rejected``: the passport shows someone else: ``images_no_match`` (0.28-0.50),
  rejected and completed, retryable.
- ``avatar_not_human``: the avatar has no face in it; pending at the avatar step.
- ``pending``: just created, nothing uploaded.
- ``avatar_verified``: the avatar passed; waiting for the passport.
- ``passport_verified``: the passport was read; the image match has not run yet.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from providers.leko.sandbox import images

SCENARIOS = (
    "clean",
    "admin_review",
    "rejected",
    "avatar_not_human",
    "pending",
    "avatar_verified",
    "passport_verified",
)
MATCH_THRESHOLD = 0.80
# The match score under which LE-KO rejects instead of asking an administrator.
REVIEW_FLOOR = 0.60

# ICAO code -> (given names, middle names, surnames, (place of birth, subdivision), authority)
COUNTRIES: dict[str, dict[str, Any]] = {
    "USA": {
        "given": ("EMILY", "JAMES", "OLIVIA", "MICHAEL", "HANNAH", "DANIEL", "GRACE"),
        "middle": ("ROSE", "LEE", "MARIE", "ALAN", ""),
        "surnames": ("JOHNSON", "MILLER", "DAVIS", "WILSON", "ANDERSON", "TAYLOR"),
        "places": (("New York, USA", "NY"), ("Portland, USA", "OR"), ("Austin, USA", "TX")),
        "authority": "US Department of State",
    },
    "GBR": {
        "given": ("OLIVER", "AMELIA", "GEORGE", "ISLA", "HARRY", "AVA", "THOMAS"),
        "middle": ("JAMES", "ELIZABETH", "EDWARD", ""),
        "surnames": ("SMITH", "JONES", "WILLIAMS", "BROWN", "EVANS", "HUGHES"),
        "places": (("Leeds, United Kingdom", "WYK"), ("Bristol, United Kingdom", "BST")),
        "authority": "HM Passport Office",
    },
    "DEU": {
        "given": ("ANNA", "LUKAS", "LENA", "FELIX", "MARIE", "JONAS", "CLARA"),
        "middle": ("SOPHIE", "MAXIMILIAN", ""),
        "surnames": ("MUELLER", "SCHMIDT", "SCHNEIDER", "FISCHER", "WEBER", "WAGNER"),
        "places": (("Berlin, Germany", "BE"), ("Hamburg, Germany", "HH")),
        "authority": "Stadt Berlin",
    },
    "ESP": {
        "given": ("MARIA", "LUCIA", "JAVIER", "PABLO", "CARMEN", "DIEGO", "ELENA"),
        "middle": ("JOSE", "ISABEL", ""),
        "surnames": ("GARCIA", "LOPEZ", "MARTIN", "SANCHEZ", "ROMERO", "NAVARRO"),
        "places": (("Valencia, Spain", "VC"), ("Madrid, Spain", "MD")),
        "authority": "Policia Nacional",
    },
    "UKR": {
        "given": ("OLENA", "ANDRII", "IRYNA", "DMYTRO", "KATERYNA", "OLEKSANDR"),
        "middle": ("", ""),
        "surnames": ("SHEVCHENKO", "KOVALENKO", "BONDARENKO", "TKACHENKO", "MELNYK"),
        "places": (("Kyiv, Ukraine", "30"), ("Lviv, Ukraine", "46")),
        "authority": "State Migration Svc",
    },
}


@dataclass(frozen=True)
class Person:
    """The synthetic coach behind a verification."""

    first_name: str
    middle_name: str
    last_name: str
    sex: str
    birth_date: dt.date
    country: str
    passport_number: str
    issue_date: dt.date
    expiry_date: dt.date
    place_of_birth: str
    subdivision: str
    authority: str

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.middle_name, self.last_name) if p)

    def passport_data(self) -> dict[str, str]:
        """``PassportData`` as LE-KO's OCR returns it (every field present, some empty)."""
        return {
            "firstName": self.first_name.title(),
            "lastName": self.last_name.title(),
            "passportNumber": self.passport_number,
            "dateOfBirth": self.birth_date.isoformat(),
            "issuedDate": self.issue_date.isoformat(),
            "placeOfBirth": self.place_of_birth,
            "middleName": self.middle_name.title(),
            "subdivision": self.subdivision,
        }

    def printed(self) -> images.PassportPrint:
        return images.PassportPrint(
            country=self.country,
            passport_number=self.passport_number,
            surname=self.last_name,
            given_names=" ".join(p for p in (self.first_name, self.middle_name) if p),
            birth_date=self.birth_date,
            sex=self.sex,
            place_of_birth=self.place_of_birth.split(",")[0],
            issue_date=self.issue_date,
            expiry_date=self.expiry_date,
            authority=self.authority,
        )


@dataclass
class BuiltVerification:
    """What ``build`` returns; ``images`` maps "avatar"/"passport" to JPEG bytes."""

    status: str
    current_step: str
    face_seed: int
    person: Person
    avatar: dict[str, Any] | None = None
    passport: dict[str, Any] | None = None
    image_match: dict[str, Any] | None = None
    failure: dict[str, Any] | None = None
    created_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    images: dict[str, bytes] = field(default_factory=dict)


def rfc3339(value: dt.datetime) -> str:
    """LE-KO's date-time: UTC, milliseconds, ``Z``."""
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def make_person(rng: random.Random, today: dt.date) -> Person:
    country = rng.choice(sorted(COUNTRIES))
    data = COUNTRIES[country]
    place, subdivision = rng.choice(data["places"])
    birth = today - dt.timedelta(days=rng.randint(22 * 365, 60 * 365))
    issued = today - dt.timedelta(days=rng.randint(60, 9 * 365))
    try:
        expiry = issued.replace(year=issued.year + 10)
    except ValueError:  # 29 February
        expiry = issued.replace(year=issued.year + 10, day=28)
    letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(2))
    return Person(
        first_name=rng.choice(data["given"]),
        middle_name=rng.choice(data["middle"]),
        last_name=rng.choice(data["surnames"]),
        sex=rng.choice("MF"),
        birth_date=birth,
        country=country,
        passport_number=f"{letters}{rng.randint(1_000_000, 9_999_999)}",
        issue_date=issued,
        expiry_date=expiry,
        place_of_birth=place,
        subdivision=subdivision,
        authority=data["authority"],
    )


def avatar_section(at: dt.datetime, rng: random.Random, *, human: bool = True) -> dict[str, Any]:
    """``avatarVerification`` (plus LE-KO's undeclared ``confidence``)."""
    if human:
        return {"isHuman": True, "processedAt": rfc3339(at), "confidence": _r(rng, 0.93, 0.99)}
    return {
        "isHuman": False,
        "processedAt": rfc3339(at),
        "confidence": _r(rng, 0.02, 0.12),
        "errorMessage": "No human face was detected in the avatar image",
    }


def passport_section(
    at: dt.datetime, rng: random.Random, person: Person | None, *, low: float, high: float
) -> dict[str, Any]:
    """``passportVerification``: read (``person`` given) or an OCR failure (None)."""
    if person is None:
        return {
            "ocrSuccess": False,
            "processedAt": rfc3339(at),
            "errorMessage": "The passport text could not be read: the image is too blurry",
        }
    return {
        "ocrSuccess": True,
        "passportData": person.passport_data(),
        "processedAt": rfc3339(at),
        "confidence": _r(rng, low, high),
    }


def match_section(at: dt.datetime, score: float) -> dict[str, Any]:
    """``imageMatchResult`` (plus the undeclared ``matchScore`` of the document's example)."""
    return {
        "isMatched": score >= MATCH_THRESHOLD,
        "processedAt": rfc3339(at),
        "matchScore": round(score, 3),
    }


def failure_section(
    step: str, reason: str, at: dt.datetime, details: str, *, retryable: bool
) -> dict[str, Any]:
    """``failureReason``."""
    return {
        "step": step,
        "reason": reason,
        "occurredAt": rfc3339(at),
        "details": details,
        "retryable": retryable,
    }


def match_outcome(score: float, at: dt.datetime) -> tuple[str, str, dict[str, Any] | None]:
    """(status, current step, failureReason) after an image match with ``score``."""
    details = f"Match score {score:.2f} is below threshold {MATCH_THRESHOLD:.2f}"
    if score >= MATCH_THRESHOLD:
        return "approved", "completed", None
    if score >= REVIEW_FLOOR:
        return (
            "admin_review_required",
            "admin_review",
            failure_section(
                "image_matching",
                "admin_review_required",
                at,
                f"{details}; an administrator must decide",
                retryable=False,
            ),
        )
    return (
        "rejected",
        "completed",
        failure_section("image_matching", "images_no_match", at, details, retryable=True),
    )


def _r(rng: random.Random, low: float, high: float) -> float:
    return round(rng.uniform(low, high), 3)


def build(
    scenario: str,
    rng: random.Random,
    *,
    now: dt.datetime,
    with_images: bool = True,
) -> BuiltVerification:
    """One verification of ``scenario`` last updated at ``now``; ValueError when unknown."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}")
    person = make_person(rng, now.date())
    face_seed = rng.randrange(2**32)
    # the timeline runs backwards from ``now``: created, avatar, passport, match
    match_at = now
    passport_at = match_at - dt.timedelta(seconds=rng.randint(8, 40))
    avatar_at = passport_at - dt.timedelta(seconds=rng.randint(60, 300))
    created_at = avatar_at - dt.timedelta(seconds=rng.randint(30, 600))
    built = BuiltVerification(
        status="pending",
        current_step="initialize",
        face_seed=face_seed,
        person=person,
        created_at=created_at,
    )
    passport_face = face_seed
    if scenario == "pending":
        built.created_at = now
    elif scenario == "avatar_not_human":
        built.avatar = avatar_section(now, rng, human=False)
        built.current_step = "avatar_verification"
        built.failure = failure_section(
            "avatar_verification",
            "avatar_not_human",
            now,
            "No human face was detected in the avatar image",
            retryable=True,
        )
    elif scenario == "avatar_verified":
        built.avatar = avatar_section(now, rng)
        built.status, built.current_step = "avatar_verified", "passport_verification"
    else:
        built.avatar = avatar_section(avatar_at, rng)
        at = now if scenario == "passport_verified" else passport_at
        low, high = (0.72, 0.84) if scenario == "admin_review" else (0.9, 0.98)
        built.passport = passport_section(at, rng, person, low=low, high=high)
        if scenario == "passport_verified":
            built.status, built.current_step = "passport_verified", "image_matching"
        else:
            score = {
                "clean": rng.uniform(0.86, 0.97),
                "admin_review": rng.uniform(0.66, 0.78),
                "rejected": rng.uniform(0.28, 0.5),
            }[scenario]
            if scenario == "rejected":
                passport_face = (face_seed + 7919) % 2**32  # somebody else on the passport
            built.image_match = match_section(match_at, score)
            built.status, built.current_step, built.failure = match_outcome(score, match_at)
            if built.current_step == "completed":
                built.completed_at = match_at

    if with_images:
        if built.avatar is not None:
            built.images["avatar"] = (
                images.avatar(face_seed)
                if built.avatar["isHuman"]
                else images.not_a_face(face_seed)
            )
        if built.passport is not None:
            built.images["passport"] = images.passport_page(person.printed(), passport_face)
    return built
