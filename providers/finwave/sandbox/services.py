"""The Finwave sandbox's Python API: clients, onboardings, faults, webhooks, evidence ZIPs.

Tests and the demo loader drive the sandbox through these functions (or through the
``/sandbox/finwave/_control/`` endpoints, which call them); the API views call
``onboarding_request`` to apply ``POST /integrations`` and ``evidence_archive`` to
answer the evidence download.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import random
import secrets
import stat
import zipfile
from typing import Any, Final

import httpx
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from providers.finwave.sandbox import scenarios
from providers.finwave.sandbox.models import (
    Account,
    EvidenceFile,
    Notification,
    Onboarding,
    ReceivedCall,
    new_onboarding_id,
)
from providers.sandbox_kit import faults, recording

logger = logging.getLogger(__name__)

NOTIFY_TIMEOUT_SECONDS: Final = 5.0
BOMB_BYTES: Final = 24 * 1024 * 1024  # past kycdash's default 10 MiB per evidence file
TOO_MANY_MEMBERS: Final = 60
# Which status may follow which: a user starts, then finishes, leaves or runs out of time.
TRANSITIONS: Final = {
    "CREATED": ("INPROCESS", "INCOMPLETED", "TIMEOUT"),
    "INPROCESS": ("FINISHED", "INCOMPLETED", "TIMEOUT"),
}


# The kit's fault injection, under the names the sandbox's callers use.
UNSET: Final = faults.UNSET
account_set_faults = faults.set_faults
account_clear_faults = faults.clear_faults
take_fault = faults.take_fault


class TransitionRefused(ValueError):
    """The onboarding cannot move to the asked status from the one it is in."""

    status = 409  # what a control endpoint answers


# ---------------------------------------------------------------- accounts


@transaction.atomic
def account_get_or_create(client_token: str, *, name: str = "") -> Account:
    """The client with ``client_token``, created when new (its name updated when given)."""
    if not client_token:
        raise ValueError("client_token is required")
    account, created = Account.objects.select_for_update().get_or_create(
        client_token=client_token, defaults={"name": name}
    )
    if not created and name and account.name != name:
        account.name = name
        account.save(update_fields=["name"])
    return account


def account_configure_webhook(account: Account, url: str) -> Account:
    """The webhook given to onboardings the sandbox creates itself (demo, tests)."""
    account.default_webhook = url
    account.save(update_fields=["default_webhook"])
    return account


# ---------------------------------------------------------------- onboardings


def _apply(
    onboarding: Onboarding, scenario: str, *, with_images: bool, quick: bool = False
) -> None:
    """Rebuild the onboarding's result and files as ``scenario`` from its own seed.

    The user started some minutes after the onboarding was created; with ``quick`` (a
    status change made now) a minute ago at most, and went through in seconds.
    """
    request = onboarding.request or {}
    rng = random.Random(onboarding.seed)
    if quick:
        now = timezone.now()
        started_at = max(onboarding.created_at, now - dt.timedelta(minutes=1))
    else:
        started_at = onboarding.created_at + dt.timedelta(minutes=rng.randint(1, 20))
    acceptations = request.get("acceptations")
    built = scenarios.build(
        scenario,
        rng,
        onboarding_id=onboarding.id,
        started_at=started_at,
        acceptations=acceptations if isinstance(acceptations, list) else None,
        phone_step=request.get("phoneStep") is True,
        with_images=with_images,
        quick=quick,
    )
    onboarding.scenario = scenario
    onboarding.status = built.status
    onboarding.result = built.result
    onboarding.updated_at = timezone.now()
    onboarding.save()
    onboarding.files.all().delete()
    EvidenceFile.objects.bulk_create(
        EvidenceFile(
            onboarding=onboarding,
            role=role,
            filename=filename,
            content_type=content_type,
            content=content,
        )
        for role, (filename, content_type, content) in built.files.items()
    )


@transaction.atomic
def onboarding_create(
    account: Account,
    scenario: str = "created",
    *,
    custom_id: str | None = None,
    webhook: str | None = None,
    request: dict[str, Any] | None = None,
    seed: int | None = None,
    archive: str = "",
    with_images: bool = True,
    created_at: dt.datetime | None = None,
) -> Onboarding:
    """A new onboarding of ``scenario`` (see ``scenarios.SCENARIOS``) for ``account``.

    ``seed`` makes the content reproducible (not the id); ``webhook`` defaults to the
    account's; ``archive`` names an attack on the evidence ZIP (``Onboarding.Archive``);
    ``with_images=False`` skips the files, for tests that only need the JSON.
    """
    if scenario not in scenarios.SCENARIOS:
        raise ValueError(
            f"unknown scenario {scenario!r}; choose one of {', '.join(scenarios.SCENARIOS)}"
        )
    if archive not in Onboarding.Archive.values:
        raise ValueError(f"unknown archive {archive!r}")
    onboarding_id = new_onboarding_id()
    rng = random.Random(seed)
    onboarding = Onboarding.objects.create(
        id=onboarding_id,
        account=account,
        custom_id=custom_id or f"kyc-{secrets.token_hex(6)}",
        webhook=account.default_webhook if webhook is None else webhook,
        request=request or {"lang": "ENG", "phoneStep": False},
        archive=archive,
        seed=rng.randrange(2**62) if seed is not None else secrets.randbelow(2**62),
        # made by hand (control endpoint, demo): its user came and went a while ago
        created_at=created_at or timezone.now() - dt.timedelta(minutes=rng.randint(60, 180)),
    )
    _apply(onboarding, scenario, with_images=with_images)
    return onboarding


def onboarding_request(account: Account, body: dict[str, Any]) -> tuple[Onboarding, bool]:
    """Apply ``POST /integrations`` (body already validated): (onboarding, created).

    A repeat for the same customId creates nothing and returns the existing
    onboarding; concurrent repeats are settled by the unique constraint.
    """
    custom_id = body["customId"]
    existing = Onboarding.objects.filter(account=account, custom_id=custom_id).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            onboarding = onboarding_create(
                account,
                "created",
                custom_id=custom_id,
                webhook=body.get("webhook") or "",
                request={k: v for k, v in body.items() if k not in ("customId", "webhook")},
                created_at=timezone.now(),
            )
    except IntegrityError:
        existing = Onboarding.objects.filter(account=account, custom_id=custom_id).first()
        if existing is None:
            raise
        return existing, False
    return onboarding, True


@transaction.atomic
def onboarding_advance(
    onboarding: Onboarding, to: str, *, scenario: str | None = None, with_images: bool = True
) -> Onboarding:
    """Move the onboarding on as its user would: start it, finish it, leave it, time out.

    ``scenario`` picks how a FINISHED onboarding turned out (default ``clean``).
    """
    onboarding = Onboarding.objects.select_for_update().get(pk=onboarding.pk)
    allowed = TRANSITIONS.get(onboarding.status, ())
    if to not in allowed:
        raise TransitionRefused(
            f"an onboarding in {onboarding.status} cannot become {to}"
            + (f" (it may become {', '.join(allowed)})" if allowed else "")
        )
    if scenario is None:
        scenario = scenarios.SCENARIO_FOR_STATUS[to]
    elif scenarios.STATUS_OF.get(scenario) != to:
        raise ValueError(f"scenario {scenario!r} does not end in {to}")
    _apply(onboarding, scenario, with_images=with_images, quick=True)
    return onboarding


# ---------------------------------------------------------------- evidence ZIP


def _member(name: str, moment: dt.datetime) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=moment.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    return info


def evidence_archive(onboarding: Onboarding) -> bytes:
    """The ZIP of ``/integrations/:id/evidences``: every file under its result name.

    The OCR JSON is added under ``<id>-OCR.json`` (the document says the ZIP may hold
    JSON; the result does not name it). ``onboarding.archive`` turns the ZIP into one of
    the attacks an unpacker must refuse.
    """
    attack = onboarding.archive
    if attack == Onboarding.Archive.CORRUPT:
        return b"PK\x03\x04 this is not a ZIP archive, whatever its first bytes say"
    moment = onboarding.updated_at
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        front = b""
        for file in onboarding.files.all():
            content = bytes(file.content)
            if file.role == "idDocumentFront":
                front = content
                if attack == Onboarding.Archive.SYMLINK:
                    link = _member(file.filename, moment)
                    link.external_attr = (stat.S_IFLNK | 0o777) << 16
                    zf.writestr(link, "/etc/passwd")
                    continue
                if attack == Onboarding.Archive.BOMB:
                    zf.writestr(_member(file.filename, moment), bytes(BOMB_BYTES), compresslevel=9)
                    continue
            zf.writestr(_member(file.filename, moment), content)
        ocr = onboarding.result.get("ocr")
        if ocr:
            zf.writestr(_member(f"{onboarding.id}-OCR.json", moment), json.dumps(ocr))
        if attack == Onboarding.Archive.TRAVERSAL:
            zf.writestr(_member("../../../tmp/finwave-sandbox-escape.jpg", moment), front)
        if attack == Onboarding.Archive.ABSOLUTE:
            hostile = "/tmp/finwave-sandbox-absolute.jpg"  # noqa: S108 - a name, never a path
            zf.writestr(_member(hostile, moment), front)
        if attack == Onboarding.Archive.TOO_MANY:
            for i in range(TOO_MANY_MEMBERS):
                zf.writestr(_member(f"{onboarding.id}-EXTRA-{i:02d}.txt", moment), b"x")
    return buffer.getvalue()


# ---------------------------------------------------------------- webhooks


def notification_payload(onboarding: Onboarding) -> dict[str, Any]:
    """The document's webhook body: which onboarding, whose, and its status."""
    return {
        "onboardingId": onboarding.id,
        "customId": onboarding.custom_id,
        "result": onboarding.status,
    }


