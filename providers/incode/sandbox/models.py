"""State of the Incode Omni sandbox: accounts, interviews, images and what it heard.

The sandbox is a simulator of Incode's API that kycdash's demo and integration tests
talk to over real HTTP. Everything it knows lives in these tables, so several
gunicorn or test-server processes see the same provider.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone

from providers.sandbox_kit import models as kit


def new_interview_id() -> str:
    """Incode's session ids look like MongoDB ObjectIds: 24 lower-case hex digits."""
    return secrets.token_hex(12)


def to_epoch_ms(value) -> int:
    return int(value.timestamp() * 1000)


class Account(kit.FaultInjection):
    """One simulated Incode client: its API key, admin token, webhook and faults."""

    name = models.CharField(max_length=100, blank=True)
    api_key = models.CharField(max_length=200, unique=True)
    # What a real client gets from the admin login and sends as X-Incode-Hardware-Id.
    admin_token = models.CharField(max_length=500)
    webhook_url = models.URLField(max_length=500, blank=True)
    webhook_secret = models.CharField(max_length=200, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return self.name or f"account {self.api_key[:4]}…"

    @property
    def masked_api_key(self) -> str:
        return f"{self.api_key[:4]}…" if len(self.api_key) > 4 else "…"


class Interview(models.Model):
    """One onboarding session with the payloads the Omni API returns for it."""

    class OnboardingStatus(models.TextChoices):
        UNKNOWN = "UNKNOWN"
        ID_VALIDATION_FINISHED = "ID_VALIDATION_FINISHED"
        POST_PROCESSING_FINISHED = "POST_PROCESSING_FINISHED"
        FACE_VALIDATION_FINISHED = "FACE_VALIDATION_FINISHED"
        ONBOARDING_FINISHED = "ONBOARDING_FINISHED"
        MANUAL_REVIEW_APPROVED = "MANUAL_REVIEW_APPROVED"
        MANUAL_REVIEW_REJECTED = "MANUAL_REVIEW_REJECTED"

    class AntifraudResult(models.TextChoices):
        PASSED = "PASSED"
        FAILED = "FAILED"
        NOT_EXECUTED = "NOT_EXECUTED"

    id = models.CharField(primary_key=True, max_length=24, default=new_interview_id)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="interviews")
    scenario = models.CharField(max_length=40, blank=True)
    onboarding_status = models.CharField(
        max_length=40, choices=OnboardingStatus.choices, default=OnboardingStatus.UNKNOWN
    )
    # The JSON bodies of GET /omni/get/score and /omni/get/ocr-data, as Incode shapes them.
    score = models.JSONField(default=dict, blank=True)
    ocr = models.JSONField(default=dict, blank=True)
    antifraud_result = models.CharField(
        max_length=20, choices=AntifraudResult.choices, default=AntifraudResult.NOT_EXECUTED
    )
    antifraud_step = models.CharField(max_length=60, blank=True)
    antifraud_resolved = models.BooleanField(default=False)
    antifraud_resolved_reason = models.CharField(max_length=500, blank=True)
    manual_review_reasons = models.JSONField(default=list, blank=True)
    # Seeds the drawn face, so another interview can show the same person (antifraud).
    face_seed = models.BigIntegerField(null=True, blank=True)
    deleted = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ("updated_at", "id")

    def __str__(self) -> str:
        return f"{self.id} ({self.onboarding_status})"

    @property
    def overall_status(self) -> str:
        return str((self.score.get("overall") or {}).get("status", ""))

    @property
    def updated_at_ms(self) -> int:
        return to_epoch_ms(self.updated_at)


class InterviewImage(models.Model):
    """One image of an interview (croppedFrontID, selfie, document…), kept small."""

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="images")
    image_type = models.CharField(max_length=40)
    content_type = models.CharField(max_length=40, default="image/jpeg")
    content = models.BinaryField()

    class Meta:
        ordering = ("interview", "image_type")
        constraints = [
            models.UniqueConstraint(
                fields=["interview", "image_type"], name="incode_sandbox_one_image_per_type"
            )
        ]

    def __str__(self) -> str:
        return f"{self.image_type} of {self.interview_id}"


class ReceivedCall(kit.IdempotentReceivedCall, kit.QueryRecorded):
    """A write call the sandbox received, and what it answered: the provider's ear."""

    subject_field = "interview_id"

    interview_id = models.CharField(max_length=100, blank=True, db_index=True)


class Notification(kit.Notification):
    """A status-change notification the sandbox sent (or failed to send)."""

    interview_id = models.CharField(max_length=24, blank=True)
    event_id = models.CharField(max_length=100)

    def __str__(self) -> str:
        result = self.response_status if self.response_status is not None else "failed"
        return f"notification {self.event_id} → {result}"


class WatchlistRecord(models.Model):
    """An entry added to the account's custom watchlist."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="watchlist")
    watchlist_type = models.CharField(max_length=20, blank=True)
    name = models.CharField(max_length=300, blank=True)
    birth_date = models.CharField(max_length=40, blank=True)
    id_number = models.CharField(max_length=100, blank=True)
    email = models.CharField(max_length=300, blank=True)
    phone = models.CharField(max_length=60, blank=True)
    has_image = models.BooleanField(default=False)
    record_expires_at = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.watchlist_type or 'watchlist'} entry #{self.pk}"
