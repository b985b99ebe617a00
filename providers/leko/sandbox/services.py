"""The LE-KO sandbox's Python API: accounts, tokens, verifications, files, faults, log.

Tests and the demo loader drive the sandbox through these functions (or through the
``/sandbox/leko/_control/`` endpoints, which call them); the API views call the
``verification_*`` functions to apply the calls they accept.

The sandbox has no S3 bucket: an upload naming a ``fileKey`` the sandbox has not
stored gets an image drawn on the spot, as if the app had put it there. Words in
the key steer what LE-KO then finds, the way payment sandboxes use magic card
numbers:

- an avatar key containing ``noface``: no human face (``avatar_not_human``);
- a passport key containing ``blurry``: the OCR fails (``passport_ocr_failed``);
- a passport key containing ``review``: a borderline match (``admin_review_required``);
- a passport key containing ``other-person``: someone else's photo (``images_no_match``).
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any, Final

import jwt
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from providers.leko.sandbox import images, scenarios
from providers.leko.sandbox.models import (
    Account,
    Member,
    ReceivedCall,
    StoredFile,
    Verification,
)
from providers.leko.sandbox.scenarios import rfc3339
from providers.sandbox_kit import faults, recording

TOKEN_ISSUER: Final = "le-ko-sandbox"  # noqa: S105 (the iss claim, not a secret)
TOKEN_TTL: Final = dt.timedelta(days=365)
# Steps that follow each step, for VerificationStatus.nextStep.
NEXT_STEP: Final = {
    "initialize": "avatar_verification",
    "avatar_verification": "passport_verification",
    "passport_verification": "image_matching",
    "image_matching": "completed",
    "admin_review": "completed",
}


# The kit's fault injection, under the names the sandbox's callers use.
UNSET: Final = faults.UNSET
account_set_faults = faults.set_faults
account_clear_faults = faults.clear_faults
take_fault = faults.take_fault


class Conflict(Exception):
    """The call does not fit the verification's state: LE-KO's 409."""


class Invalid(Exception):
    """The call is malformed for the verification's state: LE-KO's 400."""


# ---------------------------------------------------------------- accounts and tokens


@transaction.atomic
def account_get_or_create(key: str, *, name: str = "") -> Account:
    """The account named ``key``, created with its admin user when new."""
    if not key:
        raise ValueError("key is required")
    account, created = Account.objects.select_for_update().get_or_create(
        key=key, defaults={"name": name}
    )
    if not created and name and account.name != name:
        account.name = name
        account.save(update_fields=["name"])
    if not account.members.filter(role=Member.Role.ADMIN).exists():
        Member.objects.create(account=account, role=Member.Role.ADMIN, name="kycdash")
    return account


def account_admin(account: Account) -> Member:
    """The account's first admin user: the one kycdash connects as."""
    return account.members.filter(role=Member.Role.ADMIN).order_by("created_at", "user_id")[0]


def member_create(account: Account, role: str, *, name: str = "") -> Member:
    if role not in Member.Role.values:
        raise ValueError(f"role must be one of {', '.join(Member.Role.values)}")
    return Member.objects.create(account=account, role=role, name=name)


def issue_token(
    member: Member, *, ttl: dt.timedelta = TOKEN_TTL, now: dt.datetime | None = None
) -> str:
    """An HS256 JWT for ``member``, signed with its account's key."""
    issued = now or timezone.now()
    claims = {
        "iss": TOKEN_ISSUER,
        "sub": str(member.user_id),
        "role": member.role,
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, member.account.jwt_secret, algorithm="HS256")


def credentials_for(account: Account) -> dict[str, str]:
    """What a kycdash connection needs: an admin token and that admin's user id."""
    admin = account_admin(account)
    return {"token": issue_token(admin), "user_id": str(admin.user_id)}


