"""LE-KO KYC adapter: LE-KO's verifications as SessionSnapshots, admin decisions back.

Follows ``shared/providers/leko-kyc-openapi.yaml`` (kept as ``providers/leko/openapi.yaml``);
the HTTP side and the choices made where that document is silent (listing walk,
evidence by ``fileKey``, undocumented error statuses, the repeated admin decision)
are in ``client.py``. LE-KO sends no webhooks: kycdash polls (``iter_session_ids``).

A snapshot is one ``GET /verifications/{id}`` (avatar check, passport OCR data,
image match, ``failureReason``, ``adminApproval``) and, with evidence, one
``GET /files/{fileKey}`` per image key the verification names (the avatar, then the
passport page).

Status mapping (``status``, then ``currentStep`` / ``failureReason.reason``):

    status                  refined by                           kycdash status
    ----------------------  -----------------------------------  --------------
    pending                 currentStep initialize (or none)     pending
    pending                 any later currentStep                in_progress
    avatar_verified         -                                    in_progress
    passport_verified       -                                    in_progress
    admin_review_required   -                                    needs_review
    approved                -                                    approved
    rejected                failureReason.reason system_error    failed
    rejected                anything else                        rejected
    anything else (new)     -                                    in_progress

``provider_status`` is ``"<status> / <currentStep>"`` verbatim (e.g.
``admin_review_required / admin_review``). ``review_requested`` is set exactly when
the status is ``admin_review_required`` (that opens a ``status`` task); the
``review_reason`` is the failure's ``details``, else its ``reason``. LE-KO gives no
overall score, no antifraud and no proof of address: ``overall_score``,
``antifraud`` and ``poa`` stay empty. Scores (0-100): ``face_match`` from
``imageMatchResult.matchScore``, ``ocr_confidence`` from the passport's
``confidence``, ``avatar`` from the avatar's ``confidence``, where LE-KO sends them.

Write-back mapping:

    queue      outcome   LE-KO call
    ---------  --------  -----------------------------------------------------------
    status     approve   PUT /verifications/{id}/admin
                         {"approved": true, "notes"?, "reviewerId"}
    status     reject    PUT /verifications/{id}/admin
                         {"approved": false, "reason"?, "notes"?, "reviewerId"}
    antifraud  any       none: LE-KO has no such endpoint (supported=False)
    poa        any       none: LE-KO has no proof of address (supported=False)

``reason`` is only sent on a rejection, from ``AdminApproval.reason``'s enum:
kycdash's document_unclear, identity_mismatch, fake_document, insufficient_quality
and inappropriate_content go as they are; a few other codes go as the closest value
(``REASON_ALIASES``); any other code is left out of ``reason`` and written at the
head of ``notes`` (``"<code>: <note>"``) so LE-KO still hears it. ``notes`` is the
reviewer's note, cut to 500 characters (the schema's ``maxLength``), left out when
empty. ``reviewerId`` is the deciding reviewer's kycdash username.

A 409 (the verification is not in ``admin_review_required``) is LE-KO refusing:
``ProviderRejected`` with status 409 and LE-KO's message, not retried, unless the
verification already carries exactly this decision (choice (d) in ``client.py``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Final

from providers.base import (
    Capability,
    Check,
    CheckStatus,
    EvidenceFile,
    EvidenceKind,
    PersonData,
    ProviderAdapter,
    ProviderNotFound,
    ProviderRejected,
    SessionSnapshot,
    SessionStatus,
    WriteBackRequest,
    WriteBackResult,
    evidence_file,
)
from providers.http import client_session
from providers.leko.client import (
    LIST_PAGE_SIZE,
    SYNC_OVERLAP,
    JsonObject,
    LekoClient,
    admin_approval_body,
    parse_date,
    parse_datetime,
)
from providers.leko.contract import NOTES_MAX_LENGTH, REJECTION_REASONS
from providers.normalize import fraction as _lenient_fraction
from providers.normalize import obj as _obj
from providers.normalize import text as _text
from providers.registry import register

if TYPE_CHECKING:
    from providers.models import ProviderConnection

logger = logging.getLogger(__name__)

REVIEW_STATUS: Final = "admin_review_required"
IN_PROGRESS_STATUSES: Final = frozenset({"avatar_verified", "passport_verified"})
NOT_STARTED_STEPS: Final = frozenset({"", "initialize"})
REVIEW_REASON_MAX_CHARS: Final = 300
# kycdash reason codes (other queues', common wordings) -> LE-KO's closest rejection reason
REASON_ALIASES: Final = {
    "unreadable": "document_unclear",
    "blurry": "document_unclear",
    "name_mismatch": "identity_mismatch",
    "different_person": "identity_mismatch",
    "face_mismatch": "identity_mismatch",
    "tampered_document": "fake_document",
    "forged_document": "fake_document",
    "low_quality": "insufficient_quality",
    "poor_quality": "insufficient_quality",
    "offensive_content": "inappropriate_content",
}
# (verification section holding a fileKey, evidence kind, file name stem)
EVIDENCE_SECTIONS: Final = (
    ("avatarVerification", EvidenceKind.SELFIE, "avatar"),
    ("passportVerification", EvidenceKind.FRONT, "passport"),
)


# ---------------------------------------------------------------- small readers


def _fraction(value: Any) -> float | None:
    """A 0..1 number from LE-KO, or None when absent or out of range (a string is no
    number here)."""
    return _lenient_fraction(value) if isinstance(value, int | float) else None


def _flag_check(
    key: str, section: JsonObject, flag: str, *, group: str, label: str, score: Any = None
) -> Check | None:
    """A check from one of LE-KO's boolean results (isHuman, ocrSuccess, isMatched)."""
    value = section.get(flag)
    if not isinstance(value, bool):
        return None
    fraction = _fraction(score)
    wording = f"{flag}={str(value).lower()}"
    error = _text(section.get("errorMessage"))
    return Check(
        key=key,
        status=CheckStatus.OK if value else CheckStatus.FAIL,
        group=group,
        value=f"{fraction:.2f}" if fraction is not None else "",
        label=label,
        provider_wording=f"{wording}: {error}" if error else wording,
    )


