"""KYC API 2.10.15 adapter: IDV sessions as SessionSnapshots; decisions stay in kycdash.

Follows ``docs/providers/kyc-api-2.10.15.txt``; the HTTP side and the choices made
where that document is silent (paths, token, errors, lists, enum values, webhooks)
are in ``client.py``.

A snapshot is read from: session read (names, statuses, DMV, OFAC, score, history),
session test read (fraud signals, DMV field matches), document read and document
list (the identity document), the IDA session list of the session's identity
(re-authentications, shown as related sessions with relation ``reauthentication``)
and one document download per file the session says it has (front and back of its
document type, selfie, passive-liveness frame).

Status mapping (``status_e``, then ``verified``, then the review signals below):

    status_e               verified    review signal   kycdash status
    ---------------------  ----------  --------------  --------------
    unknown (or none)      -           -               pending
    in_progress            -           -               in_progress
    temporarily_complete   -           -               in_progress  (checks still running)
    temporarily_blocked    -           -               failed       (the API stopped it)
    expired                -           -               expired
    complete               true        no              approved
    complete               false       no              rejected
    complete               absent      -               needs_review (no verdict given)
    complete               any         yes             needs_review
    anything else (new)    -           -               in_progress  (logged)

``provider_status`` is ``status_e`` verbatim, followed by `` / verified`` or
`` / not verified`` once the session is complete (e.g. ``complete / not verified``).

Review signal (status queue): a complete session whose DMV check failed
(``dmv_status_e`` ``no_match`` or ``not_found``) sets ``review_requested`` with the
reason ``DMV check no_match`` followed by the DMV fields the test read reports as
not matching. A complete session without a verdict asks for review too. A low score
is the routing's own rule: the snapshot carries ``score`` (0..100) as
``overall_score`` and the scored statuses (approved, rejected, needs_review) open a
status task when it is under the project's minimum, with that reason.

Antifraud: the test read's likelihoods become checks (``likely``/``very_likely`` of
image manipulation, online duplication or suspicious words is a FAIL, ``possible`` a
WARN; for "is an identity document" the reverse). Any FAIL makes the
``AntifraudResult`` ``failed`` with ``step_name`` naming the first failed signal (e.g.
``doc_front_image_manipulation``) and ``detail`` listing them all; no verdict at all
is ``not_executed``. ``ofac_status_e`` ``on_sanction_list`` (or an
``on_sanction_list: true`` in the session read, as the SDK finalization words it) is
a ``watchlist_hit``. Both feed the antifraud queue.

Decisions: KYC API has no endpoint for a reviewer's decision, so every queue answers
``supported=False`` and decisions stay in kycdash. Session anonymize and delete
(``client.py``) are for retention.

Webhook: the delivery carries the connection's webhook secret in ``X-Webhook-Secret``
(choice (g) in client.py), compared in constant time before the body is read. Only
``session_id`` of an ``idv.session.*`` event is used: the session itself is re-read
through the API. ``register_webhook`` creates it through the webhook-create API.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, suppress
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
    ProviderAdapter,
    ProviderNotFound,
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
from providers.http import client_session
from providers.kycapi.client import (
    LIST_PAGE_SIZE,
    SESSION_STATUSES,
    JsonObject,
    KycApiClient,
    parse_date,
    parse_datetime,
)
from providers.normalize import score as _score
from providers.normalize import text as _text
from providers.registry import register

if TYPE_CHECKING:
    from providers.models import ProviderConnection

logger = logging.getLogger(__name__)

SESSION_EVENT: Final = "idv.session.status_changed"
IDA_EVENT: Final = "ida.session.status_changed"
EVENT_ID_MAX_CHARS: Final = 200
EVENT_TYPE_MAX_CHARS: Final = 100
EXTERNAL_ID_MAX_CHARS: Final = 200
MAX_RELATED_SESSIONS: Final = 50
DEFAULT_SYNC_LOOKBACK_DAYS: Final = 30
MAX_SYNC_LOOKBACK_DAYS: Final = 365

STATUS_MAP: Final = {
    "": SessionStatus.PENDING,
    "unknown": SessionStatus.PENDING,
    "in_progress": SessionStatus.IN_PROGRESS,
    "temporarily_complete": SessionStatus.IN_PROGRESS,
    "temporarily_blocked": SessionStatus.FAILED,
    "expired": SessionStatus.EXPIRED,
}
DMV_FAILED: Final = frozenset({"no_match", "not_found"})
DMV_CHECK: Final = {
    "match": CheckStatus.OK,
    "no_match": CheckStatus.FAIL,
    "not_found": CheckStatus.FAIL,
    "pending": CheckStatus.UNKNOWN,
    "unknown": CheckStatus.UNKNOWN,
}
OFAC_HIT: Final = "on_sanction_list"
OFAC_CHECK: Final = {
    "clear": CheckStatus.OK,
    OFAC_HIT: CheckStatus.FAIL,
    "pending": CheckStatus.UNKNOWN,
    "unknown": CheckStatus.UNKNOWN,
}
# likelihood that the problem is there -> check status
LIKELIHOOD_CHECK: Final = {
    "very_unlikely": CheckStatus.OK,
    "unlikely": CheckStatus.OK,
    "possible": CheckStatus.WARN,
    "likely": CheckStatus.FAIL,
    "very_likely": CheckStatus.FAIL,
}
# ... and for "is an identity document", where likely is the good answer
IDENTITY_DOCUMENT_CHECK: Final = {
    "very_likely": CheckStatus.OK,
    "likely": CheckStatus.OK,
    "possible": CheckStatus.WARN,
    "unlikely": CheckStatus.FAIL,
    "very_unlikely": CheckStatus.FAIL,
}
SIDES: Final = (("doc_front", "document front"), ("doc_back", "document back"))
# test read suffix -> (label, reversed meaning?)
FRAUD_SIGNALS: Final = (
    ("image_manipulation", "image manipulation", False),
    ("online_duplication", "online duplication", False),
    ("suspicious_words", "suspicious words", False),
    ("is_identity_document", "is an identity document", True),
)
DMV_FIELDS: Final = (
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
CROSSCHECKS: Final = (
    ("document_number_crosscheck", "Document number front/back"),
    ("name_crosscheck", "Name front/back"),
    ("address_crosscheck", "Address front/back"),
)
SESSION_FLAGS: Final = (
    ("consented", "Consent given"),
    ("document_front_given", "Document front given"),
    ("document_back_given", "Document back given"),
    ("selfie_given", "Selfie given"),
    ("liveness_detected", "Liveness detected"),
)
GENDERS: Final = {"male": "M", "female": "F", "x": "X"}
# document_type_e -> (front file, back file)
DOCUMENT_FILES: Final = {
    "driver_license": ("driver_license_front", "driver_license_back"),
    "identification_card": ("state_id_card_front", "state_id_card_back"),
    "passport": ("passport_front", ""),
    "passport_card": ("passport_card_front", "passport_card_back"),
}
# session timestamps that mark activity, for "changed since" during sync
ACTIVITY_FIELDS: Final = (
    "created_at",
    "consented_at",
    "document_front_given_at",
    "document_back_given_at",
    "liveness_detected_at",
    "selfie_given_at",
    "dmv_detected_at",
    "ofac_detected_at",
    "verified_at",
    "completed_at",
)


# ---------------------------------------------------------------- small readers


def _enum(value: Any) -> str:
    return _text(value).lower()


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _check_for_bool(key: str, value: Any, *, group: str, label: str) -> Check | None:
    flag = _bool(value)
    if flag is None:
        return None
    return Check(
        key=key,
        status=CheckStatus.OK if flag else CheckStatus.FAIL,
        group=group,
        value=str(flag).lower(),
        label=label,
        provider_wording=str(flag).lower(),
    )


def last_activity(session: Mapping[str, Any]) -> dt.datetime | None:
    """The latest timestamp of a session (row or read body), history included."""
    moments = [parse_datetime(session.get(name)) for name in ACTIVITY_FIELDS]
    history = session.get("history")
    for entry in history if isinstance(history, list) else ():
        if isinstance(entry, dict):
            moments.append(parse_datetime(entry.get("created_at")))
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else None


# ---------------------------------------------------------------- normalization


def dmv_failed_fields(tests: Mapping[str, Any]) -> list[str]:
    """The DMV fields the test read reports as not matching, in the document's order."""
    return [name for name in DMV_FIELDS if tests.get(f"dmv_{name}_match") is False]


