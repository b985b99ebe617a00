"""The JSON bodies the KYC API sandbox answers, shaped from its models.

Field names and order follow the document's response samples; where the document
elides a shape (list rows, ``meta_counts``, ``history``) the sandbox does what
``providers/kycapi/client.py`` says.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from providers.kycapi.sandbox.models import Document, IdaSession, Session, Webhook


def iso(value: dt.datetime | None) -> str | None:
    """ISO 8601 UTC with milliseconds and ``Z``; None stays null."""
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def session_read(session: Session) -> dict[str, Any]:
    """The session read body, every documented field in the document's order."""
    return {
        **_session_fields(session),
        "metadata": session.metadata,
        "webhook_url": session.webhook_url,
        "settings": session.settings,
        "history": session.history,
    }


def session_row(session: Session) -> dict[str, Any]:
    """A row of the session list: the session read without metadata, webhook_url and
    settings (history stays: it dates the changes that have no timestamp field)."""
    return {**_session_fields(session), "history": session.history}


def _session_fields(session: Session) -> dict[str, Any]:
    return {
        "session_id": session.id,
        "user_id": session.user_id,
        "client_id": session.account.client_id,
        "idv_weights_id": session.idv_weights_id,
        "status_e": session.status_e,
        "document_type_e": session.document_type_e,
        "created_at": iso(session.created_at),
        "completed_at": iso(session.completed_at),
        "first_name": session.first_name,
        "middle_name": session.middle_name,
        "last_name": session.last_name,
        "suffix_name": session.suffix_name,
        "gender_e": session.gender_e,
        "birth_date": session.birth_date,
        "consented": session.consented,
        "consented_at": iso(session.consented_at),
        "document_front_given": session.document_front_given,
        "document_front_given_at": iso(session.document_front_given_at),
        "document_back_given": session.document_back_given,
        "document_back_given_at": iso(session.document_back_given_at),
        "liveness_detected": session.liveness_detected,
        "liveness_detected_at": iso(session.liveness_detected_at),
        "selfie_given": session.selfie_given,
        "selfie_given_at": iso(session.selfie_given_at),
        "dmv_status_e": session.dmv_status_e,
        "dmv_detected_at": iso(session.dmv_detected_at),
        "ofac_status_e": session.ofac_status_e,
        "ofac_detected_at": iso(session.ofac_detected_at),
        "verified": session.verified,
        "verified_at": iso(session.verified_at),
        "score": session.score,
        "identity_id": session.identity_id,
    }


# the document read's fields, in the document's order, after the ids
DOCUMENT_FIELDS = (
    "type_e",
    "data_source_e",
    "document_number",
    "ref_number",
    "issued_at",
    "expires_at",
    "issuing_country",
    "issuing_state",
    "first_name",
    "middle_name",
    "last_name",
    "name_suffix",
    "street",
    "city",
    "state",
    "postal_code",
    "birth_date",
    "gender_e",
    "height",
    "weight",
    "eye_color",
    "hair_color",
    "class",
    "restrictions",
)


def document(doc: Document) -> dict[str, Any]:
    values = {**doc.fields, "data_source_e": doc.data_source_e}
    body: dict[str, Any] = {"session_id": doc.session_id, "document_id": doc.id}
    for name in DOCUMENT_FIELDS:
        value = values.get(name, "")
        body[name] = "unknown" if name.endswith("_e") and not value else value
    return body


def ida_row(ida: IdaSession) -> dict[str, Any]:
    """A row of the IDA session list: the IDA session read without history."""
    return {
        "session_id": ida.id,
        "user_id": ida.user_id,
        "client_id": ida.account.client_id,
        "status_e": ida.status_e,
        "created_at": iso(ida.created_at),
        "completed_at": iso(ida.completed_at),
        "identity_id": ida.identity_id,
        "first_name": ida.first_name,
        "middle_name": ida.middle_name,
        "last_name": ida.last_name,
        "suffix_name": ida.suffix_name,
        "liveness_detected": ida.liveness_detected,
        "liveness_detected_at": iso(ida.liveness_detected_at),
        "selfie_given": ida.selfie_given,
        "selfie_given_at": iso(ida.selfie_given_at),
        "authenticated": ida.authenticated,
        "metadata": ida.metadata,
    }


def webhook_row(webhook: Webhook) -> dict[str, Any]:
    """A row of the webhook list; the secret is never shown."""
    return {
        "id": webhook.id,
        "client_id": webhook.account.client_id,
        "name": webhook.name,
        "url": webhook.url,
        "created_at": iso(webhook.created_at),
    }