# ---------------------------------------------------------------- normalization


def map_status(status: str, current_step: str = "", failure_reason: str = "") -> str:
    """kycdash's status for LE-KO's status, current step and failure reason."""
    if status == "pending":
        started = current_step not in NOT_STARTED_STEPS
        return SessionStatus.IN_PROGRESS if started else SessionStatus.PENDING
    if status in IN_PROGRESS_STATUSES:
        return SessionStatus.IN_PROGRESS
    if status == REVIEW_STATUS:
        return SessionStatus.NEEDS_REVIEW
    if status == "approved":
        return SessionStatus.APPROVED
    if status == "rejected":
        return SessionStatus.FAILED if failure_reason == "system_error" else SessionStatus.REJECTED
    logger.warning("leko: unrecognized verification status, treated as in progress")
    return SessionStatus.IN_PROGRESS


def person_from(verification: JsonObject) -> PersonData:
    """What LE-KO read from the passport (when OCR succeeded)."""
    passport = _obj(verification, "passportVerification")
    data = _obj(passport, "passportData")
    if not data:
        return PersonData()
    first = _text(data.get("firstName"))
    middle = _text(data.get("middleName"))
    last = _text(data.get("lastName"))
    fields = {
        "full_name": " ".join(p for p in (first, middle, last) if p),
        "first_name": first,
        "last_name": last,
        "birth_date": parse_date(data.get("dateOfBirth")),
        "document_number": _text(data.get("passportNumber")),
    }
    # LE-KO gives one OCR confidence for the whole page: it applies to every field read.
    confidence = _fraction(passport.get("confidence"))
    confidences = (
        {name: confidence for name, value in fields.items() if value}
        if confidence is not None
        else {}
    )
    return PersonData(
        **fields,
        document_type="passport",
        confidences=confidences,
    )


