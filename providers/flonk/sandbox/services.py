"""The Flonk sandbox's Python API: accounts, sessions, decisions, notes, webhooks, faults.

Tests and the demo loader drive the sandbox through these functions (or through the
``/sandbox/flonk/_control/`` endpoints, which call them); the API views call the
``session_*`` and ``note_add`` functions to apply the write calls they accept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import random
import time
from typing import Any, Final

import httpx
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from providers.flonk.sandbox import scenarios
from providers.flonk.sandbox.models import (
    Account,
    KycSession,
    Note,
    ReceivedCall,
    SessionImage,
    WebhookDelivery,
    iso,
    new_prefixed_id,
    new_session_id,
)
from providers.sandbox_kit import faults, recording

logger = logging.getLogger(__name__)

NOTIFY_TIMEOUT_SECONDS: Final = 5.0
SECRET_KEY_PREFIXES: Final = ("sk_test_", "sk_live_")

# The kit's fault injection, under the names the sandbox's callers use.
UNSET: Final = faults.UNSET
account_set_faults = faults.set_faults
account_clear_faults = faults.clear_faults
take_fault = faults.take_fault
DEFAULT_EXPIRY_MINUTES: Final = 5  # CreateSessionDto's default
SCENARIO_EXPIRY_MINUTES: Final = 30
# Scenarios whose person was verified and can be met again as a duplicate.
APPROVED_ORIGINALS: Final = ("clean", "poa_review")
EVENT_TYPES: Final = (
    "verification.completed",
    "verification.status_changed",
    "verification.updated",
)
# Fields of the verification object that only some events carry (SDK 1.9.1's union).
EVENT_ONLY_FIELDS: Final = {
    "verification.completed": ("duplicate_verification", "reuse_source"),
    "verification.status_changed": ("previous_status", "rejection_reason", "reviewed_by"),
    "verification.updated": ("updated_at", "updated_by"),
}
ALL_EVENT_ONLY_FIELDS: Final = frozenset(f for fields in EVENT_ONLY_FIELDS.values() for f in fields)


class InvalidState(Exception):
    """A write the session's state does not allow (answered 409 or 410)."""

    def __init__(self, message: str, *, code: str = "session_invalid_state", status: int = 409):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


# ---------------------------------------------------------------- accounts


@transaction.atomic
def account_get_or_create(secret_key: str, *, name: str = "") -> Account:
    """The account with ``secret_key`` (``sk_test_…`` or ``sk_live_…``), created as needed."""
    if not secret_key.startswith(SECRET_KEY_PREFIXES) or len(secret_key) < 12:
        raise ValueError("secret_key must start with sk_test_ or sk_live_")
    account, created = Account.objects.select_for_update().get_or_create(
        secret_key=secret_key, defaults={"name": name}
    )
    if not created and name and account.name != name:
        account.name = name
        account.save(update_fields=["name"])
    return account


def account_configure_webhook(
    account: Account, url: str, secret: str, *, scheme: str | None = None
) -> Account:
    """Where webhook events go, the secret that signs them, and which headers sign them."""
    account.webhook_url = url
    account.webhook_secret = secret
    fields = ["webhook_url", "webhook_secret"]
    if scheme is not None:
        if scheme not in Account.SignatureScheme.values:
            raise ValueError(f"scheme must be one of {', '.join(Account.SignatureScheme.values)}")
        account.signature_scheme = scheme
        fields.append("signature_scheme")
    account.save(update_fields=fields)
    return account


# ---------------------------------------------------------------- sessions


def _original_for_duplicate(account: Account, rng: random.Random, now: dt.datetime) -> dict:
    """The earlier session a duplicate repeats: the newest approved one, made if none."""
    earlier = (
        account.sessions.filter(scenario__in=APPROVED_ORIGINALS, face_seed__isnull=False)
        .order_by("-created_at", "-id")
        .first()
    )
    if earlier is None:
        earlier = create_session(
            account, "clean", seed=rng.randrange(2**31), now=now - dt.timedelta(days=30)
        )
    completed = (earlier.verification or {}).get("updated_at") or iso(earlier.created_at)
    return {
        "session_id": earlier.id,
        "completed_at": completed,
        "person": earlier.identity,
        "face_seed": earlier.face_seed,
    }


