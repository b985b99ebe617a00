"""State of the Flonk KYC sandbox: accounts, sessions, images, notes and what it heard.

The sandbox is a simulator of Flonk's REST API that kycdash's demo and integration
tests talk to over real HTTP. Everything it knows lives in these tables, so several
gunicorn or test-server processes see the same provider.
"""

from __future__ import annotations

import datetime as dt
import secrets
import string

from django.db import models
from django.utils import timezone

from providers.sandbox_kit import models as kit

ID_ALPHABET = string.ascii_lowercase + string.digits


def new_session_id() -> str:
    """Flonk's session ids are cuids: ``c`` + 24 lower-case letters and digits."""
    return "cm" + "".join(secrets.choice(ID_ALPHABET) for _ in range(23))


def new_prefixed_id(prefix: str, length: int = 20) -> str:
    return f"{prefix}_" + "".join(secrets.choice(ID_ALPHABET) for _ in range(length))


def new_note_id() -> str:
    return new_prefixed_id("note")


def new_project_id() -> str:
    return "clxproject" + "".join(secrets.choice(ID_ALPHABET) for _ in range(12))


def iso(value: dt.datetime) -> str:
    """A datetime as Flonk writes it: UTC, milliseconds, ``Z``."""
    utc = value.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


class Account(kit.FaultStatusInjection):
    """One simulated Flonk project: its secret key, webhook endpoint, PoA settings, faults."""

    FAULT_STATUSES = (503, 429)  # api_error, rate_limited

    class SignatureScheme(models.TextChoices):
        BOTH = "both", "X-Signature and legacy X-Signature-256"
        TIMESTAMP = "timestamp", "X-Signature only"
        LEGACY = "legacy", "Legacy X-Signature-256 only"

    name = models.CharField(max_length=100, blank=True)
    secret_key = models.CharField(max_length=200, unique=True)
    project_id = models.CharField(max_length=40, default=new_project_id)
    webhook_url = models.URLField(max_length=500, blank=True)
    webhook_secret = models.CharField(max_length=200, blank=True)
    signature_scheme = models.CharField(
        max_length=10, choices=SignatureScheme.choices, default=SignatureScheme.BOTH
    )
    # UpdatePoaSettingsDto: which confidences Flonk approves itself or sends to review.
    poa_auto_approve_threshold = models.FloatField(default=0.85)
    poa_manual_review_threshold = models.FloatField(default=0.5)

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return self.name or f"account {self.masked_secret_key}"

    @property
    def test_mode(self) -> bool:
        return self.secret_key.startswith("sk_test_")

    @property
    def masked_secret_key(self) -> str:
        prefix = "sk_test_" if self.test_mode else "sk_live_"
        return f"{prefix}…{self.secret_key[-4:]}" if len(self.secret_key) > 12 else f"{prefix}…"


class KycSession(models.Model):
    """One KYC session with the verification and proof-of-address reads Flonk returns."""

    class Status(models.TextChoices):
        PENDING = "pending"
        CONNECTED = "connected"
        IN_PROGRESS = "in_progress"
        PROCESSING = "processing"
        COMPLETED = "completed"
        FAILED = "failed"
        EXPIRED = "expired"

    id = models.CharField(primary_key=True, max_length=40, default=new_session_id)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="sessions")
    scenario = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    document_type = models.CharField(max_length=20, blank=True)
    client_id = models.CharField(max_length=200, blank=True)
    client_metadata = models.JSONField(default=dict, blank=True)
    server_metadata = models.JSONField(default=dict, blank=True)
    language = models.CharField(max_length=5, default="en")
    allow_manual_upload = models.BooleanField(default=True)
    test_mode = models.BooleanField(default=True)
    embed_token = models.CharField(max_length=100, blank=True)
    # The verification object (the webhooks' data.object, snake_case), once there is one.
    verification = models.JSONField(null=True, blank=True)
    # The PoA read (PoaStatusResponseDto + confidenceBreakdown), once a PoA was uploaded.
    poa = models.JSONField(null=True, blank=True)
    # The synthetic identity behind the session (document number, face), for duplicates.
    identity = models.JSONField(default=dict, blank=True)
    face_seed = models.BigIntegerField(null=True, blank=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_activity = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("updated_at", "id")

    def __str__(self) -> str:
        return f"{self.id} ({self.status})"

    @property
    def verification_status(self) -> str:
        return str((self.verification or {}).get("status") or "")

    @property
    def poa_status(self) -> str:
        return str((self.poa or {}).get("poaStatus") or "")

    @property
    def is_duplicate(self) -> bool:
        duplicate = (self.verification or {}).get("duplicate_verification") or {}
        return duplicate.get("is_duplicate") is True


class SessionImage(models.Model):
    """One image of a session (front, back, main, face, poa), kept small."""

    session = models.ForeignKey(KycSession, on_delete=models.CASCADE, related_name="images")
    image_type = models.CharField(max_length=10)
    content_type = models.CharField(max_length=40, default="image/jpeg")
    content = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("session", "image_type")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "image_type"], name="flonk_sandbox_one_image_per_type"
            )
        ]

    def __str__(self) -> str:
        return f"{self.image_type} of {self.session_id}"


class Note(models.Model):
    """A note added to a session through ``POST /v1/sessions/{id}/notes``."""

    id = models.CharField(primary_key=True, max_length=40, default=new_note_id)
    session = models.ForeignKey(KycSession, on_delete=models.CASCADE, related_name="notes")
    content = models.TextField()
    author = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return f"note {self.id} on {self.session_id}"

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "sessionId": self.session_id,
            "content": self.content,
            "author": self.author,
            "createdAt": iso(self.created_at),
        }


class ReceivedCall(kit.IdempotentReceivedCall):
    """A write call the sandbox received, and what it answered: the provider's ear."""

    subject_field = "session_id"

    session_id = models.CharField(max_length=100, blank=True, db_index=True)


class WebhookDelivery(kit.Notification):
    """A signed webhook event the sandbox sent (or failed to send)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="deliveries")
    session_id = models.CharField(max_length=40, blank=True)
    event_id = models.CharField(max_length=100)
    event_type = models.CharField(max_length=60)
    signature_headers = models.JSONField(default=dict, blank=True)

    class Meta(kit.Notification.Meta):
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        result = self.response_status if self.response_status is not None else "failed"
        return f"{self.event_type} {self.event_id} → {result}"