def checks_from(verification: JsonObject) -> tuple[Check, ...]:
    checks: list[Check | None] = []
    avatar = _obj(verification, "avatarVerification")
    checks.append(
        _flag_check(
            "avatar.isHuman",
            avatar,
            "isHuman",
            group="avatar",
            label="Avatar shows a human face",
            score=avatar.get("confidence"),
        )
    )
    passport = _obj(verification, "passportVerification")
    checks.append(
        _flag_check(
            "passport.ocrSuccess",
            passport,
            "ocrSuccess",
            group="passport",
            label="Passport read (OCR)",
            score=passport.get("confidence"),
        )
    )
    match = _obj(verification, "imageMatchResult")
    checks.append(
        _flag_check(
            "imageMatch.isMatched",
            match,
            "isMatched",
            group="imageMatch",
            label="Avatar matches the passport photo",
            score=match.get("matchScore"),
        )
    )
    failure = _obj(verification, "failureReason")
    reason = _text(failure.get("reason"))
    if reason:
        step = _text(failure.get("step"))
        retryable = failure.get("retryable") is True
        checks.append(
            Check(
                key="failureReason",
                status=CheckStatus.MANUAL if reason == REVIEW_STATUS else CheckStatus.FAIL,
                group="failure",
                value=reason,
                label=f"Failure at {step.replace('_', ' ')}" if step else "Failure",
                provider_wording="; ".join(
                    p
                    for p in (_text(failure.get("details")), "retryable" if retryable else "")
                    if p
                ),
            )
        )
    approval = _obj(verification, "adminApproval")
    if isinstance(approval.get("approved"), bool):
        approved = approval["approved"]
        reviewer = _text(approval.get("reviewerId"))
        checks.append(
            Check(
                key="adminApproval",
                status=CheckStatus.OK if approved else CheckStatus.FAIL,
                group="admin",
                value=_text(approval.get("reason")) or ("approved" if approved else "rejected"),
                label="Admin decision",
                provider_wording=f"approved={str(approved).lower()}"
                + (f" by {reviewer}" if reviewer else ""),
            )
        )
    return tuple(check for check in checks if check is not None)


def scores_from(verification: JsonObject) -> dict[str, float]:
    scores: dict[str, float] = {}
    for name, value in (
        ("face_match", _obj(verification, "imageMatchResult").get("matchScore")),
        ("ocr_confidence", _obj(verification, "passportVerification").get("confidence")),
        ("avatar", _obj(verification, "avatarVerification").get("confidence")),
    ):
        fraction = _fraction(value)
        if fraction is not None:
            scores[name] = round(fraction * 100, 2)
    return scores


def normalize(
    verification: JsonObject,
    *,
    external_id: str | None = None,
    evidence: tuple[EvidenceFile, ...] = (),
    test_mode: bool = False,
) -> SessionSnapshot:
    """One SessionSnapshot from LE-KO's ``Verification`` JSON (no I/O)."""
    status = _text(verification.get("status"))
    step = _text(verification.get("currentStep"))
    failure = _obj(verification, "failureReason")
    normalized = map_status(status, step, _text(failure.get("reason")))
    review_requested = status == REVIEW_STATUS
    review_reason = ""
    if review_requested:
        review_reason = _text(failure.get("details")) or _text(failure.get("reason"))
    return SessionSnapshot(
        external_id=external_id or _text(verification.get("id")),
        status=normalized,
        provider_status=" / ".join(p for p in (status or "unknown", step) if p),
        person=person_from(verification),
        checks=checks_from(verification),
        scores=scores_from(verification),
        overall_score=None,  # LE-KO gives no overall score
        review_requested=review_requested,
        review_reason=review_reason[:REVIEW_REASON_MAX_CHARS],
        evidence=evidence,
        started_at=parse_datetime(verification.get("createdAt")),
        updated_at=parse_datetime(verification.get("updatedAt")),
        test_mode=test_mode,
        raw={"verification": verification},
    )


# ---------------------------------------------------------------- write-back mapping


def rejection_reason(code: str) -> str | None:
    """LE-KO's ``AdminApproval.reason`` for a kycdash reason code; None: no close value."""
    code = code.strip()
    if code in REJECTION_REASONS:
        return code
    alias = REASON_ALIASES.get(code)
    return alias if alias in REJECTION_REASONS else None


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def admin_approval_for(request: WriteBackRequest) -> JsonObject:
    """The ``AdminApproval`` body for a status decision (ValueError for other outcomes)."""
    if request.queue != "status" or request.outcome not in ("approve", "reject"):
        raise ValueError(f"no LE-KO write-back for {request.outcome!r} in queue {request.queue!r}")
    approved = request.outcome == "approve"
    note = request.note.strip()
    reason = None
    if not approved:
        code = request.reason.strip()
        reason = rejection_reason(code)
        if reason is None and code:
            # no value of LE-KO's enum fits: say it in the notes rather than lose it
            note = f"{code}: {note}" if note else code
    return admin_approval_body(
        approved=approved,
        reason=reason,
        notes=_cut(note, NOTES_MAX_LENGTH) or None,
        reviewer_id=request.reviewer.strip() or None,
    )


