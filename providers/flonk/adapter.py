"""Flonk KYC adapter: Flonk's sessions as SessionSnapshots, decisions back to Flonk.

Follows ``docs/providers/flonk-kyc-sdk-1.9.1.txt`` (the server SDK's type declarations,
1.8.2 → 1.9.1); the HTTP side and the choices made where that document is silent
(paths, listing, error body, verification statuses, idempotency) are in ``client.py``.

A snapshot is read from ``GET /v1/sessions/{id}`` (SessionDetailsDto), the session's
verification (the webhook event object, once the session is past the widget), its
proof-of-address read (``poaStatus``, ``confidenceScore``, ``confidenceBreakdown``), and
the images the session lists (front, back, main, face, poa).

Status mapping (the verification's status when it has a decided one, else the
session's status):

    session status                    verification status       kycdash status
    --------------------------------  ------------------------  --------------
    pending                           -                         pending
    connected, in_progress,           -                         in_progress
    processing
    completed                         none yet, processing,     in_progress
                                      pending
    any                               approved                  approved
    any                               rejected                  rejected
    any                               manual_review             needs_review
    any                               failed                    failed
    completed                         anything else (new)       needs_review
    failed                            none, undecided or new    failed
    expired                           none, undecided or new    expired
    anything else (new values)        none, undecided or new    in_progress

``provider_status`` is the session status verbatim, followed by `` / <verification
status>`` when there is a verification (e.g. ``completed / manual_review``).
``review_requested`` is set for ``manual_review``; ``review_reason`` then says so with
Flonk's confidence. ``overall_score`` is the verification's ``confidence`` (0..1) times 100.

Routing signals:

- ``duplicate_verification.is_duplicate`` -> ``AntifraudResult(result="failed",
  step_name="duplicate_verification", colliding_external_id=previous_verification_id)``
  and a RelatedSession ``previous_verification``; ``reuse_source`` -> a RelatedSession
  ``reuse_source`` (its ``original_attempt_id``, the mode as status).
- PoA: ``PoaData.confidence`` is Flonk's ``confidenceScore``, ``field_scores`` its
  ``confidenceBreakdown.fieldScores``, ``manual_review_requested`` is ``poaStatus ==
  "manual_review"``. Once a person decided the PoA at Flonk (``approved``, ``rejected``)
  ``PoaData.decided`` is set, so the project's thresholds do not reopen a decided PoA on
  the next read.
- ``test_mode`` is the session's ``testMode`` (else the verification's ``test_mode``,
  else the secret key's prefix: ``sk_test_``).

Write-back mapping:

    queue      outcome                 Flonk call
    ---------  ----------------------  -------------------------------------------------
    status     approve / reject        POST /v1/sessions/{id}/verification/status
                                       {"status": "approved"|"rejected", "reason",
                                       "reviewedBy"}
    poa        approve / reject        POST /v1/sessions/{id}/poa/status (same body)
    antifraud  any                     none: the document has no call to resolve a
                                       duplicate, so the decision stays local
                                       (supported=False)

``reason`` is the decision's reason code, ``reviewedBy`` the reviewer's username. The
decision's note goes to ``POST /v1/sessions/{id}/notes`` (the SDK's AddNoteDto) after
the decision, with the idempotency key ``<key>:note``; the decision itself carries the
WriteBackRequest's key. Provider errors propagate as the typed ProviderError
subclasses; an outcome that does not belong to its queue raises ValueError.

Webhooks: ``verification.completed``, ``verification.status_changed`` and
``verification.updated`` mean "re-read this session" (``data.object.id``); other types
are stored and ignored. Signatures:

- ``X-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]``: HMAC-SHA256 of ``"<t>.<raw body>"``
  with the connection's webhook secret, compared in constant time; any ``v1`` may
  match; ``t`` must be within 300 s of now, either way.
- ``X-Signature-256: sha256=<hex>``: HMAC-SHA256 of the raw body; carries no
  timestamp, so it is accepted only when ``connection.options["accept_legacy_signature"]``
  is true, and only when no ``X-Signature`` came along (a stale ``X-Signature`` is not
  rescued by the legacy one). Replays are stopped by storing each event id once.

A bad or missing signature is 401; a signed body that is not a Flonk event is 400.
The event body is never taken as session data: the session is re-read through the API.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Final

from django.conf import settings

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
    RelatedSession,
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
from providers.flonk.client import (
    IMAGE_TYPES,
    LIST_PAGE_SIZE,
    FlonkClient,
    JsonObject,
    WriteResponse,
    parse_datetime,
)
from providers.http import client_session
from providers.normalize import fraction as _fraction
from providers.normalize import iso_date as _date
from providers.normalize import label as _label
from providers.normalize import obj as _obj
from providers.normalize import text as _text
from providers.registry import register

if TYPE_CHECKING:
    from providers.models import ProviderConnection

logger = logging.getLogger(__name__)

SIGNATURE_HEADER: Final = "X-Signature"
LEGACY_SIGNATURE_HEADER: Final = "X-Signature-256"
SIGNATURE_TOLERANCE_SECONDS: Final = 300
EVENT_TYPES: Final = frozenset(
    {"verification.completed", "verification.status_changed", "verification.updated"}
)
EVENT_ID_MAX_CHARS: Final = 200
EXTERNAL_ID_MAX_CHARS: Final = 200
HEX_DIGEST: Final = re.compile(r"[0-9a-fA-F]{64}")

PENDING_SESSION_STATUSES: Final = frozenset({"pending", ""})
ACTIVE_SESSION_STATUSES: Final = frozenset({"connected", "in_progress", "processing"})
STATUS_BY_VERIFICATION: Final = {
    "approved": SessionStatus.APPROVED,
    "rejected": SessionStatus.REJECTED,
    "manual_review": SessionStatus.NEEDS_REVIEW,
    "failed": SessionStatus.FAILED,
}
UNDECIDED_VERIFICATION: Final = frozenset({"", "pending", "processing", "queued"})
VERIFICATION_CHECK: Final = {
    "approved": CheckStatus.OK,
    "rejected": CheckStatus.FAIL,
    "manual_review": CheckStatus.MANUAL,
    "failed": CheckStatus.FAIL,
}
POA_CHECK: Final = {
    "auto_approved": CheckStatus.OK,
    "approved": CheckStatus.OK,
    "manual_review": CheckStatus.MANUAL,
    "rejected": CheckStatus.FAIL,
    "pending": CheckStatus.UNKNOWN,
}
# PoA statuses a person set: the thresholds no longer apply.
POA_DECIDED: Final = frozenset({"approved", "rejected"})
EVIDENCE_KINDS: Final = {
    "front": EvidenceKind.FRONT,
    "main": EvidenceKind.FRONT,  # a passport's data page is its front
    "back": EvidenceKind.BACK,
    "face": EvidenceKind.SELFIE,
    "poa": EvidenceKind.POA,
}
# Fields of SessionDetailsDto that carry the widget's session token: not kept in raw.
TOKEN_FIELDS: Final = ("embedToken", "qrCodeUrl")
OUTCOME_STATUS: Final = {"approve": "approved", "reject": "rejected"}


# ---------------------------------------------------------------- small readers


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 2)


# ---------------------------------------------------------------- normalization


def map_status(session_status: str, verification_status: str | None) -> str:
    """kycdash's status for Flonk's session status and verification status (None: none)."""
    session_status = (session_status or "").lower()
    verification = (verification_status or "").lower() if verification_status is not None else None
    if verification in STATUS_BY_VERIFICATION:
        return STATUS_BY_VERIFICATION[verification]
    if session_status in PENDING_SESSION_STATUSES:
        return SessionStatus.PENDING
    if session_status in ACTIVE_SESSION_STATUSES:
        return SessionStatus.IN_PROGRESS
    if session_status == "completed":
        if verification is None or verification in UNDECIDED_VERIFICATION:
            return SessionStatus.IN_PROGRESS
        logger.warning("flonk: unrecognized verification status, sent for review")
        return SessionStatus.NEEDS_REVIEW
    if session_status == "failed":
        return SessionStatus.FAILED
    if session_status == "expired":
        return SessionStatus.EXPIRED
    logger.warning("flonk: unrecognized session status, treated as in progress")
    return SessionStatus.IN_PROGRESS


def person_from(verification: JsonObject, session: JsonObject) -> PersonData:
    data = _obj(verification, "extracted_data")
    first, last = _text(data.get("first_name")), _text(data.get("last_name"))
    metadata = _obj(session, "clientMetadata") or _obj(verification, "client_metadata")
    email = _text(metadata.get("email"))
    return PersonData(
        full_name=_text(data.get("full_name")) or " ".join(p for p in (first, last) if p),
        first_name=first,
        last_name=last,
        birth_date=_date(data.get("date_of_birth")),
        gender=_text(data.get("sex")),
        nationality=_text(data.get("nationality")),
        document_type=_text(verification.get("document_type")),
        expiry_date=_date(data.get("expiry_date")),
        email=email if "@" in email else "",
    )


def _check(
    key: str, status: str, *, group: str, value: str = "", label: str = "", wording: str = ""
) -> Check:
    return Check(
        key=key,
        status=status,
        group=group,
        value=value,
        label=label or _label(key),
        provider_wording=wording,
    )


def _duplicate_wording(duplicate: JsonObject, is_duplicate: bool, similarity: float | None) -> str:
    parts = [f"is_duplicate={str(is_duplicate).lower()}"]
    if is_duplicate:
        parts.append(f"match_type={_text(duplicate.get('match_type'))}")
        if similarity is not None:
            parts.append(f"similarity={similarity:.2f}")
    return ", ".join(parts)


def checks_from(verification: JsonObject, poa: JsonObject) -> tuple[Check, ...]:
    checks: list[Check] = []
    status = _text(verification.get("status")).lower()
    if status:
        confidence = _fraction(verification.get("confidence"))
        checks.append(
            _check(
                "verification",
                VERIFICATION_CHECK.get(status, CheckStatus.UNKNOWN),
                group="verification",
                value="" if confidence is None else f"{confidence:.2f}",
                label="Automated verification",
                wording=_text(verification.get("status")),
            )
        )
    reason = _text(verification.get("rejection_reason"))
    if reason:
        checks.append(
            _check(
                "rejection_reason",
                CheckStatus.FAIL,
                group="verification",
                value=reason,
                label="Rejection reason",
                wording=reason,
            )
        )
    duplicate = _obj(verification, "duplicate_verification")
    if "is_duplicate" in duplicate:
        is_duplicate = duplicate.get("is_duplicate") is True
        similarity = _fraction(duplicate.get("similarity_score"))
        checks.append(
            _check(
                "duplicate_verification",
                CheckStatus.FAIL if is_duplicate else CheckStatus.OK,
                group="antifraud",
                value=_text(duplicate.get("previous_verification_id")) if is_duplicate else "",
                label="Duplicate of an earlier verification",
                wording=_duplicate_wording(duplicate, is_duplicate, similarity),
            )
        )
    reuse = _obj(verification, "reuse_source")
    if reuse.get("is_reused") is True:
        checks.append(
            _check(
                "reuse_source",
                CheckStatus.OK,
                group="reuse",
                value=_text(reuse.get("mode")),
                label="Reused a verified identity",
                wording=_text(reuse.get("mode")),
            )
        )
    poa_verification = _obj(verification, "poa_verification")
    poa_status = _text(poa.get("poaStatus")) or _text(poa_verification.get("status"))
    if poa_status:
        confidence = _fraction(poa.get("confidenceScore"))
        if confidence is None:
            confidence = _fraction(poa_verification.get("confidence_score"))
        checks.append(
            _check(
                "poa",
                POA_CHECK.get(poa_status.lower(), CheckStatus.UNKNOWN),
                group="poa",
                value="" if confidence is None else f"{confidence:.2f}",
                label="Proof of address",
                wording=poa_status,
            )
        )
    if isinstance(poa_verification.get("address_match"), bool):
        match = poa_verification["address_match"]
        checks.append(
            _check(
                "poa.address_match",
                CheckStatus.OK if match else CheckStatus.WARN,
                group="poa",
                value=str(match).lower(),
                label="PoA address matches",
                wording=f"address_match={str(match).lower()}",
            )
        )
    breakdown = _obj(poa, "confidenceBreakdown")
    achieved, total = breakdown.get("achievedWeight"), breakdown.get("totalWeight")
    if isinstance(achieved, int | float) and isinstance(total, int | float) and total:
        checks.append(
            _check(
                "poa.weights",
                CheckStatus.OK if achieved >= total else CheckStatus.WARN,
                group="poa",
                value=f"{achieved:g} of {total:g}",
                label="PoA weighted fields",
                wording=f"achievedWeight={achieved:g}, totalWeight={total:g}",
            )
        )
    for name, score in poa_field_scores(poa).items():
        checks.append(
            _check(
                f"poa.{name}",
                _field_check(score),
                group="poa",
                value=f"{score:g}",
                label=f"PoA {_label(name).lower()}",
                wording=f"fieldScores.{name}={score:g}",
            )
        )
    return tuple(checks)


def _field_check(score: float) -> str:
    """A PoA field Flonk matched fully is OK, partly a warning, not at all a failure."""
    if score >= 1.0:
        return CheckStatus.OK
    return CheckStatus.WARN if score > 0 else CheckStatus.FAIL


def poa_field_scores(poa: JsonObject) -> dict[str, float]:
    scores: dict[str, float] = {}
    for name, value in _obj(poa, "confidenceBreakdown", "fieldScores").items():
        score = _fraction(value)
        if isinstance(name, str) and name and score is not None:
            scores[name] = score
    return scores


def poa_from(poa: JsonObject, verification: JsonObject) -> PoaData | None:
    """The proof of address from Flonk's PoA read, else from ``poa_verification``."""
    poa_verification = _obj(verification, "poa_verification")
    read = _text(poa.get("status")).lower()
    has_read = read != "not_found" and bool(
        poa.get("poaStatus") or poa.get("data") or poa.get("confidenceScore") is not None
    )
    if not has_read and not poa_verification:
        return None
    status = _text(poa.get("poaStatus")) if has_read else ""
    status = status or _text(poa_verification.get("status"))
    confidence = _fraction(poa.get("confidenceScore")) if has_read else None
    if confidence is None and has_read:
        confidence = _fraction(_obj(poa, "confidenceBreakdown").get("confidenceScore"))
    if confidence is None:
        confidence = _fraction(poa_verification.get("confidence_score"))
    data = _obj(poa, "data") if has_read else {}
    city_line = " ".join(p for p in (_text(data.get("postalCode")), _text(data.get("city"))) if p)
    address = ", ".join(
        p for p in (_text(data.get("address")), city_line, _text(data.get("country"))) if p
    )
    return PoaData(
        confidence=confidence,
        name=_text(data.get("fullName")),
        address=address or _text(poa_verification.get("verified_address")),
        document_type=_text(data.get("documentType")),
        issue_date=_date(data.get("issueDate")),
        field_scores=poa_field_scores(poa) if has_read else {},
        provider_status=status,
        manual_review_requested=status.lower() == "manual_review",
        decided=status.lower() in POA_DECIDED,
    )