@transaction.atomic
def create_session(
    account: Account,
    scenario: str,
    *,
    seed: int | None = None,
    full_name: str | None = None,
    with_images: bool = True,
    now: dt.datetime | None = None,
) -> KycSession:
    """A new session of ``scenario`` (see ``scenarios.SCENARIOS``) in ``account``.

    ``seed`` makes the content reproducible (not the id); ``with_images=False`` skips
    drawing the images, for tests that only need many sessions quickly; ``now`` sets
    the session's ``updatedAt`` (and its other times before it).
    """
    if scenario not in scenarios.SCENARIOS:
        raise ValueError(
            f"unknown scenario {scenario!r}; choose one of {', '.join(scenarios.SCENARIOS)}"
        )
    rng = random.Random(seed)
    now = now or timezone.now()
    original = _original_for_duplicate(account, rng, now) if scenario == "duplicate" else None
    session_id = new_session_id()
    built = scenarios.build(
        scenario,
        rng,
        session_id=session_id,
        now=now,
        test_mode=account.test_mode,
        full_name=full_name,
        original=original,
        poa_auto_approve=account.poa_auto_approve_threshold,
        poa_manual_review=account.poa_manual_review_threshold,
        with_images=with_images,
    )
    # Sessions made for a scenario live SCENARIO_EXPIRY_MINUTES; an expired one ran out.
    age = rng.randint(40, 90) if scenario == "expired" else rng.randint(3, 25)
    created = now - dt.timedelta(minutes=age)
    expires = created + dt.timedelta(minutes=SCENARIO_EXPIRY_MINUTES)
    session = KycSession.objects.create(
        id=session_id,
        account=account,
        scenario=scenario,
        status=built.status,
        document_type=built.document_type,
        client_id=built.client_id,
        client_metadata=built.client_metadata,
        server_metadata={"requestId": f"req_{rng.randint(100000, 999999)}"},
        language=rng.choice(("en", "de", "uk")),
        test_mode=account.test_mode,
        embed_token=new_prefixed_id("ek", 32),
        verification=built.verification,
        poa=built.poa,
        identity=built.person.as_json(),
        face_seed=built.face_seed,
        expires_at=expires,
        created_at=created,
        updated_at=now,
        last_activity=None if scenario in ("pending", "expired") else now,
    )
    SessionImage.objects.bulk_create(
        SessionImage(session=session, image_type=kind, content=content, created_at=created)
        for kind, content in built.images.items()
    )
    return session


def session_create_from_api(account: Account, body: dict[str, Any]) -> KycSession:
    """Apply POST /v1/sessions (CreateSessionDto, already validated): a pending session."""
    now = timezone.now()
    return KycSession.objects.create(
        account=account,
        scenario="api",
        status=KycSession.Status.PENDING,
        document_type=body.get("documentType") or "",
        client_id=str((body.get("clientMetadata") or {}).get("userId") or ""),
        client_metadata=body.get("clientMetadata") or {},
        server_metadata=body.get("serverMetadata") or {},
        language=body.get("language") or "en",
        test_mode=account.test_mode,
        embed_token=new_prefixed_id("ek", 32),
        expires_at=now + dt.timedelta(minutes=body.get("expiryMinutes") or DEFAULT_EXPIRY_MINUTES),
        created_at=now,
        updated_at=now,
    )


def _writable(session: KycSession) -> dict[str, Any]:
    if session.verification:
        return dict(session.verification)
    if session.status == KycSession.Status.EXPIRED:
        raise InvalidState(f"Session {session.id} has expired.", code="session_expired", status=410)
    raise InvalidState(f"Session {session.id} has no verification yet (status: {session.status}).")


def session_update_status(
    session: KycSession, status: str, *, reason: str = "", reviewed_by: str = ""
) -> KycSession:
    """Apply POST /v1/sessions/{id}/verification/status: approved or rejected by a person."""
    verification = _writable(session)
    now = timezone.now()
    verification["previous_status"] = verification.get("status", "")
    verification["status"] = status
    if status == "rejected" and reason:
        verification["rejection_reason"] = reason
    else:
        verification.pop("rejection_reason", None)
    verification["reviewed_by"] = reviewed_by or "api"
    verification["updated_at"] = iso(now)
    verification["updated_by"] = reviewed_by or "api"
    session.verification = verification
    session.updated_at = now
    session.save(update_fields=["verification", "updated_at"])
    return session


def session_update_poa_status(
    session: KycSession, status: str, *, reason: str = "", reviewed_by: str = ""
) -> KycSession:
    """Apply POST /v1/sessions/{id}/poa/status: the PoA approved or rejected by a person."""
    verification = _writable(session)
    poa = dict(session.poa or {})
    if poa.get("status") != "completed":
        raise InvalidState(f"Session {session.id} has no proof of address to review.")
    now = timezone.now()
    poa["poaStatus"] = status
    poa["message"] = f"PoA {status} by {reviewed_by or 'api'}" + (f": {reason}" if reason else "")
    poa_verification = dict(verification.get("poa_verification") or {})
    poa_verification["status"] = status
    verification["poa_verification"] = poa_verification
    verification["updated_at"] = iso(now)
    verification["updated_by"] = reviewed_by or "api"
    session.poa = poa
    session.verification = verification
    session.updated_at = now
    session.save(update_fields=["poa", "verification", "updated_at"])
    return session