def review_reason(session: Mapping[str, Any], tests: Mapping[str, Any]) -> str:
    """Why a complete session asks for a human ("" when it does not)."""
    reasons = []
    dmv = _enum(session.get("dmv_status_e"))
    if dmv in DMV_FAILED:
        fields = dmv_failed_fields(tests)
        mismatched = f": {', '.join(f.replace('_', ' ') for f in fields)}" if fields else ""
        reasons.append(f"DMV check {dmv}{mismatched}")
    if _bool(session.get("verified")) is None:
        reasons.append("complete without a verification verdict")
    return "; ".join(reasons)


def map_status(status_e: str, verified: bool | None, *, review: bool) -> str:
    """kycdash's status for KYC API's ``status_e``, ``verified`` and a review signal."""
    if status_e == "complete":
        if review or verified is None:
            return SessionStatus.NEEDS_REVIEW
        return SessionStatus.APPROVED if verified else SessionStatus.REJECTED
    if status_e in STATUS_MAP:
        return STATUS_MAP[status_e]
    logger.warning("kycapi: unrecognized status_e, treated as in progress")
    return SessionStatus.IN_PROGRESS


def provider_status_text(status_e: str, verified: bool | None) -> str:
    text = status_e or "unknown"
    if status_e == "complete" and verified is not None:
        text += " / verified" if verified else " / not verified"
    return text