def antifraud_from(verification: JsonObject) -> AntifraudResult | None:
    duplicate = _obj(verification, "duplicate_verification")
    if "is_duplicate" not in duplicate:
        return None
    if duplicate.get("is_duplicate") is not True:
        return AntifraudResult(result="passed", step_name="duplicate_verification")
    match_type = _text(duplicate.get("match_type")).replace("_", " ")
    similarity = _fraction(duplicate.get("similarity_score"))
    verified = _text(duplicate.get("previous_verified_at"))
    detail = "Matches an earlier verification"
    if match_type:
        detail += f" by {match_type}"
    if similarity is not None:
        detail += f" (similarity {similarity:.2f})"
    if verified:
        detail += f", verified {verified}"
    return AntifraudResult(
        result="failed",
        step_name="duplicate_verification",
        colliding_external_id=_text(duplicate.get("previous_verification_id")),
        detail=f"{detail}.",
    )


def related_from(verification: JsonObject) -> tuple[RelatedSession, ...]:
    related: list[RelatedSession] = []
    duplicate = _obj(verification, "duplicate_verification")
    previous = _text(duplicate.get("previous_verification_id"))
    if duplicate.get("is_duplicate") is True and previous:
        related.append(
            RelatedSession(
                external_id=previous,
                relation="previous_verification",
                status=_text(duplicate.get("match_type")),
                created_at=parse_datetime(duplicate.get("previous_verified_at")),
            )
        )
    reuse = _obj(verification, "reuse_source")
    original = _text(reuse.get("original_attempt_id"))
    if reuse.get("is_reused") is True and original:
        related.append(
            RelatedSession(
                external_id=original,
                relation="reuse_source",
                status=_text(reuse.get("mode")),
                created_at=parse_datetime(reuse.get("original_completed_at")),
            )
        )
    return tuple(related)


