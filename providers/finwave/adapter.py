"""Finwave Digital Onboarding adapter: Finwave's onboardings as SessionSnapshots.

Follows ``docs/providers/finwave-digital-onboarding.txt``; the HTTP side and the choices
made where that document is silent (error bodies, the evidence download's method, the
OCR field names, the webhook's URL secret…) are in ``client.py``.

A snapshot is read from ``GET /integrations/:onboardingId/result`` and, when the result
names evidence files, the ZIP of ``/integrations/:onboardingId/evidences``, unpacked by
``archive.py`` (only the files the result names; an unsafe archive stores nothing).

Status mapping (the result's ``status``, then what the result holds):

    status        the result                                           kycdash status
    ------------  ---------------------------------------------------  --------------
    CREATED       -                                                    pending
    INPROCESS     -                                                    in_progress
    INCOMPLETED   - (the user abandoned: Finwave's verdict on the      failed
                  process, not the clock's, which is TIMEOUT)
    TIMEOUT       -                                                    expired
    FINISHED      a step of ``processStatus.steps`` is false           rejected
    FINISHED      otherwise any finding (below)                        needs_review
    FINISHED      no finding                                           approved
    anything else (a new value)                                        in_progress

Findings of a FINISHED onboarding: ``processStatus.errorEvent`` is set; an
``ocr.validations`` or ``ocr.authenticity`` entry is false; no OCR validation was
reported at all; a ``biometry`` move (head, blink, smile) did not succeed; a
mandatory acceptation was not accepted; ``processStatus.score`` is under the
connection's ``options["review_below_score"]`` (default 60, on Finwave's 0-100 scale).
A needs_review snapshot has ``review_requested`` set and ``review_reason`` listing the
findings, the errorEvent first in Finwave's words (``OCR_ERROR: Error in the OCR
process``), so routing opens a ``status`` task. The errorEvent is also a failed Check
(group ``process``) whatever the status, and ``provider_status`` is the status
verbatim followed by `` / <errorEvent>`` when there is one (``FINISHED / OCR_ERROR``).
``overall_score`` is ``processStatus.score`` once FINISHED (before, the document says
the result is partial) and ``scores`` hold ``overall`` and ``liveness``
(``biometry.score``).

Checks: ``steps.<name>`` (null steps are not part of the process and are left out),
``acceptations.<n>``, ``ocr.<FIELD>`` (a field whose ``validity_status`` or ``status``
is false fails; values are not copied into checks: they are personal data and live in
``person``), ``authenticity.<NAME>``, ``validations.<NAME>``, ``biometry.<move>`` and
``process.errorEvent``; ``provider_wording`` is Finwave's own value.

Evidence: ``idDocumentFront`` -> front, ``idDocumentReverse`` -> back,
``biometryTargetImage`` -> selfie, ``biometryBlink`` and ``biometrySmile`` ->
video_frame, the OCR's base64 ``PORTRAIT`` -> portrait (``SIGNATURE`` -> other).
``fullVideo`` is not imported: kycdash stores images and PDFs, and the video stays at
Finwave. A named file that is not an image is skipped with a warning.

Decisions stay local: Finwave has no endpoint that takes a decision, so every queue's
write-back is ``supported=False`` and no write capability is declared. Finwave has no
listing either (no SYNC: ``iter_session_ids`` raises NotImplementedError).

Webhook: unsigned; the connection's secret travels in the URL path
(``/webhooks/<connection id>/<secret>/``) and is compared in constant time with
``connection.webhook_secret``; the event id is the SHA-256 of the raw body; the event
type is ``onboarding.<result in lower case>`` (an unknown result is stored as
``onboarding.unrecognized`` and ignored); only ``onboardingId`` is used and the
onboarding is re-read through the API.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import logging
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Final

from django.conf import settings

from providers.base import (
    Capability,
    Check,
    CheckStatus,
    EvidenceFile,
    EvidenceKind,
    InboundEvent,
    PersonData,
    ProviderAdapter,
    ProviderError,
    SessionSnapshot,
    SessionStatus,
    WebhookRejected,
    WebhookRequest,
    WriteBackRequest,
    WriteBackResult,
    secrets_match,
)
from providers.finwave.archive import unpack_evidence
from providers.finwave.client import (
    PROVIDER,
    STATUSES,
    FinwaveClient,
    JsonObject,
    ms_to_datetime,
    valid_onboarding_id,
)
from providers.http import client_session
from providers.normalize import fraction as _fraction
from providers.normalize import obj as _obj
from providers.normalize import score as _score
from providers.normalize import text as _text
from providers.registry import register

if TYPE_CHECKING:
    from providers.models import ProviderConnection

logger = logging.getLogger(__name__)

DEFAULT_REVIEW_BELOW_SCORE: Final = 60.0
REVIEW_REASON_MAX_CHARS: Final = 300
EVENT_TYPES: Final = {status: f"onboarding.{status.lower()}" for status in STATUSES}
UNRECOGNIZED_EVENT: Final = "onboarding.unrecognized"
CUSTOM_ID_MAX_CHARS: Final = 200

STATUS_MAP: Final = {
    "CREATED": SessionStatus.PENDING,
    "INPROCESS": SessionStatus.IN_PROGRESS,
    "INCOMPLETED": SessionStatus.FAILED,
    "TIMEOUT": SessionStatus.EXPIRED,
}
# processStatus.errorEvent -> the document's description of it
ERROR_EVENTS: Final = {
    "TIME_EXPIRED": "Time to perform the onboarding process expired",
    "USER_LEAVES_PROCESS": "The user abandons the process",
    "SMS_EXCEEDED": "Maximum number of SMS messages exceeded",
    "OTP_VALIDATION_EXCEEDED": "The maximum number of validation of a code sent by SMS has "
    "been exceeded",
    "OCR_RETRIES_EXCEEDED": "Maximum number of OCR attempts exceeded",
    "OCR_ERROR": "Error in the OCR process",
}
STEP_LABELS: Final = {
    "acceptation": "Acceptations step",
    "ocr": "Document (OCR) step",
    "biometry": "Biometry step",
    "sms": "SMS verification step",
}
BIOMETRY_MOVES: Final = (("head", "Head movements"), ("blink", "Blink"), ("smile", "Smile"))
# result.evidences key -> kind; fullVideo is left at Finwave (see the module docstring)
EVIDENCE_ROLES: Final = (
    ("idDocumentFront", EvidenceKind.FRONT),
    ("idDocumentReverse", EvidenceKind.BACK),
    ("biometryTargetImage", EvidenceKind.SELFIE),
    ("biometryBlink", EvidenceKind.VIDEO_FRAME),
    ("biometrySmile", EvidenceKind.VIDEO_FRAME),
)
OCR_IMAGE_KINDS: Final = {"PORTRAIT": EvidenceKind.PORTRAIT, "SIGNATURE": EvidenceKind.OTHER}
# PersonData field -> OCR field names, first present wins (client.py choice (h))
PERSON_FIELDS: Final = {
    "first_name": ("NAME", "GIVEN_NAMES", "FIRST_NAME"),
    "last_name": ("SURNAME", "LAST_NAME"),
    "full_name": ("FULL_NAME",),
    "document_number": ("DOCUMENT_NUMBER",),
    "birth_date": ("DATE_OF_BIRTH", "BIRTH_DATE"),
    "expiry_date": ("DATE_OF_EXPIRY", "EXPIRY_DATE"),
    "gender": ("SEX", "GENDER"),
    "nationality": ("NATIONALITY",),
    "issuing_country": ("ISSUING_STATE", "ISSUING_COUNTRY"),
    "address": ("ADDRESS",),
}
DATE_FIELDS: Final = frozenset({"birth_date", "expiry_date"})
_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_YMD = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
IMAGE_MAGIC: Final = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"%PDF-")


# ---------------------------------------------------------------- small readers


def _list(data: Any, key: str) -> list[JsonObject]:
    value = data.get(key) if isinstance(data, dict) else None
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _wording(value: Any) -> str:
    """Finwave's value as it said it (``true``, ``false``, ``null``, a word)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return _text(value)