def carries_decision(verification: JsonObject, sent: JsonObject) -> bool:
    """Whether the verification's ``adminApproval`` is exactly the body that was sent."""
    approval = _obj(verification, "adminApproval")
    if not approval or _text(verification.get("status")) == REVIEW_STATUS:
        return False
    return all(
        approval.get(key) == sent.get(key) for key in ("approved", "reason", "notes", "reviewerId")
    )


# ---------------------------------------------------------------- the adapter


@register
class LekoAdapter(ProviderAdapter):
    """LE-KO KYC: verifications polled in, admin decisions (status queue) out."""

    name = "leko"
    label = "LE-KO KYC"
    capabilities = frozenset({Capability.SYNC, Capability.EVIDENCE, Capability.WRITE_STATUS})
    credential_fields = ("token", "user_id")
    sensitive_parameters = ("token",)
    list_page_size = LIST_PAGE_SIZE

    def __init__(self, connection: ProviderConnection, *, client: LekoClient | None = None):
        super().__init__(connection)
        self._client = client

    def _session(self) -> AbstractContextManager[LekoClient]:
        return client_session(self._client, lambda: LekoClient.from_connection(self.connection))

    @property
    def _test_mode(self) -> bool:
        return "/sandbox/" in (self.connection.base_url or "")

    # ------------------------------------------------------------ intake

    def iter_session_ids(self, *, since: dt.datetime | None = None) -> Iterator[str]:
        """Every verification updated at or after ``since`` (choice (a) in client.py)."""
        threshold = since - SYNC_OVERLAP if since is not None else None
        seen: set[str] = set()
        with self._session() as client:
            for row in client.iter_verifications(limit=self.list_page_size):
                verification_id = row["id"]
                if verification_id in seen:
                    continue
                if threshold is not None:
                    updated = parse_datetime(row.get("updatedAt"))
                    if updated is not None and updated < threshold:
                        continue
                seen.add(verification_id)
                yield verification_id

    def fetch_snapshot(self, external_id: str, *, with_evidence: bool = True) -> SessionSnapshot:
        with self._session() as client:
            verification = client.verification(external_id)
            evidence = self._evidence(client, verification) if with_evidence else ()
        return normalize(
            verification, external_id=external_id, evidence=evidence, test_mode=self._test_mode
        )

    def _evidence(self, client: LekoClient, verification: JsonObject) -> tuple[EvidenceFile, ...]:
        files = []
        for section, kind, stem in EVIDENCE_SECTIONS:
            file_key = _text(_obj(verification, section).get("fileKey"))
            if not file_key:
                continue
            try:
                content = client.file(file_key)
            except ProviderNotFound:
                # the verification outlived its image (retention): the rest still counts
                logger.warning("leko: the %s image is gone at LE-KO (404), skipped", stem)
                continue
            file = evidence_file(
                kind=kind, content=content, external_ref=file_key, stem=stem, provider="leko"
            )
            if file is not None:
                files.append(file)
        return tuple(files)

    # ------------------------------------------------------------ output

    def write_decision(self, request: WriteBackRequest) -> WriteBackResult:
        if request.queue != "status":
            return WriteBackResult(supported=False)
        body = admin_approval_for(request)
        with self._session() as client:
            try:
                response = client.admin_decision(
                    request.external_id,
                    approved=body["approved"],
                    reason=body.get("reason"),
                    notes=body.get("notes"),
                    reviewer_id=body.get("reviewerId"),
                )
            except ProviderRejected as refused:
                if refused.status_code != 409:
                    raise
                current = client.verification(request.external_id)
                if not carries_decision(current, body):
                    raise
                # An earlier attempt landed and its answer was lost: delivered, not refused.
                logger.info("leko: the admin decision was already applied; 409 taken as sent")
                return WriteBackResult(
                    supported=True,
                    status_code=409,
                    response={
                        "alreadyApplied": True,
                        "status": _text(current.get("status")),
                        "adminApproval": _obj(current, "adminApproval"),
                    },
                )
        return WriteBackResult(
            supported=True, status_code=response.status_code, response=response.body
        )

    def test_connection(self) -> None:
        with self._session() as client:
            client.list_verifications(number=0, limit=1)
