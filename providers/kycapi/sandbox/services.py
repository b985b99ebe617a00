"""The KYC API sandbox's Python API: accounts, tokens, sessions, faults, webhooks, log.

Tests and the demo loader drive the sandbox through these functions (or through the
``/sandbox/kycapi/_control/`` endpoints, which call them); the API views call the
``token_*``, ``session_*`` and ``webhook_*`` functions to apply what they accept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import random
import secrets
import uuid
from typing import Any, Final

import httpx
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from providers.kycapi.sandbox import bodies, scenarios
from providers.kycapi.sandbox.models import (
    AccessToken,
    Account,
    Document,
    IdaSession,
    Identity,
    Notification,
    ReceivedCall,
    Session,
    SessionFile,
    Webhook,
)
from providers.sandbox_kit import faults, recording

logger = logging.getLogger(__name__)

NOTIFY_TIMEOUT_SECONDS: Final = 5.0
MAX_TOKEN_TTL_SECONDS: Final = 86_400
WEBHOOK_SECRET_HEADER: Final = "X-Webhook-Secret"  # noqa: S105 (a header name)
WEBHOOK_USER_AGENT: Final = "KYC-API-Webhooks/2.10.15"
SESSION_EVENT: Final = "idv.session.status_changed"
IDA_EVENT: Final = "ida.session.status_changed"
# the personal fields an anonymize blanks on the session and on its documents
ANONYMIZED_SESSION_FIELDS: Final = (
    "first_name",
    "middle_name",
    "last_name",
    "suffix_name",
    "birth_date",
)
ANONYMIZED_DOCUMENT_FIELDS: Final = (
    "document_number",
    "ref_number",
    "first_name",
    "middle_name",
    "last_name",
    "name_suffix",
    "street",
    "city",
    "postal_code",
    "birth_date",
    "height",
    "weight",
    "eye_color",
    "hair_color",
)


# The kit's fault injection, under the names the sandbox's callers use.
UNSET: Final = faults.UNSET
account_set_faults = faults.set_faults
account_clear_faults = faults.clear_faults
take_fault = faults.take_fault


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# ---------------------------------------------------------------- accounts


@transaction.atomic
def account_get_or_create(
    client_id: str,
    client_secret: str,
    *,
    name: str = "",
    token_ttl_seconds: int | None = None,
) -> Account:
    """The account with ``client_id``; created, or its secret updated, as needed."""
    if not client_id or not client_secret:
        raise ValueError("client_id and client_secret are required")
    if token_ttl_seconds is not None and not 1 <= token_ttl_seconds <= MAX_TOKEN_TTL_SECONDS:
        raise ValueError(f"token_ttl_seconds must be between 1 and {MAX_TOKEN_TTL_SECONDS}")
    account, created = Account.objects.select_for_update().get_or_create(
        client_id=client_id, defaults={"client_secret": client_secret, "name": name}
    )
    changed = []
    if not created and account.client_secret != client_secret:
        account.client_secret = client_secret
        changed.append("client_secret")
    if not created and name and account.name != name:
        account.name = name
        changed.append("name")
    if token_ttl_seconds is not None and account.token_ttl_seconds != token_ttl_seconds:
        account.token_ttl_seconds = token_ttl_seconds
        changed.append("token_ttl_seconds")
    if changed:
        account.save(update_fields=changed)
    return account


# ---------------------------------------------------------------- tokens


def token_issue(account: Account) -> tuple[str, int]:
    """A new bearer token for ``account`` and its lifetime in seconds."""
    token = f"kyc_at_{secrets.token_urlsafe(32)}"
    ttl = account.token_ttl_seconds
    AccessToken.objects.create(
        account=account,
        digest=token_digest(token),
        expires_at=timezone.now() + dt.timedelta(seconds=ttl),
    )
    Account.objects.filter(pk=account.pk).update(tokens_issued=F("tokens_issued") + 1)
    return token, ttl


def token_lookup(token: str) -> AccessToken | None:
    """The stored token (valid or not) for a presented bearer token."""
    if not token:
        return None
    return AccessToken.objects.select_related("account").filter(digest=token_digest(token)).first()


def tokens_revoke(account: Account) -> int:
    """Revoke every token of the account (as a credential rotation would)."""
    return AccessToken.objects.filter(account=account, revoked=False).update(revoked=True)


# ---------------------------------------------------------------- sessions


@transaction.atomic
def create_session(
    account: Account,
    scenario: str,
    *,
    seed: int | None = None,
    with_images: bool = True,
    created_at: dt.datetime | None = None,
    identity: Identity | None = None,
) -> Session:
    """A new IDV session of ``scenario`` (see ``scenarios.SCENARIOS``) in ``account``.

    ``seed`` makes the content reproducible (not the ids); ``with_images=False``
    skips drawing the files, for tests that only need many sessions quickly;
    ``identity`` puts the session on an existing identity (a new one by default).
    """
    rng = random.Random(seed)
    now = timezone.now()
    built = scenarios.build(scenario, rng, now=now, created_at=created_at, with_images=with_images)
    if identity is None:
        identity = Identity.objects.create(account=account, created_at=built.fields["created_at"])
    session = Session.objects.create(
        account=account,
        identity=identity,
        scenario=scenario,
        tests=built.tests,
        face_seed=built.face_seed,
        **built.fields,
    )
    for offset, fields in enumerate(built.documents):
        Document.objects.create(
            session=session,
            data_source_e=fields["data_source_e"],
            fields={k: v for k, v in fields.items() if k != "data_source_e"},
            created_at=session.created_at + dt.timedelta(seconds=offset),
        )
    SessionFile.objects.bulk_create(
        SessionFile(session=session, storage_file_type_e=kind, content=content)
        for kind, content in built.files.items()
    )
    for reauth in built.reauthentications:
        create_reauthentication(session, created_at=reauth["created_at"])
    return session


def create_reauthentication(
    session: Session,
    *,
    authenticated: bool = True,
    created_at: dt.datetime | None = None,
) -> IdaSession:
    """A finished IDA (re-authentication) session of the session's identity."""
    moment = created_at or timezone.now()
    done = moment + dt.timedelta(seconds=45)
    return IdaSession.objects.create(
        account=session.account,
        identity=session.identity,
        user_id=session.user_id,
        status_e="complete",
        first_name=session.first_name,
        middle_name=session.middle_name,
        last_name=session.last_name,
        suffix_name=session.suffix_name,
        liveness_detected=True,
        liveness_detected_at=moment + dt.timedelta(seconds=20),
        selfie_given=True,
        selfie_given_at=moment + dt.timedelta(seconds=30),
        authenticated=authenticated,
        metadata=dict(session.metadata),
        created_at=moment,
        completed_at=done,
    )