def notification_body(onboarding: Onboarding) -> bytes:
    """The exact bytes the sandbox posts (the driver builds its deliveries from them)."""
    return json.dumps(notification_payload(onboarding)).encode()


def notify(onboarding: Onboarding) -> Notification:
    """POST the webhook of the onboarding's current status to its webhook URL.

    Unsigned, as documented. Never raises on a network failure: the failure is logged
    and recorded on the returned Notification, and not retried (Finwave promises no
    retries).
    """
    payload = notification_payload(onboarding)
    notification = Notification(
        account=onboarding.account,
        onboarding_id=onboarding.id,
        result=onboarding.status,
        url=onboarding.webhook,
        payload=payload,
    )
    if not onboarding.webhook:
        notification.error = "no webhook URL for this onboarding"
    else:
        try:
            response = httpx.post(
                onboarding.webhook,
                content=notification_body(onboarding),
                headers={"Content-Type": "application/json"},
                timeout=NOTIFY_TIMEOUT_SECONDS,
            )
            notification.response_status = response.status_code
        except httpx.HTTPError as exc:
            notification.error = f"{type(exc).__name__}"[:500]
            logger.warning(
                "finwave sandbox: webhook of %s failed: %s", onboarding.pk, notification.error
            )
        else:
            logger.info(
                "finwave sandbox: webhook %s of %s answered %s",
                onboarding.status,
                onboarding.pk,
                response.status_code,
            )
    notification.save()
    return notification


# ---------------------------------------------------------------- reading


def received_calls(
    *,
    account: Account | None = None,
    onboarding_id: str | None = None,
    path: str | None = None,
    outcome: str | None = None,
) -> QuerySet[ReceivedCall]:
    """The write calls the sandbox heard, newest first, optionally filtered."""
    return recording.received_calls(
        ReceivedCall, account=account, subject=onboarding_id, path=path, outcome=outcome
    )


def call_as_dict(call: ReceivedCall) -> dict[str, Any]:
    """The JSON shape of one log entry (the ``_control/received`` endpoint)."""
    return recording.call_as_dict(call)