def person_from(session: Mapping[str, Any], document: Mapping[str, Any]) -> PersonData:
    """Names and birth date from the session, falling back to the document; the rest
    from the document."""

    def pick(*keys: str) -> str:
        for source in (session, document):
            for key in keys:
                if value := _text(source.get(key)):
                    return value
        return ""

    first, middle, last = pick("first_name"), pick("middle_name"), pick("last_name")
    suffix = pick("suffix_name", "name_suffix")
    full = " ".join(part for part in (first, middle, last, suffix) if part)
    city_line = " ".join(
        part for part in (_text(document.get("state")), _text(document.get("postal_code"))) if part
    )
    address = ", ".join(
        part
        for part in (_text(document.get("street")), _text(document.get("city")), city_line)
        if part
    )
    document_type = _enum(document.get("type_e")) or _enum(session.get("document_type_e"))
    gender = _enum(session.get("gender_e")) or _enum(document.get("gender_e"))
    return PersonData(
        full_name=full,
        first_name=first,
        last_name=" ".join(part for part in (last, suffix) if part),
        birth_date=parse_date(session.get("birth_date")) or parse_date(document.get("birth_date")),
        gender=GENDERS.get(gender, ""),
        document_type="" if document_type == "unknown" else document_type,
        document_number=_text(document.get("document_number")),
        issuing_country=_text(document.get("issuing_country")),
        expiry_date=parse_date(document.get("expires_at")),
        address=address,
    )


def fraud_checks(tests: Mapping[str, Any]) -> list[Check]:
    checks = []
    for prefix, side in SIDES:
        for suffix, what, reverse in FRAUD_SIGNALS:
            key = f"{prefix}_{suffix}"
            word = _enum(tests.get(key))
            if not word:
                continue
            table = IDENTITY_DOCUMENT_CHECK if reverse else LIKELIHOOD_CHECK
            checks.append(
                Check(
                    key=key,
                    status=table.get(word, CheckStatus.UNKNOWN),
                    group="document_tests",
                    value=word,
                    label=f"{side.capitalize()}: {what}",
                    provider_wording=_text(tests.get(key)),
                )
            )
    return checks


def antifraud_from(tests: Mapping[str, Any] | None) -> AntifraudResult | None:
    """The antifraud verdict of the test read's likelihoods (None: not read)."""
    if tests is None:
        return None
    checks = fraud_checks(tests)
    failed = [check for check in checks if check.status == CheckStatus.FAIL]
    if failed:
        detail = "; ".join(f"{check.label}: {check.value.replace('_', ' ')}" for check in failed)
        return AntifraudResult(result="failed", step_name=failed[0].key, detail=detail)
    if any(check.status in (CheckStatus.OK, CheckStatus.WARN) for check in checks):
        return AntifraudResult(result="passed")
    return AntifraudResult(result="not_executed")