def sessions_of(account: Account) -> QuerySet[Session]:
    """The sessions the API still shows (deleted ones are gone)."""
    return Session.objects.filter(account=account, deleted_at__isnull=True)


@transaction.atomic
def session_anonymize(session: Session) -> bool:
    """Apply session anonymize: names, birth date, document data and files go; statuses,
    scores and history stay. False when it was anonymized already (nothing to do)."""
    if session.anonymized_at is not None:
        return False
    for name in ANONYMIZED_SESSION_FIELDS:
        setattr(session, name, "")
    session.anonymized_at = timezone.now()
    session.save()
    for document in session.documents.all():
        document.fields = {
            k: ("" if k in ANONYMIZED_DOCUMENT_FIELDS else v) for k, v in document.fields.items()
        }
        document.save(update_fields=["fields"])
    session.files.all().delete()
    return True


@transaction.atomic
def session_delete(session: Session) -> Session:
    """Apply session delete: the API no longer knows the session (reads answer 404).

    The row stays, emptied, so the sandbox page can show that it was deleted.
    """
    session_anonymize(session)
    session.documents.all().delete()
    session.tests = {}
    session.history = []
    session.metadata = {}
    session.deleted_at = timezone.now()
    session.save()
    return session


# ---------------------------------------------------------------- webhooks


def webhook_create(account: Account, *, name: str, url: str, secret: str = "") -> Webhook:
    return Webhook.objects.create(account=account, name=name, url=url, secret=secret)


def webhook_delete(webhook: Webhook) -> None:
    webhook.delete()


def _deliver(webhook: Webhook, event_type: str, payload: dict[str, Any], session_id: str):
    notification = Notification(
        account=webhook.account,
        webhook_id=webhook.id,
        event_id=payload["event_id"],
        event_type=event_type,
        session_id=session_id,
        url=webhook.url,
        payload=payload,
    )
    headers = {"User-Agent": WEBHOOK_USER_AGENT}
    if webhook.secret:
        headers[WEBHOOK_SECRET_HEADER] = webhook.secret
    try:
        response = httpx.post(
            webhook.url, json=payload, headers=headers, timeout=NOTIFY_TIMEOUT_SECONDS
        )
        notification.response_status = response.status_code
    except httpx.HTTPError as exc:
        notification.error = f"{type(exc).__name__}: {exc}"[:500]
        logger.warning(
            "kycapi sandbox: delivery %s failed: %s", payload["event_id"], type(exc).__name__
        )
    else:
        logger.info(
            "kycapi sandbox: delivery %s answered %s", payload["event_id"], response.status_code
        )
    notification.save()
    return notification


def notify(session: Session, *, event_type: str = SESSION_EVENT) -> list[Notification]:
    """Deliver the session's event to every webhook of its account (none: empty list).

    Never raises on a network failure: the failure is logged and recorded on the
    Notification, like a real provider that gives up on a delivery.
    """
    return _notify_all(
        session.account,
        event_type,
        session_id=session.id,
        identity_id=session.identity_id,
        status_e=session.status_e,
    )


def notify_ida(ida: IdaSession) -> list[Notification]:
    """Deliver an IDA session's event (kycdash stores it and acts on nothing)."""
    return _notify_all(
        ida.account,
        IDA_EVENT,
        session_id=ida.id,
        identity_id=ida.identity_id,
        status_e=ida.status_e,
    )


def _notify_all(
    account: Account, event_type: str, *, session_id: str, identity_id: str, status_e: str
) -> list[Notification]:
    sent = []
    for webhook in Webhook.objects.filter(account=account).select_related("account"):
        payload = {
            "event_id": str(uuid.uuid4()),
            "event_type": event_type,
            "created_at": bodies.iso(timezone.now()),
            "session_id": session_id,
            "identity_id": identity_id,
            "status_e": status_e,
        }
        sent.append(_deliver(webhook, event_type, payload, session_id))
    return sent


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
    return recording.call_as_dict(call, time_format=bodies.iso)
