"""Incode Omni adapter: Incode's interviews as SessionSnapshots, decisions back to Incode.

Follows ``shared/providers/incode-omni.txt``; the HTTP side and the choices made where
that document is silent (listing, notification, idempotency) are in ``client.py``.

A snapshot is read from four calls: ``GET /omni/get/onboarding/status``,
``GET /omni/get/score``, ``GET /omni/get/ocr-data`` and, once the onboarding is
finished (the document says to call it only after process-id and process-face),
``GET /omni/process/antifraud``; then one ``POST /omni/get/images`` per image type.

Status mapping (onboardingStatus, then the score's ``overall.status``):

    onboardingStatus            overall.status                          kycdash status
    --------------------------  --------------------------------------  --------------
    UNKNOWN                     -                                       pending
    ID_VALIDATION_FINISHED      -                                       in_progress
    POST_PROCESSING_FINISHED    -                                       in_progress
    FACE_VALIDATION_FINISHED    -                                       in_progress
    ONBOARDING_FINISHED         OK                                      approved
    ONBOARDING_FINISHED         FAIL                                    rejected
    ONBOARDING_FINISHED         MANUAL, WARN, MANUAL_PENDING, UNKNOWN   needs_review
                                (or no score at all)
    ONBOARDING_FINISHED         MANUAL_OK                               approved
    ONBOARDING_FINISHED         MANUAL_FAIL                             rejected
    MANUAL_REVIEW_APPROVED      -                                       approved
    MANUAL_REVIEW_REJECTED      -                                       rejected
    anything else (new values)  -                                       in_progress

``provider_status`` is the onboardingStatus verbatim, followed by `` / <overall.status>``
when the score has one (e.g. ``ONBOARDING_FINISHED / MANUAL``). ``review_requested``
is set when the session needs review because the overall status is MANUAL or
MANUAL_PENDING; ``review_reason`` is then Incode's ``needsReviewReason``.

Write-back mapping:

    queue      outcome                 Incode call
    ---------  ----------------------  -----------------------------------------------
    status     approve                 PUT /omni/manual-review?interviewId=
                                       {"manualReviewStatus": "APPROVED", "newReason"?}
    status     reject                  PUT /omni/manual-review?interviewId=
                                       {"manualReviewStatus": "REJECTED", "newReason"?}
    antifraud  resolve_false_positive  PUT /omni/resolve/antifraud?interviewId=&reason=
    antifraud  confirm_fraud           POST /omni/add/watchlist/single-record with the
                                       session's name, birthDate, idNumber (re-read from
                                       the OCR data) and "watchlistType": "BLACKLIST"
    poa        approve / reject        none: Incode documents no PoA decision endpoint,
                                       so the decision stays local (supported=False)

``newReason`` / ``reason`` is ``"<reason code>: <note>"`` (or whichever of the two is
there), cut to 500 characters. Every write sends the decision's idempotency key.
Provider errors propagate as the typed ProviderError subclasses; an outcome that
does not belong to its queue raises ValueError (a caller's bug, not a provider's).

Webhook: the status-change notification carries the connection's webhook secret in
``X-Webhook-Secret`` (compared in constant time); only its ``interviewId`` is used, the
session itself is re-read through the API.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Final

from providers.base import (
    AntifraudResult,
    Capability,
    Check,
    CheckStatus,
    EvidenceFile,
    EvidenceKind,
    InboundEvent,
    PersonData,
    PoaData,
    ProviderAdapter,
    SessionSnapshot,
    SessionStatus,
    WebhookRejected,
    WebhookRequest,
    WriteBackRequest,
    WriteBackResult,
    evidence_file,
    header,
    secrets_match,
)
from providers.http import client_session
from providers.incode.client import (
    LIST_PAGE_SIZE,
    IncodeClient,
    JsonObject,
    WriteResponse,
    ms_to_datetime,
)
from providers.normalize import fraction as _fraction
from providers.normalize import label as _label
from providers.normalize import obj as _obj
from providers.normalize import score as _score
from providers.normalize import text as _text
from providers.registry import register

if TYPE_CHECKING:
    from providers.models import ProviderConnection

logger = logging.getLogger(__name__)

EVENT_TYPE: Final = "onboarding.status_changed"
REASON_MAX_CHARS: Final = 500
EVENT_ID_MAX_CHARS: Final = 200
EXTERNAL_ID_MAX_CHARS: Final = 200

PENDING_STATUSES: Final = frozenset({"UNKNOWN", ""})
IN_PROGRESS_STATUSES: Final = frozenset(
    {"ID_VALIDATION_FINISHED", "POST_PROCESSING_FINISHED", "FACE_VALIDATION_FINISHED"}
)
# The statuses after which Incode's antifraud check may be read.
FINISHED_STATUSES: Final = frozenset(
    {"ONBOARDING_FINISHED", "MANUAL_REVIEW_APPROVED", "MANUAL_REVIEW_REJECTED"}
)
STATUS_BY_SCORE: Final = {
    "OK": SessionStatus.APPROVED,
    "FAIL": SessionStatus.REJECTED,
    "MANUAL": SessionStatus.NEEDS_REVIEW,
    "WARN": SessionStatus.NEEDS_REVIEW,
    "MANUAL_PENDING": SessionStatus.NEEDS_REVIEW,
    "UNKNOWN": SessionStatus.NEEDS_REVIEW,
    "MANUAL_OK": SessionStatus.APPROVED,
    "MANUAL_FAIL": SessionStatus.REJECTED,
}
REVIEW_SCORE_STATUSES: Final = frozenset({"MANUAL", "MANUAL_PENDING"})
CHECK_STATUS: Final = {
    "OK": CheckStatus.OK,
    "WARN": CheckStatus.WARN,
    "FAIL": CheckStatus.FAIL,
    "UNKNOWN": CheckStatus.UNKNOWN,
    "MANUAL": CheckStatus.MANUAL,
    "MANUAL_PENDING": CheckStatus.MANUAL,
    "MANUAL_OK": CheckStatus.OK,
    "MANUAL_FAIL": CheckStatus.FAIL,
}
# score name -> path of the {status, value} object in the score payload
SCORE_PATHS: Final = {
    "id_validation": ("idValidation", "overall"),
    "liveness": ("liveness", "overall"),
    "face_match": ("faceRecognition", "overall"),
    "overall": ("overall",),
}
# score section -> label of its overall check
OVERALL_SECTIONS: Final = (
    ("idValidation", "ID validation"),
    ("liveness", "Liveness"),
    ("faceRecognition", "Face recognition"),
    ("antifraud", "Antifraud"),
)
# PersonData field -> Incode's ocrDataConfidence keys, first present wins
PERSON_CONFIDENCE_KEYS: Final = {
    "full_name": ("nameConfidence",),
    "first_name": ("firstNameConfidence", "givenNameConfidence"),
    "last_name": ("fathersSurnameConfidence", "paternalLastNameConfidence"),
    "birth_date": ("birthDateConfidence",),
    "gender": ("genderConfidence",),
    "nationality": ("nationalityConfidence",),
    "document_number": ("documentNumberConfidence",),
    "issuing_country": ("issuingCountryConfidence",),
    "expiry_date": ("expireAtConfidence", "expirationDateConfidence"),
    "address": ("addressConfidence",),
}
# PoaData field -> Incode's ocrDataConfidence key
POA_CONFIDENCE_KEYS: Final = {
    "address": "addressFromStatementConfidence",
    "name": "poaNameConfidence",
}
EVIDENCE_TYPES: Final = (
    ("croppedFrontID", EvidenceKind.FRONT),
    ("croppedBackID", EvidenceKind.BACK),
    ("selfie", EvidenceKind.SELFIE),
    ("croppedFace", EvidenceKind.PORTRAIT),
    ("document", EvidenceKind.POA),
)


# ---------------------------------------------------------------- small readers


def _status(result: JsonObject) -> str:
    # the document lists " MANUAL_OK" with a stray space: tolerate it
    return _text(result.get("status")).upper()


def _score_value(result: JsonObject) -> float | None:
    value = result.get("value")
    # true/false have always read as 1/0 here, where normalize's score takes them as None
    return _score(float(value) if isinstance(value, bool) else value)


def _date(value: Any) -> dt.date | None:
    moment = ms_to_datetime(value)
    return moment.date() if moment else None


def _one_line(value: Any) -> str:
    return ", ".join(line.strip() for line in _text(value).splitlines() if line.strip())


def _check(key: str, result: JsonObject, *, group: str, label: str = "") -> Check:
    raw = _status(result)
    return Check(
        key=key,
        status=CHECK_STATUS.get(raw, CheckStatus.UNKNOWN),
        group=group,
        value=_text(result.get("value")),
        label=label or _label(key),
        provider_wording=_text(result.get("status")),
    )


# ---------------------------------------------------------------- normalization


def map_status(onboarding_status: str, overall_status: str) -> str:
    """kycdash's status for Incode's onboardingStatus and score overall status."""
    if onboarding_status in PENDING_STATUSES:
        return SessionStatus.PENDING
    if onboarding_status in IN_PROGRESS_STATUSES:
        return SessionStatus.IN_PROGRESS
    if onboarding_status == "ONBOARDING_FINISHED":
        return STATUS_BY_SCORE.get(overall_status, SessionStatus.NEEDS_REVIEW)
    if onboarding_status == "MANUAL_REVIEW_APPROVED":
        return SessionStatus.APPROVED
    if onboarding_status == "MANUAL_REVIEW_REJECTED":
        return SessionStatus.REJECTED
    logger.warning("incode: unrecognized onboardingStatus, treated as in progress")
    return SessionStatus.IN_PROGRESS


def person_from_ocr(ocr: JsonObject) -> PersonData:
    name = _obj(ocr, "name")
    first = _text(name.get("firstName")) or _text(name.get("givenName"))
    last = " ".join(
        part
        for part in (_text(name.get("paternalLastName")), _text(name.get("maternalLastName")))
        if part
    ) or _text(name.get("lastNameMrz"))
    full = _text(name.get("fullName")) or " ".join(p for p in (first, last) if p)
    confidences_in = _obj(ocr, "ocrDataConfidence")
    confidences: dict[str, float] = {}
    for field, keys in PERSON_CONFIDENCE_KEYS.items():
        for key in keys:
            value = _fraction(confidences_in.get(key))
            if value is not None:
                confidences[field] = value
                break
    return PersonData(
        full_name=full,
        first_name=first,
        last_name=last,
        birth_date=_date(ocr.get("birthDate")),
        gender=_text(ocr.get("gender")),
        nationality=_text(ocr.get("nationality")),
        document_type=_text(ocr.get("typeOfId")),
        document_number=_text(ocr.get("documentNumber")),
        issuing_country=_text(ocr.get("issuingCountry")),
        expiry_date=_date(ocr.get("expireAt")),
        address=_one_line(ocr.get("address")),
        confidences=confidences,
    )


def checks_from_score(score: JsonObject) -> tuple[Check, ...]:
    checks: list[Check] = []
    id_validation = _obj(score, "idValidation")
    for list_name in ("photoSecurityAndQuality", "idSpecific", "customFields"):
        items = id_validation.get(list_name)
        for item in items if isinstance(items, list) else ():
            if isinstance(item, dict) and _text(item.get("key")):
                checks.append(_check(_text(item["key"]), item, group="idValidation"))

    liveness = _obj(score, "liveness")
    for key in ("livenessScore", "photoQuality"):
        if key in liveness and isinstance(liveness[key], dict):
            checks.append(_check(key, liveness[key], group="liveness"))

    face = _obj(score, "faceRecognition")
    if isinstance(face.get("existingUser"), bool):
        existing = face["existingUser"]
        checks.append(
            Check(
                key="existingUser",
                status=CheckStatus.WARN if existing else CheckStatus.OK,
                group="faceRecognition",
                value=_text(face.get("existingInterviewId")) or str(existing).lower(),
                label="Face already enrolled",
                provider_wording=f"existingUser={str(existing).lower()}",
            )
        )
    for key in ("maskCheck", "lensesCheck", "faceBrightness", "nameMatch"):
        if isinstance(face.get(key), dict):
            checks.append(_check(key, face[key], group="faceRecognition"))

    for section, label in OVERALL_SECTIONS:
        overall = _obj(score, section, "overall")
        if overall:
            checks.append(_check(f"{section}.overall", overall, group=section, label=label))
    ocr_confidence = _obj(score, "idOcrConfidence", "overallConfidence")
    if ocr_confidence:
        checks.append(
            _check(
                "idOcrConfidence.overallConfidence",
                ocr_confidence,
                group="idOcrConfidence",
                label="ID OCR confidence",
            )
        )
    rule = _obj(score, "appliedRule")
    if _text(rule.get("name")):
        checks.append(
            Check(
                key="appliedRule",
                status=CHECK_STATUS.get(_status(rule), CheckStatus.UNKNOWN),
                group="overall",
                value=_text(rule.get("name")),
                label="Rule applied",
                provider_wording=_text(rule.get("status")),
            )
        )
    overall = _obj(score, "overall")
    if overall:
        checks.append(_check("overall", overall, group="overall", label="Overall"))
    return tuple(checks)


def scores_from_score(score: JsonObject) -> dict[str, float]:
    scores: dict[str, float] = {}
    for name, path in SCORE_PATHS.items():
        value = _score_value(_obj(score, *path))
        if value is None and name == "liveness":
            value = _score_value(_obj(score, "liveness", "livenessScore"))
        if value is not None:
            scores[name] = value
    return scores


def antifraud_from(payload: JsonObject | None, score: JsonObject) -> AntifraudResult | None:
    result = _text((payload or {}).get("result")).lower()
    if not result:
        return None
    face = _obj(score, "faceRecognition")
    detail = ""
    if face.get("existingUser") is True:
        detail = "The face is already enrolled in another session."
    return AntifraudResult(
        result=result,
        step_name=_text(payload.get("stepName")) if payload else "",
        colliding_external_id=_text(face.get("existingInterviewId")),
        detail=detail,
    )


def poa_from_ocr(ocr: JsonObject) -> PoaData | None:
    statement_keys = ("addressFromStatement", "poaName", "addressStatementEmissionDate")
    if not any(ocr.get(key) for key in statement_keys):
        return None
    confidences = _obj(ocr, "ocrDataConfidence")
    field_scores: dict[str, float] = {}
    for field, key in POA_CONFIDENCE_KEYS.items():
        value = _fraction(confidences.get(key))
        if value is not None:
            field_scores[field] = value
    confidence = sum(field_scores.values()) / len(field_scores) if field_scores else None
    return PoaData(
        confidence=confidence,
        name=_text(ocr.get("poaName")),
        address=_one_line(ocr.get("addressFromStatement")),
        document_type=_text(ocr.get("documentType")),
        issue_date=_date(ocr.get("addressStatementEmissionDate")),
        field_scores=field_scores,
        manual_review_requested=False,  # Incode has no PoA review flag
    )


def normalize(
    external_id: str,
    *,
    status_payload: JsonObject,
    score: JsonObject,
    ocr: JsonObject,
    antifraud: JsonObject | None,
    evidence: tuple[EvidenceFile, ...] = (),
    updated_at: dt.datetime | None = None,
    test_mode: bool = False,
) -> SessionSnapshot:
    """One SessionSnapshot from Incode's four JSON payloads (no I/O)."""
    onboarding = _text(status_payload.get("onboardingStatus")).upper()
    overall = _obj(score, "overall")
    overall_status = _status(overall)
    status = map_status(onboarding, overall_status)
    provider_status = " / ".join(p for p in (onboarding or "UNKNOWN", overall_status) if p)
    review_requested = (
        status == SessionStatus.NEEDS_REVIEW and overall_status in REVIEW_SCORE_STATUSES
    )
    watchlist_value = _score_value(_obj(score, "incodeWatchlistScore", "watchlistScore"))
    return SessionSnapshot(
        external_id=external_id,
        status=status,
        provider_status=provider_status,
        person=person_from_ocr(ocr),
        checks=checks_from_score(score),
        scores=scores_from_score(score),
        overall_score=_score_value(overall),
        antifraud=antifraud_from(antifraud, score),
        poa=poa_from_ocr(ocr),
        review_requested=review_requested,
        review_reason=_text(score.get("needsReviewReason")) if review_requested else "",
        watchlist_hit=bool(watchlist_value and watchlist_value > 0),
        evidence=evidence,
        started_at=None,  # Incode's payloads carry no start time
        updated_at=updated_at,
        test_mode=test_mode,
        raw={
            "onboarding_status": status_payload,
            "score": score,
            "ocr_data": ocr,
            "antifraud": antifraud or {},
        },
    )


