"""The adapter interface between kycdash and a KYC provider.

An adapter turns one provider's API into plain dataclasses (``SessionSnapshot``
and friends) and back (``WriteBackRequest`` -> ``WriteBackResult``). Nothing past
this boundary reads vendor JSON, except the raw payload kept for audit.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from providers.models import ProviderConnection

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------- vocabulary


class SessionStatus:
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    NEEDS_REVIEW = "needs_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    FAILED = "failed"

    CHOICES = (
        (PENDING, "Pending"),
        (IN_PROGRESS, "In progress"),
        (NEEDS_REVIEW, "Needs review"),
        (APPROVED, "Approved"),
        (REJECTED, "Rejected"),
        (EXPIRED, "Expired"),
        (FAILED, "Failed"),
    )


class CheckStatus:
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    UNKNOWN = "unknown"
    MANUAL = "manual"


class EvidenceKind:
    FRONT = "front"
    BACK = "back"
    SELFIE = "selfie"
    PORTRAIT = "portrait"
    POA = "poa"
    VIDEO_FRAME = "video_frame"
    OTHER = "other"

    CHOICES = (
        (FRONT, "Document front"),
        (BACK, "Document back"),
        (SELFIE, "Selfie"),
        (PORTRAIT, "ID portrait"),
        (POA, "Proof of address"),
        (VIDEO_FRAME, "Video frame"),
        (OTHER, "Other"),
    )


class Capability:
    WEBHOOK = "webhook"  # the provider pushes notifications
    SYNC = "sync"  # sessions can be listed and pulled
    EVIDENCE = "evidence"  # images/files can be downloaded
    WRITE_STATUS = "write_status"  # status-queue decisions go back to the provider
    WRITE_ANTIFRAUD = "write_antifraud"  # antifraud resolutions go back
    WRITE_POA = "write_poa"  # proof-of-address decisions go back
    REGISTER_WEBHOOK = "register_webhook"  # kycdash registers its webhook through the API


# ---------------------------------------------------------------- snapshot


@dataclass(frozen=True)
class Check:
    """One check or score as the provider reported it."""

    key: str
    status: str  # CheckStatus
    group: str = ""  # e.g. "idValidation", "liveness"
    value: str = ""
    label: str = ""
    provider_wording: str = ""  # the provider's own status text, shown on hover


@dataclass(frozen=True)
class PersonData:
    full_name: str = ""
    first_name: str = ""
    last_name: str = ""
    birth_date: dt.date | None = None
    gender: str = ""
    nationality: str = ""
    document_type: str = ""
    document_number: str = ""
    issuing_country: str = ""
    expiry_date: dt.date | None = None
    address: str = ""
    email: str = ""
    phone: str = ""
    # field name -> confidence 0..1, where the provider gives one
    confidences: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class AntifraudResult:
    result: str  # "passed" | "failed" | "not_executed"
    step_name: str = ""  # the provider's failed step, e.g. Incode's IdFaceAntifraudExecutor
    colliding_external_id: str = ""  # the session it collides with, when known
    detail: str = ""


@dataclass(frozen=True)
class PoaData:
    """Proof of address as read by the provider."""

    confidence: float | None  # 0..1 overall; None when the provider gives none
    name: str = ""
    address: str = ""
    document_type: str = ""
    issue_date: dt.date | None = None
    field_scores: Mapping[str, float] = field(default_factory=dict)
    provider_status: str = ""
    manual_review_requested: bool = False  # the provider itself asks for a human
    decided: bool = False  # the provider already holds a final PoA decision: route no more


@dataclass(frozen=True)
class RelatedSession:
    """Another session of the same identity at the provider (re-authentication, earlier
    verification, reuse source…), shown beside this one."""

    external_id: str
    relation: str  # e.g. "reauthentication", "previous_verification", "reuse_source"
    status: str = ""  # the provider's wording
    created_at: dt.datetime | None = None


@dataclass(frozen=True)
class EvidenceFile:
    kind: str  # EvidenceKind
    content: bytes
    external_ref: str = ""  # the provider's name for it (image type, file key…)
    filename: str = ""


@dataclass(frozen=True)
class SessionSnapshot:
    """Everything kycdash keeps of one provider session at one moment."""

    external_id: str
    status: str  # SessionStatus
    provider_status: str  # verbatim
    person: PersonData = field(default_factory=PersonData)
    checks: tuple[Check, ...] = ()
    scores: Mapping[str, float] = field(default_factory=dict)  # name -> 0..100
    overall_score: float | None = None  # 0..100
    antifraud: AntifraudResult | None = None
    poa: PoaData | None = None
    review_requested: bool = False  # the provider asks for a human on the status
    review_reason: str = ""
    watchlist_hit: bool = False
    evidence: tuple[EvidenceFile, ...] = ()
    related_sessions: tuple[RelatedSession, ...] = ()
    started_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    test_mode: bool = False
    raw: Mapping[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------- webhooks & write-back


@dataclass(frozen=True)
class InboundEvent:
    """A verified webhook delivery, reduced to what kycdash needs to act on it."""

    event_id: str  # the provider's id, or a stable digest of the body when it has none
    event_type: str
    external_id: str  # the provider's session id it is about ("" if none)
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class WriteBackRequest:
    external_id: str
    queue: str  # "poa" | "status" | "antifraud"
    outcome: str  # "approve" | "reject" | "resolve_false_positive" | "confirm_fraud"
    reason: str
    note: str
    reviewer: str  # username of who decided
    idempotency_key: str


@dataclass(frozen=True)
class WriteBackResult:
    supported: bool
    status_code: int | None = None
    response: Mapping[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------- errors


class ProviderError(Exception):
    """A provider call failed. ``status_code`` and ``message`` are the provider's own."""

    retryable: ClassVar[bool] = False

    def __init__(self, message: str, *, status_code: int | None = None, provider: str = ""):
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.provider = provider

    def __str__(self) -> str:
        code = f" ({self.status_code})" if self.status_code is not None else ""
        who = f"{self.provider} " if self.provider else ""
        return f"{who}refused{code}: {self.message}"