def scores_from(verification: JsonObject, poa: JsonObject) -> dict[str, float]:
    """Flonk's 0..1 confidences as kycdash's 0..100 scores."""
    duplicate = _obj(verification, "duplicate_verification")
    poa_confidence = _fraction(poa.get("confidenceScore"))
    if poa_confidence is None:
        poa_confidence = _fraction(_obj(verification, "poa_verification").get("confidence_score"))
    candidates = {
        "confidence": _fraction(verification.get("confidence")),
        "poa_confidence": poa_confidence,
        "duplicate_similarity": _fraction(duplicate.get("similarity_score"))
        if duplicate.get("is_duplicate") is True
        else None,
    }
    return {name: round(value * 100, 2) for name, value in candidates.items() if value is not None}


def _without_tokens(session: JsonObject) -> JsonObject:
    return {k: v for k, v in session.items() if k not in TOKEN_FIELDS}


def normalize(
    external_id: str,
    *,
    session: JsonObject,
    verification: JsonObject | None,
    poa: JsonObject | None,
    evidence: tuple[EvidenceFile, ...] = (),
    images: tuple[str, ...] = (),
    key_test_mode: bool = False,
) -> SessionSnapshot:
    """One SessionSnapshot from Flonk's session, verification and PoA payloads (no I/O)."""
    verification_obj = verification or {}
    poa_obj = poa or {}
    session_status = _text(session.get("status")).lower()
    verification_status = (
        _text(verification_obj.get("status")).lower() if verification is not None else None
    )
    status = map_status(session_status, verification_status)
    provider_status = " / ".join(
        p for p in (session_status or "pending", verification_status or "") if p
    )
    confidence = _fraction(verification_obj.get("confidence"))
    review_requested = verification_status == "manual_review"
    review_reason = ""
    if review_requested:
        review_reason = "Flonk's automated verification asks for manual review"
        if confidence is not None:
            review_reason += f" (confidence {confidence:.2f})"

    test_mode = session.get("testMode")
    if not isinstance(test_mode, bool):
        test_mode = verification_obj.get("test_mode")
    if not isinstance(test_mode, bool):
        test_mode = key_test_mode

    return SessionSnapshot(
        external_id=external_id,
        status=status,
        provider_status=provider_status,
        person=person_from(verification_obj, session),
        checks=checks_from(verification_obj, poa_obj),
        scores=scores_from(verification_obj, poa_obj),
        overall_score=_percent(confidence),
        antifraud=antifraud_from(verification_obj),
        poa=poa_from(poa_obj, verification_obj),
        review_requested=review_requested,
        review_reason=review_reason,
        watchlist_hit=False,  # Flonk reports no watchlist screening
        evidence=evidence,
        related_sessions=related_from(verification_obj),
        started_at=parse_datetime(session.get("createdAt")),
        updated_at=parse_datetime(session.get("updatedAt"))
        or parse_datetime(verification_obj.get("updated_at")),
        test_mode=test_mode,
        raw={
            "session": _without_tokens(session),
            "verification": verification_obj,
            "poa": poa_obj,
            "images": list(images),
        },
    )