def member_for_token(token: str) -> Member | None:
    """The member a token claims to be (signature NOT checked: see ``verify_token``)."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
        user_id = uuid.UUID(str(claims.get("sub")))
    except (jwt.InvalidTokenError, ValueError, TypeError, AttributeError):
        return None
    return Member.objects.select_related("account").filter(user_id=user_id).first()


class TokenError(Exception):
    """The token cannot be trusted; the message is what LE-KO answers."""


def verify_token(token: str, member: Member | None) -> Member:
    """Check the signature, issuer and expiry of ``member``'s token."""
    if member is None:
        raise TokenError("Invalid token.")
    try:
        jwt.decode(
            token,
            member.account.jwt_secret,
            algorithms=["HS256"],
            issuer=TOKEN_ISSUER,
            options={"require": ["sub", "exp", "iat", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenError("Token expired.") from None
    except jwt.InvalidTokenError:
        raise TokenError("Invalid token.") from None
    return member


# ---------------------------------------------------------------- faults


# ---------------------------------------------------------------- files


def file_store(account: Account, file_key: str, content: bytes, content_type: str) -> StoredFile:
    stored, _ = StoredFile.objects.update_or_create(
        account=account,
        file_key=file_key,
        defaults={"content": content, "content_type": content_type},
    )
    return stored


def file_get(account: Account, file_key: str) -> StoredFile | None:
    return StoredFile.objects.filter(account=account, file_key=file_key).first()


def _new_key(kind: str, coach_id: uuid.UUID) -> str:
    return f"{kind}s/{coach_id}/{uuid.uuid4().hex[:16]}.jpg"


# ---------------------------------------------------------------- verifications


@transaction.atomic
def create_verification(
    account: Account,
    scenario: str,
    *,
    seed: int | None = None,
    coach: Member | None = None,
    with_images: bool = True,
    updated_at: dt.datetime | None = None,
) -> Verification:
    """A new verification of ``scenario`` (see ``scenarios.SCENARIOS``) in ``account``.

    ``seed`` makes the content reproducible (not the ids); ``with_images=False``
    skips drawing the images, for tests that only need many verifications quickly.
    A coach user is created for it unless one is given.
    """
    now = updated_at or timezone.now()
    built = scenarios.build(scenario, random.Random(seed), now=now, with_images=with_images)
    if coach is None:
        coach = member_create(account, Member.Role.COACH, name=built.person.full_name)
    sections: dict[str, dict[str, Any] | None] = {
        "avatar": built.avatar,
        "passport": built.passport,
    }
    for kind in ("avatar", "passport"):
        section = sections[kind]
        if section is None:
            continue
        key = _new_key(kind, coach.user_id)
        section["fileKey"] = key
        if kind in built.images:
            file_store(account, key, built.images[kind], "image/jpeg")
    return Verification.objects.create(
        account=account,
        coach_id=coach.user_id,
        scenario=scenario,
        status=built.status,
        current_step=built.current_step,
        avatar=built.avatar,
        passport=built.passport,
        image_match=built.image_match,
        failure=built.failure,
        avatar_attempts=1 if built.avatar else 0,
        passport_attempts=1 if built.passport else 0,
        face_seed=built.face_seed,
        created_at=built.created_at or now,
        updated_at=now,
        completed_at=built.completed_at,
    )


def verification_start(coach: Member, *, notes: str = "") -> Verification:
    """Apply POST /verifications: a new verification for the current user."""
    if (
        Verification.objects.filter(account=coach.account, coach_id=coach.user_id)
        .exclude(status__in=(Verification.Status.APPROVED, Verification.Status.REJECTED))
        .exists()
    ):
        raise Conflict("Active Verification already exists for this coach.")
    now = timezone.now()
    return Verification.objects.create(
        account=coach.account,
        coach_id=coach.user_id,
        scenario="api",
        notes=notes,
        face_seed=uuid.uuid4().int % 2**32,
        created_at=now,
        updated_at=now,
    )


def _person_of(verification: Verification) -> scenarios.Person:
    # The coach's identity is a function of their id: every upload shows the same person.
    return scenarios.make_person(
        random.Random(verification.coach_id.int), verification.created_at.date()
    )


def _ensure_file(verification: Verification, file_key: str, draw) -> None:
    if file_get(verification.account, file_key) is None:
        file_store(verification.account, file_key, draw(), "image/jpeg")


def verification_upload_avatar(verification: Verification, file_key: str) -> Verification:
    """Apply POST /verifications/{id}/avatar: check the avatar for a human face."""
    if verification.status != Verification.Status.PENDING:
        raise Conflict("Avatar already uploaded for this verification.")
    human = "noface" not in file_key.lower()
    seed = verification.face_seed or 0
    _ensure_file(
        verification,
        file_key,
        (lambda: images.avatar(seed)) if human else (lambda: images.not_a_face(seed)),
    )
    now = timezone.now()
    rng = random.Random(f"{verification.pk}-avatar-{verification.avatar_attempts}")
    section = scenarios.avatar_section(now, rng, human=human)
    section["fileKey"] = file_key
    verification.avatar = section
    verification.avatar_attempts += 1
    if human:
        verification.status = Verification.Status.AVATAR_VERIFIED
        verification.current_step = Verification.Step.PASSPORT_VERIFICATION
        verification.failure = None
    else:
        verification.current_step = Verification.Step.AVATAR_VERIFICATION
        verification.failure = scenarios.failure_section(
            "avatar_verification",
            "avatar_not_human",
            now,
            section["errorMessage"],
            retryable=True,
        )
    verification.updated_at = now
    verification.save()
    return verification


def verification_upload_passport(verification: Verification, file_key: str) -> Verification:
    """Apply POST /verifications/{id}/passport: OCR, then the image match, at once."""
    if verification.status == Verification.Status.PENDING:
        raise Invalid("The avatar must be verified before the passport is uploaded.")
    if verification.status != Verification.Status.AVATAR_VERIFIED:
        raise Conflict("Passport already uploaded for this verification.")
    key = file_key.lower()
    person = _person_of(verification)
    seed = verification.face_seed or 0
    face = (seed + 7919) % 2**32 if "other-person" in key else seed
    _ensure_file(verification, file_key, lambda: images.passport_page(person.printed(), face))
    now = timezone.now()
    rng = random.Random(f"{verification.pk}-passport-{verification.passport_attempts}")
    verification.passport_attempts += 1
    verification.updated_at = now
    if "blurry" in key:
        section = scenarios.passport_section(now, rng, None, low=0, high=0)
        section["fileKey"] = file_key
        verification.passport = section
        verification.failure = scenarios.failure_section(
            "passport_verification",
            "passport_ocr_failed",
            now,
            section["errorMessage"],
            retryable=True,
        )
        verification.save()
        return verification
    section = scenarios.passport_section(now, rng, person, low=0.88, high=0.98)
    section["fileKey"] = file_key
    verification.passport = section
    if "other-person" in key:
        score = rng.uniform(0.28, 0.5)
    elif "review" in key:
        score = rng.uniform(0.66, 0.78)
    else:
        score = rng.uniform(0.86, 0.97)
    verification.image_match = scenarios.match_section(now, score)
    status, step, failure = scenarios.match_outcome(score, now)
    verification.status, verification.current_step, verification.failure = status, step, failure
    if step == Verification.Step.COMPLETED:
        verification.completed_at = now
    verification.save()
    return verification


def verification_update_passport(verification: Verification, data: dict[str, str]) -> None:
    """Apply PUT /verifications/{id}: correct the passport data read by OCR."""
    if not verification.is_active:
        raise Invalid("The verification is completed; its passport data can no longer change.")
    if not verification.passport or not verification.passport.get("ocrSuccess"):
        raise Invalid("No passport has been read for this verification.")
    verification.passport = {**verification.passport, "passportData": data}
    verification.updated_at = timezone.now()
    verification.save(update_fields=["passport", "updated_at"])


def verification_admin_decide(verification: Verification, approval: dict[str, Any]) -> Verification:
    """Apply PUT /verifications/{id}/admin; Conflict unless in admin_review_required.

    One conditional UPDATE decides, so two concurrent decisions cannot both apply.
    """
    now = timezone.now()
    approved = bool(approval["approved"])
    applied = Verification.objects.filter(
        pk=verification.pk, status=Verification.Status.ADMIN_REVIEW_REQUIRED
    ).update(
        status=Verification.Status.APPROVED if approved else Verification.Status.REJECTED,
        current_step=Verification.Step.COMPLETED,
        admin_approval=approval,
        updated_at=now,
        completed_at=now,
    )
    verification.refresh_from_db()
    if not applied:
        raise Conflict(
            f"Verification must be in admin_review_required status; it is {verification.status}."
        )
    return verification


def verification_json(verification: Verification) -> dict[str, Any]:
    """The ``Verification`` body, as LE-KO shapes it."""
    body: dict[str, Any] = {
        "id": str(verification.id),
        "coachId": str(verification.coach_id),
        "status": verification.status,
        "currentStep": verification.current_step,
    }
    for key, value in (
        ("avatarVerification", verification.avatar),
        ("passportVerification", verification.passport),
        ("imageMatchResult", verification.image_match),
        ("failureReason", verification.failure),
        ("adminApproval", verification.admin_approval),
    ):
        if value:
            body[key] = value
    if verification.notes:
        body["notes"] = verification.notes
    body["createdAt"] = rfc3339(verification.created_at)
    body["updatedAt"] = rfc3339(verification.updated_at)
    if verification.completed_at:
        body["completedAt"] = rfc3339(verification.completed_at)
    return body


def verification_status_json(verification: Verification) -> dict[str, Any]:
    """The ``VerificationStatus`` body."""
    avatar, passport = verification.avatar or {}, verification.passport or {}
    body: dict[str, Any] = {
        "id": str(verification.id),
        "status": verification.status,
        "currentStep": verification.current_step,
        "progress": {
            "avatarVerified": {
                "success": avatar.get("isHuman") is True,
                "attempts": verification.avatar_attempts,
            },
            "passportVerified": {
                "success": passport.get("ocrSuccess") is True,
                "attempts": verification.passport_attempts,
            },
            "imagesMatched": verification.image_match is not None,
        },
    }
    if verification.current_step in NEXT_STEP:
        body["nextStep"] = NEXT_STEP[verification.current_step]
    body["createdAt"] = rfc3339(verification.created_at)
    body["updatedAt"] = rfc3339(verification.updated_at)
    return body


# ---------------------------------------------------------------- reading the log


def received_calls(
    *,
    account: Account | None = None,
    verification_id: str | None = None,
    path: str | None = None,
    outcome: str | None = None,
) -> QuerySet[ReceivedCall]:
    """The write calls the sandbox heard, newest first, optionally filtered."""
    return recording.received_calls(
        ReceivedCall, account=account, subject=verification_id, path=path, outcome=outcome
    )


def call_as_dict(call: ReceivedCall) -> dict[str, Any]:
    """The JSON shape of one log entry (the ``_control/received`` endpoint)."""
    return recording.call_as_dict(call)