def checks_from(session: Mapping[str, Any], tests: Mapping[str, Any]) -> tuple[Check, ...]:
    checks: list[Check] = []
    for key, label in SESSION_FLAGS:
        check = _check_for_bool(key, session.get(key), group="session", label=label)
        if check is not None:
            checks.append(check)
    checks.extend(fraud_checks(tests))

    dmv = _enum(session.get("dmv_status_e"))
    if dmv and dmv != "not_applicable":
        checks.append(
            Check(
                key="dmv_status_e",
                status=DMV_CHECK.get(dmv, CheckStatus.UNKNOWN),
                group="dmv",
                value=dmv,
                label="DMV record",
                provider_wording=_text(session.get("dmv_status_e")),
            )
        )
    for name in DMV_FIELDS:
        label = f"DMV: {name.replace('_', ' ')}"
        key = f"dmv_{name}_match"
        check = _check_for_bool(key, tests.get(key), group="dmv", label=label)
        if check is not None:
            checks.append(check)
    for key, label in CROSSCHECKS:
        check = _check_for_bool(key, tests.get(key), group="crosscheck", label=label)
        if check is not None:
            checks.append(check)

    ofac = _enum(session.get("ofac_status_e"))
    if ofac:
        checks.append(
            Check(
                key="ofac_status_e",
                status=OFAC_CHECK.get(ofac, CheckStatus.UNKNOWN),
                group="ofac",
                value=ofac,
                label="OFAC sanctions list",
                provider_wording=_text(session.get("ofac_status_e")),
            )
        )
    verified = _bool(session.get("verified"))
    if verified is not None:
        checks.append(
            Check(
                key="verified",
                status=CheckStatus.OK if verified else CheckStatus.FAIL,
                group="overall",
                value=str(verified).lower(),
                label="Verified",
                provider_wording=str(verified).lower(),
            )
        )
    score = _score(session.get("score"))
    if score is not None:
        checks.append(
            Check(
                key="score",
                status=CheckStatus.UNKNOWN,  # KYC API gives no threshold with it
                group="overall",
                value=f"{score:g}",
                label="Score",
                provider_wording=_text(session.get("score")),
            )
        )
    return tuple(checks)


def related_from(ida_sessions: Iterable[Mapping[str, Any]]) -> tuple[RelatedSession, ...]:
    """The identity's re-authentications, oldest first (at most MAX_RELATED_SESSIONS)."""
    related = []
    for row in ida_sessions:
        session_id = _text(row.get("session_id"))
        if not session_id:
            continue
        wording = _enum(row.get("status_e")) or "unknown"
        authenticated = _bool(row.get("authenticated"))
        if authenticated is not None:
            wording += " / authenticated" if authenticated else " / not authenticated"
        related.append(
            RelatedSession(
                external_id=session_id,
                relation="reauthentication",
                status=wording,
                created_at=parse_datetime(row.get("created_at")),
            )
        )
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
    related.sort(key=lambda r: (r.created_at or epoch, r.external_id))
    # the most recent ones matter most when an identity has very many
    return tuple(related[-MAX_RELATED_SESSIONS:])


def normalize(
    external_id: str,
    *,
    session: JsonObject,
    tests: JsonObject | None,
    document: JsonObject,
    documents: list[JsonObject] | None = None,
    ida_sessions: list[JsonObject] | None = None,
    evidence: tuple[EvidenceFile, ...] = (),
    test_mode: bool = False,
) -> SessionSnapshot:
    """One SessionSnapshot from KYC API's JSON payloads (no I/O)."""
    status_e = _enum(session.get("status_e"))
    verified = _bool(session.get("verified"))
    reason = review_reason(session, tests or {}) if status_e == "complete" else ""
    status = map_status(status_e, verified, review=bool(reason))
    score = _score(session.get("score"))
    ofac = _enum(session.get("ofac_status_e"))
    return SessionSnapshot(
        external_id=external_id,
        status=status,
        provider_status=provider_status_text(status_e, verified),
        person=person_from(session, document),
        checks=checks_from(session, tests or {}),
        scores={"overall": score} if score is not None else {},
        overall_score=score,
        antifraud=antifraud_from(tests),
        review_requested=bool(reason),
        review_reason=reason,
        watchlist_hit=ofac == OFAC_HIT or session.get("on_sanction_list") is True,
        evidence=evidence,
        related_sessions=related_from(ida_sessions or ()),
        started_at=parse_datetime(session.get("created_at")),
        updated_at=last_activity(session),
        test_mode=test_mode,
        raw={
            "session": session,
            "session_tests": tests or {},
            "document": document,
            "documents": documents or [],
            "ida_sessions": ida_sessions or [],
        },
    )