def note_add(session: KycSession, content: str, *, author: str = "") -> Note:
    """Apply POST /v1/sessions/{id}/notes. A note changes no verification data."""
    return Note.objects.create(session=session, content=content, author=author)


# ---------------------------------------------------------------- webhooks


def event_object(verification: dict[str, Any], event_type: str) -> dict[str, Any]:
    """The verification object as one event type carries it (SDK 1.9.1's union)."""
    keep = set(EVENT_ONLY_FIELDS.get(event_type, ()))
    return {k: v for k, v in verification.items() if k not in ALL_EVENT_ONLY_FIELDS - keep}


def build_event(
    session: KycSession, event_type: str, *, event_id: str | None = None, created: int | None = None
) -> dict[str, Any]:
    """A WebhookEventDto for ``session``; raises ValueError when it has no verification."""
    if not session.verification:
        raise ValueError(f"session {session.id} has no verification to send")
    return {
        "id": event_id or new_prefixed_id("evt", 24),
        "type": event_type,
        "created": int(time.time()) if created is None else created,
        "livemode": not session.test_mode,
        "data": {"object": event_object(session.verification, event_type)},
    }


def encode_event(event: dict[str, Any]) -> bytes:
    """The exact bytes Flonk signs and sends."""
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()


def hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_headers(
    secret: str,
    body: bytes,
    *,
    scheme: str = Account.SignatureScheme.BOTH,
    timestamp: int | None = None,
) -> dict[str, str]:
    """``X-Signature: t=,v1=`` and/or the legacy ``X-Signature-256: sha256=`` for ``body``."""
    headers: dict[str, str] = {}
    if scheme in (Account.SignatureScheme.BOTH, Account.SignatureScheme.TIMESTAMP):
        t = int(time.time()) if timestamp is None else timestamp
        headers["X-Signature"] = f"t={t},v1={hmac_hex(secret, f'{t}.'.encode() + body)}"
    if scheme in (Account.SignatureScheme.BOTH, Account.SignatureScheme.LEGACY):
        headers["X-Signature-256"] = f"sha256={hmac_hex(secret, body)}"
    return headers


def send_event(session: KycSession, event_type: str) -> WebhookDelivery:
    """POST a signed event about ``session`` to the account's webhook URL.

    Never raises on a network failure: the failure is logged and recorded on the
    returned WebhookDelivery, like a real provider that gives up on a delivery.
    """
    account = session.account
    event = build_event(session, event_type)
    body = encode_event(event)
    signed = signature_headers(account.webhook_secret, body, scheme=account.signature_scheme)
    delivery = WebhookDelivery(
        account=account,
        session_id=session.id,
        event_id=event["id"],
        event_type=event_type,
        url=account.webhook_url,
        payload=event,
        signature_headers=signed,
    )
    if not account.webhook_url:
        delivery.error = "no webhook URL configured"
    elif not account.webhook_secret:
        delivery.error = "no webhook secret configured"
    else:
        headers = {"Content-Type": "application/json", "User-Agent": "Flonk-Webhooks/1.9", **signed}
        try:
            response = httpx.post(
                account.webhook_url, content=body, headers=headers, timeout=NOTIFY_TIMEOUT_SECONDS
            )
            delivery.response_status = response.status_code
        except httpx.HTTPError as exc:
            delivery.error = f"{type(exc).__name__}: {exc}"[:500]
            logger.warning("flonk sandbox: event %s failed: %s", event["id"], type(exc).__name__)
        else:
            logger.info("flonk sandbox: event %s answered %s", event["id"], response.status_code)
    delivery.save()
    return delivery


# ---------------------------------------------------------------- reading


def received_calls(
    *,
    account: Account | None = None,
    session_id: str | None = None,
    path: str | None = None,
    outcome: str | None = None,
) -> QuerySet[ReceivedCall]:
    """The write calls the sandbox heard, newest first, optionally filtered."""
    return recording.received_calls(
        ReceivedCall, account=account, subject=session_id, path=path, outcome=outcome
    )


def call_as_dict(call: ReceivedCall) -> dict[str, Any]:
    """The JSON shape of one log entry (the ``_control/received`` endpoint)."""
    return recording.call_as_dict(call)


def delivery_as_dict(delivery: WebhookDelivery) -> dict[str, Any]:
    """The JSON shape of one webhook delivery (the ``_control/deliveries`` endpoint)."""
    return {
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "session_id": delivery.session_id,
        "url": delivery.url,
        "payload": delivery.payload,
        "signature_headers": delivery.signature_headers,
        "response_status": delivery.response_status,
        "error": delivery.error,
    }
