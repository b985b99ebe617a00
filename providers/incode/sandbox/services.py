"""The Incode sandbox's Python API: accounts, interviews, faults, notifications, log.

Tests and the demo loader drive the sandbox through these functions (or through the
``/sandbox/incode/_control/`` endpoints, which call them); the Omni views call the
``interview_*`` and ``watchlist_add`` functions to apply the write calls they accept.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import uuid
from typing import Any, Final

import httpx
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from providers.incode.sandbox import scenarios
from providers.incode.sandbox.models import (
    Account,
    Interview,
    InterviewImage,
    Notification,
    ReceivedCall,
    WatchlistRecord,
    to_epoch_ms,
)
from providers.sandbox_kit import faults, recording

logger = logging.getLogger(__name__)

NOTIFY_TIMEOUT_SECONDS: Final = 5.0
WEBHOOK_SECRET_HEADER: Final = "X-Webhook-Secret"  # noqa: S105 (a header name)

# The kit's fault injection, under the names the sandbox's callers use.
UNSET: Final = faults.UNSET
account_set_faults = faults.set_faults
account_clear_faults = faults.clear_faults
take_fault = faults.take_fault


# ---------------------------------------------------------------- accounts


@transaction.atomic
def account_get_or_create(api_key: str, admin_token: str, *, name: str = "") -> Account:
    """The account with ``api_key``; created, or its admin token updated, as needed."""
    if not api_key or not admin_token:
        raise ValueError("api_key and admin_token are required")
    account, created = Account.objects.select_for_update().get_or_create(
        api_key=api_key, defaults={"admin_token": admin_token, "name": name}
    )
    changed = []
    if not created and account.admin_token != admin_token:
        account.admin_token = admin_token
        changed.append("admin_token")
    if not created and name and account.name != name:
        account.name = name
        changed.append("name")
    if changed:
        account.save(update_fields=changed)
    return account


def account_configure_webhook(account: Account, url: str, secret: str) -> Account:
    """Where status-change notifications go, and the secret header they carry."""
    account.webhook_url = url
    account.webhook_secret = secret
    account.save(update_fields=["webhook_url", "webhook_secret"])
    return account


# ---------------------------------------------------------------- interviews


@transaction.atomic
def create_interview(
    account: Account,
    scenario: str,
    *,
    full_name: str | None = None,
    seed: int | None = None,
    with_images: bool = True,
    updated_at: dt.datetime | None = None,
) -> Interview:
    """A new interview of ``scenario`` (see ``scenarios.SCENARIOS``) in ``account``.

    ``seed`` makes the content reproducible (not the id); ``with_images=False`` skips
    drawing the images, for tests that only need many interviews quickly.
    """
    rng = random.Random(seed)
    now = updated_at or timezone.now()
    existing = None
    if scenario == "antifraud_failed":
        existing = (
            account.interviews.filter(deleted=False)
            .exclude(scenario__in=("antifraud_failed", "in_progress"))
            .order_by("-created_at", "-id")
            .first()
        )
    built = scenarios.build(
        scenario,
        rng,
        today=now.date(),
        full_name=full_name,
        existing_interview_id=existing.id if existing else "",
        existing_face_seed=existing.face_seed if existing else None,
        with_images=with_images,
    )
    interview = Interview.objects.create(
        account=account,
        scenario=scenario,
        onboarding_status=built.onboarding_status,
        score=built.score,
        ocr=built.ocr,
        antifraud_result=built.antifraud_result,
        antifraud_step=built.antifraud_step,
        face_seed=built.face_seed,
        created_at=now - dt.timedelta(minutes=rng.randint(3, 25)),
        updated_at=now,
    )
    InterviewImage.objects.bulk_create(
        InterviewImage(interview=interview, image_type=kind, content=content)
        for kind, content in built.images.items()
    )
    return interview


def interview_manual_review(interview: Interview, status: str, new_reason: str = "") -> Interview:
    """Apply PUT /omni/manual-review: REQUIRED, APPROVED or REJECTED."""
    score = dict(interview.score)
    overall = dict(score.get("overall") or {})
    if status == "APPROVED":
        interview.onboarding_status = Interview.OnboardingStatus.MANUAL_REVIEW_APPROVED
        overall["status"] = "MANUAL_OK"
    elif status == "REJECTED":
        interview.onboarding_status = Interview.OnboardingStatus.MANUAL_REVIEW_REJECTED
        overall["status"] = "MANUAL_FAIL"
    elif status == "REQUIRED":
        if interview.onboarding_status in (
            Interview.OnboardingStatus.MANUAL_REVIEW_APPROVED,
            Interview.OnboardingStatus.MANUAL_REVIEW_REJECTED,
        ):
            interview.onboarding_status = Interview.OnboardingStatus.ONBOARDING_FINISHED
        overall["status"] = "MANUAL"
    else:
        raise ValueError(f"unknown manual review status {status!r}")
    score["overall"] = overall
    interview.score = score
    if new_reason:
        interview.manual_review_reasons = [*interview.manual_review_reasons, new_reason]
    interview.updated_at = timezone.now()
    interview.save()
    return interview


def interview_resolve_antifraud(interview: Interview, reason: str = "") -> Interview:
    """Apply PUT /omni/resolve/antifraud.

    Incode then leaves the session out of future antifraud checks, so re-running the
    check (GET /omni/process/antifraud) passes: the stored result becomes PASSED and
    the score's antifraud section OK. The resolution itself stays visible.
    """
    interview.antifraud_resolved = True
    interview.antifraud_resolved_reason = reason[:500]
    if interview.antifraud_result == Interview.AntifraudResult.FAILED:
        interview.antifraud_result = Interview.AntifraudResult.PASSED
        interview.antifraud_step = ""
        score = dict(interview.score)
        if "antifraud" in score:
            score["antifraud"] = {"overall": {"value": "100.0", "status": "OK"}}
        interview.score = score
    interview.updated_at = timezone.now()
    interview.save()
    return interview


def interview_delete_pii(interview: Interview, *, keep_customer: bool = False) -> Interview:
    """Apply DELETE /omni/interview: the session stays, its personal data goes."""
    interview.ocr = {}
    interview.deleted = True
    interview.images.all().delete()
    interview.updated_at = timezone.now()
    interview.save()
    return interview


def watchlist_add(account: Account, fields: dict[str, Any]) -> WatchlistRecord:
    """Apply POST /omni/add/watchlist/single-record (fields already validated)."""
    return WatchlistRecord.objects.create(
        account=account,
        watchlist_type=fields.get("watchlistType") or "",
        name=fields.get("name") or "",
        birth_date=str(fields.get("birthDate") or ""),
        id_number=fields.get("idNumber") or "",
        email=fields.get("email") or "",
        phone=fields.get("phone") or "",
        has_image=bool(fields.get("imageBase64")),
        record_expires_at=str(fields.get("recordExpiresAt") or ""),
    )


# ---------------------------------------------------------------- notifications


def notify_status_changed(interview: Interview) -> Notification:
    """POST the status-change notification to the account's webhook URL.

    Never raises on a network failure: the failure is logged and recorded on the
    returned Notification, like a real provider that gives up on a delivery.
    """
    account = interview.account
    event_id = uuid.uuid4().hex
    payload = {
        "eventId": event_id,
        "interviewId": interview.id,
        "onboardingStatus": interview.onboarding_status,
        "timestamp": to_epoch_ms(timezone.now()),
    }
    notification = Notification(
        account=account,
        interview_id=interview.id,
        event_id=event_id,
        url=account.webhook_url,
        payload=payload,
    )
    if not account.webhook_url:
        notification.error = "no webhook URL configured"
    else:
        try:
            response = httpx.post(
                account.webhook_url,
                json=payload,
                headers={WEBHOOK_SECRET_HEADER: account.webhook_secret},
                timeout=NOTIFY_TIMEOUT_SECONDS,
            )
            notification.response_status = response.status_code
        except httpx.HTTPError as exc:
            notification.error = f"{type(exc).__name__}: {exc}"[:500]
            logger.warning(
                "incode sandbox: notification %s failed: %s", event_id, type(exc).__name__
            )
        else:
            logger.info(
                "incode sandbox: notification %s answered %s", event_id, response.status_code
            )
    notification.save()
    return notification


# ---------------------------------------------------------------- reading


def received_calls(
    *,
    account: Account | None = None,
    interview_id: str | None = None,
    path: str | None = None,
    outcome: str | None = None,
) -> QuerySet[ReceivedCall]:
    """The write calls the sandbox heard, newest first, optionally filtered."""
    return recording.received_calls(
        ReceivedCall, account=account, subject=interview_id, path=path, outcome=outcome
    )


def call_as_dict(call: ReceivedCall) -> dict[str, Any]:
    """The JSON shape of one log entry (the ``_control/received`` endpoint)."""
    return recording.call_as_dict(call)