# ---------------------------------------------------------------- webhook signatures


def _hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _matches(expected_hex: str, candidates: list[str]) -> bool:
    """Constant-time comparison against every candidate (no early exit on a match)."""
    found = False
    for candidate in candidates:
        if secrets_match(candidate.lower(), expected_hex):
            found = True
    return found


def parse_signature_header(value: str) -> tuple[int | None, list[str]]:
    """``t=<unix>,v1=<hex>[,v1=<hex>…]`` -> (t, [v1 hex digests]); other schemes ignored."""
    timestamp: int | None = None
    signatures: list[str] = []
    for part in value.split(","):
        key, _, item = part.strip().partition("=")
        item = item.strip()
        if key == "t" and timestamp is None and item.isascii() and item.isdigit():
            timestamp = int(item)
        elif key == "v1" and HEX_DIGEST.fullmatch(item):
            signatures.append(item)
    return timestamp, signatures


def verify_timestamp_signature(
    header: str,
    body: bytes,
    secret: str,
    *,
    now: float,
    tolerance: int = SIGNATURE_TOLERANCE_SECONDS,
) -> None:
    """Raise WebhookRejected(401) unless ``header`` signs ``body`` within the tolerance."""
    timestamp, signatures = parse_signature_header(header)
    if timestamp is None or not signatures:
        raise WebhookRejected(f"{SIGNATURE_HEADER} is not t=<unix>,v1=<hex>", status=401)
    if abs(now - timestamp) > tolerance:
        raise WebhookRejected(
            f"{SIGNATURE_HEADER} timestamp is outside the {tolerance} s tolerance", status=401
        )
    expected = _hmac_hex(secret, str(timestamp).encode() + b"." + body)
    if not _matches(expected, signatures):
        raise WebhookRejected(f"{SIGNATURE_HEADER} does not match the body", status=401)