def _reason_text(request: WriteBackRequest) -> str:
    reason, note = request.reason.strip(), request.note.strip()
    text = f"{reason}: {note}" if reason and note else reason or note
    return text[:REASON_MAX_CHARS]


# ---------------------------------------------------------------- the adapter


@register
class IncodeAdapter(ProviderAdapter):
    """Incode Omni: interviews in, manual-review and antifraud decisions out."""

    name = "incode"
    label = "Incode Omni"
    capabilities = frozenset(
        {
            Capability.WEBHOOK,
            Capability.SYNC,
            Capability.EVIDENCE,
            Capability.WRITE_STATUS,
            Capability.WRITE_ANTIFRAUD,
        }
    )
    credential_fields = ("api_key", "admin_token")
    sensitive_parameters = ("api_key", "admin_token")
    webhook_secret_header = "X-Webhook-Secret"  # noqa: S105 (a header name, not a secret)
    session_event_types = frozenset({EVENT_TYPE})
    list_page_size = LIST_PAGE_SIZE

    def __init__(self, connection: ProviderConnection, *, client: IncodeClient | None = None):
        super().__init__(connection)
        self._client = client
        # updatedAt of the interviews seen in the listing, for the snapshots that follow
        self._updated_at: dict[str, dt.datetime] = {}

    def _session(self) -> AbstractContextManager[IncodeClient]:
        return client_session(self._client, lambda: IncodeClient.from_connection(self.connection))

    @property
    def _test_mode(self) -> bool:
        return "/sandbox/" in (self.connection.base_url or "")

    # ------------------------------------------------------------ intake

    def verify_webhook(self, request: WebhookRequest) -> InboundEvent:
        expected = self.connection.webhook_secret or ""
        given = header(request.headers, self.webhook_secret_header)
        if not secrets_match(given, expected):
            raise WebhookRejected(f"missing or wrong {self.webhook_secret_header}", status=401)
        try:
            payload = json.loads(request.body)
        except (UnicodeDecodeError, ValueError):
            raise WebhookRejected("the body is not JSON", status=400) from None
        if not isinstance(payload, dict):
            raise WebhookRejected("the body is not a JSON object", status=400)
        interview_id = payload.get("interviewId")
        if not isinstance(interview_id, str) or not interview_id.strip():
            raise WebhookRejected("interviewId is missing", status=400)
        if len(interview_id.strip()) > EXTERNAL_ID_MAX_CHARS:
            raise WebhookRejected("interviewId is too long", status=400)
        event_id = payload.get("eventId")
        event_id = event_id.strip() if isinstance(event_id, str) else ""
        if not event_id or len(event_id) > EVENT_ID_MAX_CHARS:
            # no id of Incode's: the same body delivered twice is the same event
            event_id = hashlib.sha256(request.body).hexdigest()
        return InboundEvent(
            event_id=event_id,
            event_type=EVENT_TYPE,
            external_id=interview_id.strip(),
            payload=payload,
        )

    def iter_session_ids(self, *, since: dt.datetime | None = None) -> Iterator[str]:
        with self._session() as client:
            for summary in client.iter_interviews(since=since, size=self.list_page_size):
                if summary.updated_at is not None:
                    self._updated_at[summary.interview_id] = summary.updated_at
                yield summary.interview_id

    def fetch_snapshot(self, external_id: str, *, with_evidence: bool = True) -> SessionSnapshot:
        with self._session() as client:
            status_payload = client.onboarding_status(external_id)
            score = client.score(external_id)
            ocr = client.ocr_data(external_id)
            onboarding = _text(status_payload.get("onboardingStatus")).upper()
            antifraud = client.antifraud(external_id) if onboarding in FINISHED_STATUSES else None
            evidence = self._evidence(client, external_id) if with_evidence else ()
        return normalize(
            external_id,
            status_payload=status_payload,
            score=score,
            ocr=ocr,
            antifraud=antifraud,
            evidence=evidence,
            updated_at=self._updated_at.get(external_id),
            test_mode=self._test_mode,
        )

    def _evidence(self, client: IncodeClient, external_id: str) -> tuple[EvidenceFile, ...]:
        files = []
        for image_type, kind in EVIDENCE_TYPES:
            file = evidence_file(
                kind=kind,
                content=client.images(external_id, image_type),
                external_ref=image_type,
                stem=image_type,
                provider="incode",
            )
            if file is not None:
                files.append(file)
        return tuple(files)

    # ------------------------------------------------------------ output

    def write_decision(self, request: WriteBackRequest) -> WriteBackResult:
        if request.queue == "poa":
            return WriteBackResult(supported=False)
        with self._session() as client:
            response = self._write(client, request)
        return WriteBackResult(
            supported=True, status_code=response.status_code, response=response.body
        )

    def _write(self, client: IncodeClient, request: WriteBackRequest) -> WriteResponse:
        key = request.idempotency_key
        if request.queue == "status":
            status = {"approve": "APPROVED", "reject": "REJECTED"}.get(request.outcome)
            if status is not None:
                return client.manual_review(
                    request.external_id,
                    status,
                    new_reason=_reason_text(request) or None,
                    idempotency_key=key,
                )
        elif request.queue == "antifraud":
            if request.outcome == "resolve_false_positive":
                return client.resolve_antifraud(
                    request.external_id, reason=_reason_text(request) or None, idempotency_key=key
                )
            if request.outcome == "confirm_fraud":
                person = person_from_ocr(client.ocr_data(request.external_id))
                return client.add_watchlist_record(
                    name=person.full_name or None,
                    birth_date=person.birth_date,
                    id_number=person.document_number or None,
                    watchlist_type="BLACKLIST",
                    idempotency_key=key,
                )
        raise ValueError(f"no Incode write-back for {request.outcome!r} in queue {request.queue!r}")

    def test_connection(self) -> None:
        with self._session() as client:
            client.search_interviews(size=1)