def _moment(value: Any) -> dt.datetime | None:
    """``{"date", "timestamp"}``: the timestamp (ms, UTC), else the date read as UTC."""
    if not isinstance(value, dict):
        return None
    moment = ms_to_datetime(value.get("timestamp"))
    if moment is not None:
        return moment
    try:
        parsed = dt.datetime.strptime(_text(value.get("date")), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    return parsed.replace(tzinfo=dt.UTC)


def parse_date(value: str) -> dt.date | None:
    """An OCR date: DD/MM/YYYY, DD.MM.YYYY, DD-MM-YYYY or YYYY-MM-DD."""
    text = value.strip()
    try:
        if match := _YMD.fullmatch(text):
            year, month, day = (int(g) for g in match.groups())
            return dt.date(year, month, day)
        if match := _DMY.fullmatch(text):
            day, month, year = (int(g) for g in match.groups())
            return dt.date(year, month, day)
    except ValueError:
        return None
    return None


def _bool_check(key: str, value: Any, *, group: str, label: str) -> Check:
    """A check from one of Finwave's booleans (anything else is unknown)."""
    if value is True:
        status = CheckStatus.OK
    elif value is False:
        status = CheckStatus.FAIL
    else:
        status = CheckStatus.UNKNOWN
    return Check(key=key, status=status, group=group, label=label, provider_wording=_wording(value))


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize() if name else name


# ---------------------------------------------------------------- normalization


def map_status(finwave_status: str, *, failed_step: bool = False, findings: bool = False) -> str:
    """kycdash's status for Finwave's ``status`` and what the result holds."""
    if finwave_status in STATUS_MAP:
        return STATUS_MAP[finwave_status]
    if finwave_status == "FINISHED":
        if failed_step:
            return SessionStatus.REJECTED
        return SessionStatus.NEEDS_REVIEW if findings else SessionStatus.APPROVED
    logger.warning("finwave: unrecognized status, treated as in progress")
    return SessionStatus.IN_PROGRESS


def _ocr_value(field: JsonObject) -> str:
    value = _text(field.get("value"))
    if value:
        return value
    for source in _list(field, "sources"):
        value = _text(source.get("value"))
        if value:
            return value
    return ""


def _ocr_confidence(field: JsonObject) -> float | None:
    found = [_fraction(s.get("probability")) for s in _list(field, "sources")]
    found = [p for p in found if p is not None]
    return max(found) if found else _fraction(field.get("probability"))


def person_from_ocr(ocr: JsonObject) -> PersonData:
    fields = {_text(f.get("name")).upper(): f for f in _list(ocr, "fields") if _text(f.get("name"))}
    values: dict[str, Any] = {}
    confidences: dict[str, float] = {}
    for target, names in PERSON_FIELDS.items():
        for name in names:
            field = fields.get(name)
            if field is None or not _ocr_value(field):
                continue
            text = " ".join(_ocr_value(field).split())
            values[target] = parse_date(text) if target in DATE_FIELDS else text
            confidence = _ocr_confidence(field)
            if confidence is not None:
                confidences[target] = confidence
            break
    first, last = values.get("first_name", ""), values.get("last_name", "")
    full = values.get("full_name") or " ".join(p for p in (first, last) if p)
    if "full_name" not in confidences and first and last:
        parts = [confidences.get("first_name"), confidences.get("last_name")]
        if all(p is not None for p in parts):
            confidences["full_name"] = min(parts)  # type: ignore[type-var]
    types = sorted(
        _list(ocr, "types"),
        key=lambda t: _fraction(t.get("probability")) or 0.0,
        reverse=True,
    )
    best_type = types[0] if types else {}
    return PersonData(
        full_name=full,
        first_name=first,
        last_name=last,
        birth_date=values.get("birth_date"),
        gender=values.get("gender", ""),
        nationality=values.get("nationality", ""),
        document_type=_text(best_type.get("name")),
        document_number=values.get("document_number", ""),
        issuing_country=values.get("issuing_country") or _text(best_type.get("country")),
        expiry_date=values.get("expiry_date"),
        address=values.get("address", ""),
        confidences=confidences,
    )


def checks_from_result(result: JsonObject) -> tuple[Check, ...]:
    checks: list[Check] = []
    process = _obj(result, "processStatus")
    error_event = _text(process.get("errorEvent"))
    if error_event:
        checks.append(
            Check(
                key="process.errorEvent",
                status=CheckStatus.FAIL,
                group="process",
                value=error_event,
                label=ERROR_EVENTS.get(error_event, "Error event"),
                provider_wording=error_event,
            )
        )
    for name, value in _obj(process, "steps").items():
        if value is None:
            continue  # not part of this onboarding's process
        checks.append(
            _bool_check(f"steps.{name}", value, group="steps", label=STEP_LABELS.get(name, name))
        )
    for index, acceptation in enumerate(_list(result, "acceptations")):
        accepted, mandatory = acceptation.get("accepted"), acceptation.get("mandatory") is True
        if accepted is True:
            status = CheckStatus.OK
        elif accepted is False:
            status = CheckStatus.FAIL if mandatory else CheckStatus.WARN
        else:
            status = CheckStatus.UNKNOWN
        text = _text(acceptation.get("text"))
        checks.append(
            Check(
                key=f"acceptations.{index}",
                status=status,
                group="acceptations",
                value="mandatory" if mandatory else "optional",
                label=(text[:120] or f"Acceptation {index + 1}"),
                provider_wording=_wording(accepted),
            )
        )
    ocr = _obj(result, "ocr")
    for field in _list(ocr, "fields"):
        name = _text(field.get("name")).upper()
        flags = [field.get(k) for k in ("validity_status", "status") if k in field]
        if not name or not flags:
            continue
        if any(flag is False for flag in flags):
            status = CheckStatus.FAIL
        elif all(flag is True for flag in flags):
            status = CheckStatus.OK
        else:
            status = CheckStatus.UNKNOWN
        wording = ", ".join(
            f"{k}={_wording(field.get(k))}" for k in ("validity_status", "status") if k in field
        )
        checks.append(
            Check(
                key=f"ocr.{name}",
                status=status,
                group="ocr",
                label=_label(name),
                provider_wording=wording,
            )
        )
    for group in ("authenticity", "validations"):
        for item in _list(ocr, group):
            name = _text(item.get("name")).upper()
            if name:
                checks.append(
                    _bool_check(
                        f"{group}.{name}", item.get("value"), group=group, label=_label(name)
                    )
                )
    biometry = _obj(result, "biometry")
    for move, label in BIOMETRY_MOVES:
        if move in biometry and isinstance(biometry[move], dict):
            checks.append(
                _bool_check(
                    f"biometry.{move}", biometry[move].get("success"), group="biometry", label=label
                )
            )
    return tuple(checks)


def scores_from_result(result: JsonObject) -> dict[str, float]:
    """``overall`` once FINISHED (before, Finwave's score is a placeholder), ``liveness``."""
    scores: dict[str, float] = {}
    overall = _score(_obj(result, "processStatus").get("score"))
    if overall is not None and _text(result.get("status")).upper() == "FINISHED":
        scores["overall"] = overall
    liveness = _score(_obj(result, "biometry").get("score"))
    if liveness is not None:
        scores["liveness"] = liveness
    return scores


def findings_of(result: JsonObject, *, review_below_score: float) -> tuple[list[str], list[str]]:
    """(failed steps, findings) of a result, each finding a short sentence for people."""
    process = _obj(result, "processStatus")
    failed_steps = [name for name, value in _obj(process, "steps").items() if value is False]
    findings: list[str] = []
    error_event = _text(process.get("errorEvent"))
    if error_event:
        findings.append(f"{error_event}: {ERROR_EVENTS.get(error_event, 'error event')}")
    ocr = _obj(result, "ocr")
    validations = _list(ocr, "validations")
    for group, title in (("validations", "validations"), ("authenticity", "authenticity checks")):
        failed = [_text(i.get("name")) or "?" for i in _list(ocr, group) if i.get("value") is False]
        if failed:
            findings.append(f"{title} failed: {', '.join(failed)}")
    if not validations:
        findings.append("no OCR validation reported")
    biometry = _obj(result, "biometry")
    moves = [m for m, _ in BIOMETRY_MOVES if _obj(biometry, m).get("success") is False]
    if moves:
        findings.append(f"liveness failed: {', '.join(moves)}")
    if any(
        a.get("mandatory") is True and a.get("accepted") is False
        for a in _list(result, "acceptations")
    ):
        findings.append("a mandatory acceptation was not accepted")
    score = _score(process.get("score"))
    if score is not None and score < review_below_score:
        findings.append(f"score {score:g} under {review_below_score:g}")
    return failed_steps, findings


def _raw(result: JsonObject) -> JsonObject:
    """The result for audit, the OCR's base64 images reduced to their size."""
    images = _list(_obj(result, "ocr"), "images")
    if not images:
        return result
    ocr = dict(_obj(result, "ocr"))
    ocr["images"] = [
        {**image, "value": f"<{len(_text(image.get('value')))} base64 characters>"}
        for image in images
    ]
    return {**result, "ocr": ocr}


def normalize(
    external_id: str,
    *,
    result: JsonObject,
    evidence: tuple[EvidenceFile, ...] = (),
    test_mode: bool = False,
    review_below_score: float = DEFAULT_REVIEW_BELOW_SCORE,
) -> SessionSnapshot:
    """One SessionSnapshot from Finwave's result payload (no I/O)."""
    finwave_status = _text(result.get("status")).upper()
    process = _obj(result, "processStatus")
    error_event = _text(process.get("errorEvent"))
    failed_steps, findings = findings_of(result, review_below_score=review_below_score)
    finished = finwave_status == "FINISHED"
    status = map_status(finwave_status, failed_step=bool(failed_steps), findings=bool(findings))
    review_requested = status == SessionStatus.NEEDS_REVIEW
    if review_requested:
        reason = "; ".join(findings)
    elif status == SessionStatus.REJECTED:
        reason = "; ".join([f"steps failed: {', '.join(failed_steps)}", *findings])
    elif error_event:
        reason = f"{error_event}: {ERROR_EVENTS.get(error_event, 'error event')}"
    else:
        reason = ""
    if len(reason) > REVIEW_REASON_MAX_CHARS:
        reason = reason[: REVIEW_REASON_MAX_CHARS - 1] + "…"
    provider_status = " / ".join(p for p in (finwave_status or "UNKNOWN", error_event) if p)
    logs = [_moment(entry) for entry in _list(result, "logs")]
    last_log = max((m for m in logs if m is not None), default=None)
    started = _moment(process.get("startedAt"))
    return SessionSnapshot(
        external_id=external_id,
        status=status,
        provider_status=provider_status,
        person=person_from_ocr(_obj(result, "ocr")),
        checks=checks_from_result(result),
        scores=scores_from_result(result),
        overall_score=_score(process.get("score")) if finished else None,
        review_requested=review_requested,
        review_reason=reason,
        evidence=evidence,
        started_at=started,
        updated_at=_moment(process.get("finishedAt")) or last_log or started,
        test_mode=test_mode,
        raw={"result": _raw(result)},
    )


def _is_evidence_file(content: bytes) -> bool:
    return content.startswith(IMAGE_MAGIC) or (content[:4] == b"RIFF" and content[8:12] == b"WEBP")


def _base_name(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1][:200]


def ocr_image_evidence(result: JsonObject) -> tuple[EvidenceFile, ...]:
    """The OCR's base64 images (PORTRAIT, SIGNATURE) as evidence; unusable ones skipped."""
    files = []
    for image in _list(_obj(result, "ocr"), "images"):
        name = _text(image.get("name")).upper()
        kind = OCR_IMAGE_KINDS.get(name)
        encoded = _text(image.get("value"))
        if kind is None or not encoded:
            continue
        if encoded.startswith("data:") and "," in encoded:
            encoded = encoded.split(",", 1)[1]
        if len(encoded) > settings.EVIDENCE_MAX_BYTES * 4 // 3 + 4:
            logger.warning("finwave: OCR image %s over the evidence size limit, skipped", name)
            continue
        try:
            content = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            logger.warning("finwave: OCR image %s is not valid base64, skipped", name)
            continue
        if not _is_evidence_file(content):
            logger.warning("finwave: OCR image %s is not an image, skipped", name)
            continue
        files.append(
            EvidenceFile(kind=kind, content=content, external_ref=f"ocr.{name}", filename="")
        )
    return tuple(files)


# ---------------------------------------------------------------- the adapter


@register
class FinwaveAdapter(ProviderAdapter):
    """Finwave Digital Onboarding: onboardings in by webhook or by id; decisions stay local."""

    name = "finwave"
    label = "Finwave Digital Onboarding"
    capabilities = frozenset({Capability.WEBHOOK, Capability.EVIDENCE})
    credential_fields = ("client_token",)
    sensitive_parameters = ("client_token",)
    webhook_secret_header = ""  # the secret travels in the webhook URL's path
    session_event_types = frozenset(EVENT_TYPES.values())

    def __init__(self, connection: ProviderConnection, *, client: FinwaveClient | None = None):
        super().__init__(connection)
        self._client = client

    def _session(self) -> AbstractContextManager[FinwaveClient]:
        return client_session(self._client, lambda: FinwaveClient.from_connection(self.connection))

    @property
    def _test_mode(self) -> bool:
        return "/sandbox/" in (self.connection.base_url or "")

    @property
    def review_below_score(self) -> float:
        value = _score((self.connection.options or {}).get("review_below_score"))
        return DEFAULT_REVIEW_BELOW_SCORE if value is None else value

    # ------------------------------------------------------------ intake

    def verify_webhook(self, request: WebhookRequest) -> InboundEvent:
        expected = self.connection.webhook_secret or ""
        given = request.url_secret or ""
        if not secrets_match(given, expected):
            raise WebhookRejected("missing or wrong secret in the webhook URL", status=401)
        try:
            payload = json.loads(request.body)
        except (UnicodeDecodeError, ValueError):
            raise WebhookRejected("the body is not JSON", status=400) from None
        if not isinstance(payload, dict):
            raise WebhookRejected("the body is not a JSON object", status=400)
        onboarding_id = payload.get("onboardingId")
        if not isinstance(onboarding_id, str) or not onboarding_id.strip():
            raise WebhookRejected("onboardingId is missing", status=400)
        onboarding_id = onboarding_id.strip()
        if not valid_onboarding_id(onboarding_id):
            raise WebhookRejected("onboardingId is not a valid onboarding id", status=400)
        custom_id = payload.get("customId")
        if custom_id is not None and (
            not isinstance(custom_id, str) or len(custom_id) > CUSTOM_ID_MAX_CHARS
        ):
            raise WebhookRejected("customId must be a string of at most 200 characters", status=400)
        result = payload.get("result")
        if not isinstance(result, str) or not result.strip():
            raise WebhookRejected("result is missing", status=400)
        return InboundEvent(
            # Finwave sends no event id: the same delivery twice is the same event.
            event_id=hashlib.sha256(request.body).hexdigest(),
            event_type=EVENT_TYPES.get(result.strip().upper(), UNRECOGNIZED_EVENT),
            external_id=onboarding_id,
            payload=payload,
        )

    def iter_session_ids(self, *, since: dt.datetime | None = None) -> Iterator[str]:
        raise NotImplementedError(
            "Finwave documents no listing of onboardings: they arrive by webhook or by id"
        )

    def fetch_snapshot(self, external_id: str, *, with_evidence: bool = True) -> SessionSnapshot:
        with self._session() as client:
            result = client.result(external_id)
            answered_for = result.get("onboardingId")
            if answered_for not in (None, "", external_id):
                raise ProviderError(
                    "Finwave answered with the result of another onboarding",
                    status_code=200,
                    provider=PROVIDER,
                )
            evidence: tuple[EvidenceFile, ...] = ()
            if with_evidence:
                evidence = (*self._zip_evidence(client, external_id, result),)
                evidence += ocr_image_evidence(result)
        return normalize(
            external_id,
            result=result,
            evidence=evidence,
            test_mode=self._test_mode,
            review_below_score=self.review_below_score,
        )

    def _zip_evidence(
        self, client: FinwaveClient, external_id: str, result: JsonObject
    ) -> list[EvidenceFile]:
        names = _obj(result, "evidences")
        wanted: dict[str, str] = {}
        for role, _kind in EVIDENCE_ROLES:
            filename = names.get(role)
            if isinstance(filename, str) and filename.strip():
                wanted.setdefault(filename.strip(), role)
        if not wanted:
            return []
        with client.evidences(external_id) as archive:
            contents = unpack_evidence(
                archive,
                wanted,
                max_member_bytes=settings.EVIDENCE_MAX_BYTES,
                max_total_bytes=len(EVIDENCE_ROLES) * settings.EVIDENCE_MAX_BYTES,
            )
        kinds = dict(EVIDENCE_ROLES)
        files = []
        for filename, role in wanted.items():
            content = contents.get(role)
            if content is None:
                logger.warning("finwave: %s named by the result is not in the ZIP", role)
                continue
            if not _is_evidence_file(content):
                logger.warning("finwave: %s is not an image, skipped", role)
                continue
            files.append(
                EvidenceFile(
                    kind=kinds[role],
                    content=content,
                    external_ref=role,
                    filename=_base_name(filename),
                )
            )
        return files

    # ------------------------------------------------------------ output

    def write_decision(self, request: WriteBackRequest) -> WriteBackResult:
        # Finwave takes no decisions: they stay in kycdash, whatever the queue.
        return WriteBackResult(supported=False)

    def test_connection(self) -> None:
        with self._session() as client:
            client.probe()