def verify_legacy_signature(header: str, body: bytes, secret: str) -> None:
    """Raise WebhookRejected(401) unless ``header`` is ``sha256=<hex>`` of ``body``."""
    scheme, _, digest = header.strip().partition("=")
    if scheme != "sha256" or not HEX_DIGEST.fullmatch(digest.strip()):
        raise WebhookRejected(f"{LEGACY_SIGNATURE_HEADER} is not sha256=<hex>", status=401)
    if not _matches(_hmac_hex(secret, body), [digest.strip()]):
        raise WebhookRejected(f"{LEGACY_SIGNATURE_HEADER} does not match the body", status=401)


# ---------------------------------------------------------------- the adapter


@register
class FlonkAdapter(ProviderAdapter):
    """Flonk KYC: sessions in, status and proof-of-address decisions (and notes) out."""

    name = "flonk"
    label = "Flonk KYC"
    capabilities = frozenset(
        {
            Capability.WEBHOOK,
            Capability.SYNC,
            Capability.EVIDENCE,
            Capability.WRITE_STATUS,
            Capability.WRITE_POA,
        }
    )
    credential_fields = ("secret_key",)
    sensitive_parameters = ("secret_key",)
    webhook_secret_header = ""  # Flonk signs its webhooks: the secret never travels
    session_event_types = EVENT_TYPES
    list_page_size = LIST_PAGE_SIZE

    def __init__(self, connection: ProviderConnection, *, client: FlonkClient | None = None):
        super().__init__(connection)
        self._client = client

    def _session(self) -> AbstractContextManager[FlonkClient]:
        return client_session(self._client, lambda: FlonkClient.from_connection(self.connection))

    @property
    def accepts_legacy_signature(self) -> bool:
        return (self.connection.options or {}).get("accept_legacy_signature") is True

    # ------------------------------------------------------------ intake

    def verify_webhook(self, request: WebhookRequest, *, now: float | None = None) -> InboundEvent:
        secret = self.connection.webhook_secret or ""
        if not secret:
            raise WebhookRejected("the connection has no webhook secret", status=401)
        signature = header(request.headers, SIGNATURE_HEADER)
        legacy = header(request.headers, LEGACY_SIGNATURE_HEADER)
        if signature:
            verify_timestamp_signature(
                signature, request.body, secret, now=time.time() if now is None else now
            )
        elif legacy:
            if not self.accepts_legacy_signature:
                raise WebhookRejected(
                    f"{LEGACY_SIGNATURE_HEADER} is not accepted on this connection; "
                    f"Flonk must send {SIGNATURE_HEADER}",
                    status=401,
                )
            verify_legacy_signature(legacy, request.body, secret)
        else:
            raise WebhookRejected(f"missing {SIGNATURE_HEADER}", status=401)
        return self._event(request.body)

    @staticmethod
    def _event(body: bytes) -> InboundEvent:
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, ValueError):
            raise WebhookRejected("the body is not JSON", status=400) from None
        if not isinstance(payload, dict):
            raise WebhookRejected("the body is not a JSON object", status=400)
        event_id, event_type = payload.get("id"), payload.get("type")
        if not isinstance(event_id, str) or not event_id.strip():
            raise WebhookRejected("the event has no id", status=400)
        if len(event_id.strip()) > EVENT_ID_MAX_CHARS:
            raise WebhookRejected("the event id is too long", status=400)
        if not isinstance(event_type, str) or not event_type.strip():
            raise WebhookRejected("the event has no type", status=400)
        obj = _obj(payload, "data", "object")
        session_id = obj.get("id")
        session_id = session_id.strip() if isinstance(session_id, str) else ""
        if len(session_id) > EXTERNAL_ID_MAX_CHARS:
            raise WebhookRejected("data.object.id is too long", status=400)
        if event_type in EVENT_TYPES and not session_id:
            raise WebhookRejected("data.object.id is missing", status=400)
        return InboundEvent(
            event_id=event_id.strip(),
            event_type=event_type.strip(),
            external_id=session_id,
            payload=payload,
        )

    def iter_session_ids(self, *, since: dt.datetime | None = None) -> Iterator[str]:
        with self._session() as client:
            for summary in client.iter_sessions(updated_since=since, limit=self.list_page_size):
                yield summary.session_id

    def fetch_snapshot(self, external_id: str, *, with_evidence: bool = True) -> SessionSnapshot:
        with self._session() as client:
            session = client.get_session(external_id)
            session_status = _text(session.get("status")).lower()
            verification = None
            # Only a session past the widget can have a verification (unknown new statuses
            # are asked too: the 409 of a session without one is answered as None).
            if session_status not in PENDING_SESSION_STATUSES | ACTIVE_SESSION_STATUSES:
                verification = client.get_verification(external_id)
            poa = client.get_poa(external_id) if verification is not None else None
            evidence: tuple[EvidenceFile, ...] = ()
            listed: tuple[str, ...] = ()
            if with_evidence:
                evidence, listed = self._evidence(client, external_id)
            key_test_mode = client.test_mode
        return normalize(
            external_id,
            session=session,
            verification=verification,
            poa=poa,
            evidence=evidence,
            images=listed,
            key_test_mode=key_test_mode,
        )

    def _evidence(
        self, client: FlonkClient, external_id: str
    ) -> tuple[tuple[EvidenceFile, ...], tuple[str, ...]]:
        files = []
        listed = client.list_images(external_id)
        for info in listed:
            kind = EVIDENCE_KINDS.get(info.image_type)
            if kind is None or info.image_type not in IMAGE_TYPES:
                continue
            if info.size is not None and info.size > settings.EVIDENCE_MAX_BYTES:
                logger.warning("flonk: %s image over the evidence size limit, skipped", kind)
                continue
            file = evidence_file(
                kind=kind,
                content=client.download_image(external_id, info.image_type),
                external_ref=info.image_type,
                stem=info.image_type,
                provider="flonk",
            )
            if file is not None:
                files.append(file)
        return tuple(files), tuple(info.image_type for info in listed)

    # ------------------------------------------------------------ output

    def write_decision(self, request: WriteBackRequest) -> WriteBackResult:
        if request.queue == "antifraud":
            return WriteBackResult(supported=False)
        status = OUTCOME_STATUS.get(request.outcome)
        if status is None or request.queue not in ("status", "poa"):
            raise ValueError(
                f"no Flonk write-back for {request.outcome!r} in queue {request.queue!r}"
            )
        with self._session() as client:
            decision = self._decide(client, request, status)
            response: dict[str, Any] = {"decision": decision.body}
            if request.note.strip():
                note = client.add_note(
                    request.external_id,
                    request.note,
                    author=request.reviewer,
                    idempotency_key=f"{request.idempotency_key}:note",
                )
                response["note"] = note.body
        return WriteBackResult(supported=True, status_code=decision.status_code, response=response)

    @staticmethod
    def _decide(client: FlonkClient, request: WriteBackRequest, status: str) -> WriteResponse:
        call = (
            client.update_verification_status
            if request.queue == "status"
            else client.update_poa_status
        )
        return call(
            request.external_id,
            status,
            reason=request.reason.strip(),
            reviewed_by=request.reviewer,
            idempotency_key=request.idempotency_key,
        )

    def test_connection(self) -> None:
        with self._session() as client:
            client.list_sessions(limit=1)
