"""State of the Finwave Digital Onboarding sandbox: clients, onboardings, files, what it heard.

The sandbox is a simulator of Finwave's integrations API that kycdash's demo and
integration tests talk to over real HTTP. Everything it knows lives in these tables,
so several gunicorn or test-server processes see the same provider.
"""

from __future__ import annotations

import re
import secrets
import string

from django.db import models
from django.utils import timezone

from providers.sandbox_kit import models as kit

ID_ALPHABET = string.ascii_letters + string.digits
RESULT_ORDER = (
    "processStatus",
    "acceptations",
    "evidences",
    "ocr",
    "biometry",
    "smsEvents",
    "logs",
    "userAgent",
)


def new_onboarding_id() -> str:
    """Finwave's onboarding ids look like ``i8x5CWpwU0AvQ``: 13 letters and digits."""
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(13))


def mask(secret: str) -> str:
    return f"{secret[:4]}…" if len(secret) > 4 else "…"


class Account(kit.FaultInjection):
    """One simulated Finwave customer: its client token, default webhook and faults."""

    name = models.CharField(max_length=100, blank=True)
    client_token = models.CharField(max_length=200, unique=True)
    # The webhook given to onboardings the sandbox creates itself (demo, tests); the
    # ones created through POST /integrations carry the webhook of their request.
    default_webhook = models.URLField(max_length=500, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return self.name or f"client {mask(self.client_token)}"

    @property
    def masked_token(self) -> str:
        return mask(self.client_token)

    @property
    def masked_default_webhook(self) -> str:
        return mask_webhook(self.default_webhook)


def mask_webhook(url: str) -> str:
    """A webhook URL fit to show: kycdash's secret (the last path segment) hidden."""
    return re.sub(r"(/webhooks/[^/]+/)[^/]+/?$", r"\1…/", url) if url else ""


class Onboarding(models.Model):
    """One onboarding process, with the result body the API returns for it."""

    class Status(models.TextChoices):
        CREATED = "CREATED"
        INPROCESS = "INPROCESS"
        INCOMPLETED = "INCOMPLETED"
        TIMEOUT = "TIMEOUT"
        FINISHED = "FINISHED"

    class Archive(models.TextChoices):
        """How the evidence ZIP is built: faithfully, or as an attack on the unpacker."""

        NORMAL = "", "Normal"
        TRAVERSAL = "traversal", "Member named ../…"
        ABSOLUTE = "absolute", "Member with an absolute path"
        SYMLINK = "symlink", "Named member is a symbolic link"
        BOMB = "bomb", "Named member inflates to 24 MiB (ZIP bomb)"
        TOO_MANY = "too_many", "60 members"
        CORRUPT = "corrupt", "Not a ZIP at all"

    id = models.CharField(primary_key=True, max_length=40, default=new_onboarding_id)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="onboardings")
    custom_id = models.CharField(max_length=100)
    # The outcome scenario (see scenarios.SCENARIOS) it has, or reached last.
    scenario = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.CREATED)
    webhook = models.URLField(max_length=500, blank=True)
    # What POST /integrations asked for (lang, phone, acceptations, redirectUrl…).
    request = models.JSONField(default=dict, blank=True)
    # The result body of GET /integrations/:id/result without status, onboardingId, customId.
    result = models.JSONField(default=dict, blank=True)
    archive = models.CharField(max_length=20, choices=Archive.choices, default="", blank=True)
    seed = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ("updated_at", "id")
        constraints = [
            # A repeated POST for the same customId answers the existing onboarding; the
            # database makes that hold for concurrent repeats too.
            models.UniqueConstraint(
                fields=["account", "custom_id"], name="finwave_sandbox_one_onboarding_per_custom_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.id} ({self.status})"

    @property
    def error_event(self) -> str:
        return str((self.result.get("processStatus") or {}).get("errorEvent") or "")

    @property
    def score(self):
        return (self.result.get("processStatus") or {}).get("score")

    @property
    def masked_webhook(self) -> str:
        return mask_webhook(self.webhook)

    def as_result(self) -> dict:
        """The full body of GET /integrations/:id/result, in the document's key order
        (PostgreSQL's jsonb keeps none of its own)."""
        body = {"status": self.status, "onboardingId": self.id, "customId": self.custom_id}
        body.update((key, self.result[key]) for key in RESULT_ORDER if key in self.result)
        body.update((key, value) for key, value in self.result.items() if key not in body)
        return body


class EvidenceFile(models.Model):
    """One file of an onboarding (front, reverse, selfie, blink, smile, video), kept small."""

    onboarding = models.ForeignKey(Onboarding, on_delete=models.CASCADE, related_name="files")
    role = models.CharField(max_length=40)  # the key of the result's "evidences" object
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=40, default="image/jpeg")
    content = models.BinaryField()

    class Meta:
        ordering = ("onboarding", "role")
        constraints = [
            models.UniqueConstraint(
                fields=["onboarding", "role"], name="finwave_sandbox_one_file_per_role"
            )
        ]

    def __str__(self) -> str:
        return self.filename


class ReceivedCall(kit.ReceivedCall):
    """A write call the sandbox received, and what it answered: the provider's ear.

    Finwave takes one write, the creation of an onboarding; a decision kycdash tried to
    write would land here too (as a rejected call to an unknown path).
    """

    subject_field = "onboarding_id"
    outcome_labels = {"replay": "Repeat of a customId"}

    onboarding_id = models.CharField(max_length=40, blank=True, db_index=True)


class Notification(kit.Notification):
    """A webhook delivery the sandbox made (or failed to make)."""

    onboarding_id = models.CharField(max_length=40, blank=True)
    result = models.CharField(max_length=12)

    def __str__(self) -> str:
        outcome = self.response_status if self.response_status is not None else "failed"
        return f"{self.result} of {self.onboarding_id} → {outcome}"

    @property
    def masked_url(self) -> str:
        return mask_webhook(self.url)