class ProviderUnavailable(ProviderError):
    """Timeouts, network errors, 429 and 5xx: try again later."""

    retryable = True

    def __str__(self) -> str:
        code = f" ({self.status_code})" if self.status_code is not None else ""
        who = f"{self.provider} " if self.provider else "provider "
        return f"{who}unavailable{code}: {self.message}"


class ProviderAuthError(ProviderError):
    """401/403: the connection's credentials are wrong or lack a permission."""


class ProviderNotFound(ProviderError):
    """404: the provider does not know the object."""


class ProviderRejected(ProviderError):
    """Any other 4xx: the provider refused the request as made."""


class WebhookRejected(Exception):
    """A webhook failed verification or could not be read; answered with ``status``."""

    def __init__(self, message: str, *, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def header(headers: Mapping[str, str], name: str) -> str:
    """The value of header ``name`` ("" when absent), whatever the case of the mapping's
    keys: a plain dict as well as Django's case-insensitive headers."""
    value = headers.get(name)
    if value is None:
        wanted = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == wanted), None)
    return value or ""


def secrets_match(given: str, expected: str) -> bool:
    """Whether a secret a webhook carries is the one expected, compared in constant time.

    An empty secret on either side never matches.
    """
    return bool(given) and bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def file_extension(content: bytes) -> str:
    """The file extension of evidence bytes by their magic number: jpg, png, webp, pdf or bin."""
    if content.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if content.startswith(b"RIFF") and content[8:12] == b"WEBP":
        return "webp"
    if content.startswith(b"%PDF"):
        return "pdf"
    return "bin"


def evidence_file(
    *, kind: str, content: bytes | None, external_ref: str, stem: str, provider: str
) -> EvidenceFile | None:
    """An EvidenceFile for downloaded bytes; None when there are none, or when they are over
    settings.EVIDENCE_MAX_BYTES (logged and skipped: the rest of the session still counts)."""
    from django.conf import settings

    if not content:
        return None
    if len(content) > settings.EVIDENCE_MAX_BYTES:
        logger.warning("%s: %s file over the evidence size limit, skipped", provider, stem)
        return None
    return EvidenceFile(
        kind=kind,
        content=content,
        external_ref=external_ref,
        filename=f"{stem}.{file_extension(content)}",
    )


# ---------------------------------------------------------------- adapter


@dataclass(frozen=True)
class WebhookRequest:
    """The parts of an HTTP request an adapter needs to verify a webhook."""

    headers: Mapping[str, str]  # case-insensitive mapping
    body: bytes
    query: Mapping[str, str]
    url_secret: str = ""


class ProviderAdapter:
    """Base of every provider adapter. Subclasses are registered with ``@register``."""

    name: ClassVar[str]  # registry key, stored on ProviderConnection.provider
    label: ClassVar[str]  # shown to people
    capabilities: ClassVar[frozenset[str]] = frozenset()
    credential_fields: ClassVar[tuple[str, ...]] = ()  # keys of the credentials JSON
    sensitive_parameters: ClassVar[tuple[str, ...]] = ()  # never logged or shown back
    # header the webhook secret travels in, or "" when it travels in the URL
    webhook_secret_header: ClassVar[str] = ""
    # webhook event types that mean "this session changed: read it again"; others are
    # stored and ignored
    session_event_types: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, connection: ProviderConnection):
        self.connection = connection

    # intake
    def verify_webhook(self, request: WebhookRequest) -> InboundEvent:
        raise WebhookRejected("this provider sends no webhooks", status=404)

    def iter_session_ids(self, *, since: dt.datetime | None = None) -> Iterator[str]:
        raise NotImplementedError

    def fetch_snapshot(self, external_id: str, *, with_evidence: bool = True) -> SessionSnapshot:
        raise NotImplementedError

    # output
    def supports_write_back(self, queue: str) -> bool:
        wanted = {
            "status": Capability.WRITE_STATUS,
            "antifraud": Capability.WRITE_ANTIFRAUD,
            "poa": Capability.WRITE_POA,
        }.get(queue)
        return wanted in self.capabilities

    def write_decision(self, request: WriteBackRequest) -> WriteBackResult:
        return WriteBackResult(supported=False)

    def test_connection(self) -> None:
        """Raise ProviderError when the connection cannot be used."""
        raise NotImplementedError

    # webhook registration, for providers with Capability.REGISTER_WEBHOOK
    def register_webhook(self, url: str) -> None:
        """Register ``url`` (the connection's webhook URL) with the provider."""
        raise NotImplementedError

    def unregister_webhook(self) -> None:
        """Remove what register_webhook added; called when the connection is disconnected."""
        raise NotImplementedError