def _changed_since(row: Mapping[str, Any], since: dt.datetime) -> bool:
    """Whether a list row may have changed at or after ``since``.

    Its latest timestamp (history included) decides. A row without a history cannot
    date a change to blocked, expired or temporarily complete, so an unfinished one
    is read again; an undated one too.
    """
    activity = last_activity(row)
    if activity is None or activity >= since:
        return True
    return "history" not in row and _enum(row.get("status_e")) != "complete"


def evidence_types(session: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(storage_file_type_e, EvidenceKind) of each file the session says it has."""
    wanted = []
    front, back = DOCUMENT_FILES.get(_enum(session.get("document_type_e")), ("", ""))
    if front and session.get("document_front_given") is True:
        wanted.append((front, EvidenceKind.FRONT))
    if back and session.get("document_back_given") is True:
        wanted.append((back, EvidenceKind.BACK))
    if session.get("selfie_given") is True:
        wanted.append(("selfie", EvidenceKind.SELFIE))
    if session.get("liveness_detected") is True:
        wanted.append(("liveness_passive", EvidenceKind.VIDEO_FRAME))
    return wanted


# ---------------------------------------------------------------- the adapter


@register
class KycapiAdapter(ProviderAdapter):
    """KYC API 2.10.15: IDV sessions in (webhook and sync), no decisions out."""

    name = "kycapi"
    label = "KYC API 2.10.15"
    capabilities = frozenset(
        {
            Capability.WEBHOOK,
            Capability.SYNC,
            Capability.EVIDENCE,
            Capability.REGISTER_WEBHOOK,
        }
    )
    credential_fields = ("client_id", "client_secret")
    sensitive_parameters = ("client_secret",)
    webhook_secret_header = "X-Webhook-Secret"  # noqa: S105 (a header name, not a secret)
    session_event_types = frozenset({SESSION_EVENT})
    list_page_size = LIST_PAGE_SIZE

    def __init__(self, connection: ProviderConnection, *, client: KycApiClient | None = None):
        super().__init__(connection)
        self._client = client

    def _session(self) -> AbstractContextManager[KycApiClient]:
        return client_session(self._client, lambda: KycApiClient.from_connection(self.connection))

    @property
    def _test_mode(self) -> bool:
        return "/sandbox/" in (self.connection.base_url or "")

    @property
    def webhook_name(self) -> str:
        return f"kycdash-{self.connection.pk}"

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
        event_type = payload.get("event_type")
        if not isinstance(event_type, str) or not event_type.strip():
            raise WebhookRejected("event_type is missing", status=400)
        event_type = event_type.strip()
        if len(event_type) > EVENT_TYPE_MAX_CHARS:
            raise WebhookRejected("event_type is too long", status=400)
        session_id = payload.get("session_id")
        session_id = session_id.strip() if isinstance(session_id, str) else session_id
        if event_type.startswith("idv.session."):
            if not isinstance(session_id, str) or not session_id:
                raise WebhookRejected("session_id is missing", status=400)
            if len(session_id) > EXTERNAL_ID_MAX_CHARS:
                raise WebhookRejected("session_id is too long", status=400)
        event_id = payload.get("event_id")
        event_id = event_id.strip() if isinstance(event_id, str) else ""
        if not event_id or len(event_id) > EVENT_ID_MAX_CHARS:
            # no usable id of the API's: the same body delivered twice is the same event
            event_id = hashlib.sha256(request.body).hexdigest()
        return InboundEvent(
            event_id=event_id,
            event_type=event_type,
            # only IDV session events name a kycdash session; IDA ones are stored and ignored
            external_id=session_id if event_type in self.session_event_types else "",
            payload=payload,
        )

    def _sync_options(self) -> tuple[int, list[str | None]]:
        options = self.connection.options or {}
        lookback = options.get("sync_lookback_days", DEFAULT_SYNC_LOOKBACK_DAYS)
        if (
            not isinstance(lookback, int)
            or isinstance(lookback, bool)
            or not 0 <= lookback <= MAX_SYNC_LOOKBACK_DAYS
        ):
            logger.warning("kycapi: sync_lookback_days option ignored (not 0..365)")
            lookback = DEFAULT_SYNC_LOOKBACK_DAYS
        statuses = options.get("sync_statuses")
        if statuses is None:
            return lookback, [None]
        if (
            not isinstance(statuses, list)
            or not statuses
            or not all(s in SESSION_STATUSES for s in statuses)
        ):
            logger.warning("kycapi: sync_statuses option ignored (not a list of status_e)")
            return lookback, [None]
        return lookback, list(dict.fromkeys(statuses))

    def iter_session_ids(self, *, since: dt.datetime | None = None) -> Iterator[str]:
        """Session ids from the IDV session list, oldest first.

        The list filters on ``created_at`` only, so with ``since`` the walk starts
        ``sync_lookback_days`` (option, default 30) before it, and yields the sessions
        that may have changed since (see ``_changed_since``). ``sync_statuses``
        (option: a list of ``status_e``) walks the list once per status instead of
        once in full.
        """
        lookback, statuses = self._sync_options()
        start = since - dt.timedelta(days=lookback) if since is not None else None
        seen: set[str] = set()
        with self._session() as client:
            for status in statuses:
                rows = client.iter_sessions(
                    status=status, start_date=start, take=self.list_page_size
                )
                for row in rows:
                    session_id = _text(row.get("session_id"))
                    if not session_id or session_id in seen:
                        continue
                    if since is not None and not _changed_since(row, since):
                        continue
                    seen.add(session_id)
                    yield session_id

    def fetch_snapshot(self, external_id: str, *, with_evidence: bool = True) -> SessionSnapshot:
        with self._session() as client:
            session = client.read_session(external_id)  # 404 here: no such session
            tests = self._optional(client.read_session_tests, external_id)
            document = self._optional(client.read_document, external_id) or {}
            try:
                documents = list(client.iter_documents(external_id))
            except ProviderNotFound:
                documents = []
            identity_id = _text(session.get("identity_id"))
            ida_sessions = (
                list(client.iter_ida_sessions(identity_id=identity_id)) if identity_id else []
            )
            evidence = self._evidence(client, external_id, session) if with_evidence else ()
        return normalize(
            external_id,
            session=session,
            tests=tests,
            document=document,
            documents=documents,
            ida_sessions=ida_sessions,
            evidence=evidence,
            test_mode=self._test_mode,
        )

    @staticmethod
    def _optional(read, external_id: str) -> JsonObject | None:
        """A read that may not exist yet for the session (no document, no tests)."""
        try:
            return read(external_id)
        except ProviderNotFound:
            return None

    def _evidence(
        self, client: KycApiClient, external_id: str, session: JsonObject
    ) -> tuple[EvidenceFile, ...]:
        files = []
        for file_type, kind in evidence_types(session):
            try:
                content = client.download_document(external_id, file_type)
            except ProviderNotFound:
                logger.info("kycapi: the session has no %s file after all", file_type)
                continue
            file = evidence_file(
                kind=kind,
                content=content,
                external_ref=file_type,
                stem=file_type,
                provider="kycapi",
            )
            if file is not None:
                files.append(file)
        return tuple(files)

    # ------------------------------------------------------------ output

    def write_decision(self, request: WriteBackRequest) -> WriteBackResult:
        # KYC API has no endpoint for a reviewer's decision: it stays in kycdash.
        return WriteBackResult(supported=False)

    def test_connection(self) -> None:
        """The health check, then a token and a one-row session list (credentials and
        permission)."""
        with self._session() as client:
            client.check_health()
            client.list_sessions(take=1)

    def register_webhook(self, url: str) -> None:
        """Replace kycdash's webhook (by name) with one for ``url`` and the current secret."""
        if not url:
            raise ValueError("a webhook URL is required")
        with self._session() as client:
            self._delete_own_webhooks(client)
            client.create_webhook(
                name=self.webhook_name, url=url, secret=self.connection.webhook_secret or ""
            )

    def unregister_webhook(self) -> None:
        with self._session() as client:
            self._delete_own_webhooks(client)

    def _delete_own_webhooks(self, client: KycApiClient) -> int:
        # Collect first: deleting while paging by offset would skip rows.
        own = [
            _text(row.get("id"))
            for row in client.iter_webhooks(search_term=self.webhook_name)
            if _text(row.get("name")) == self.webhook_name and _text(row.get("id"))
        ]
        for webhook_id in own:
            with suppress(ProviderNotFound):  # removed meanwhile: the goal is met
                client.delete_webhook(webhook_id)
        return len(own)
