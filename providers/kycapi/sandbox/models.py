"""State of the KYC API sandbox: clients, tokens, identities, sessions, files, webhooks
and what the sandbox heard and sent.

The sandbox is a simulator of the KYC API that kycdash's demo and integration tests
talk to over real HTTP. Everything it knows lives in these tables, so several
gunicorn or test-server processes see the same provider.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from providers.sandbox_kit import models as kit


def new_uuid() -> str:
    """KYC API ids are UUIDs (sessions, identities, documents, webhooks)."""
    return str(uuid.uuid4())


class Account(kit.FaultInjection):
    """One simulated KYC API client: its OAuth2 credentials, token lifetime and faults."""

    name = models.CharField(max_length=100, blank=True)
    client_id = models.CharField(max_length=200, unique=True)
    client_secret = models.CharField(max_length=200)
    token_ttl_seconds = models.PositiveIntegerField(
        default=3600, help_text="Lifetime of the access tokens issued (expires_in)."
    )

    tokens_issued = models.PositiveIntegerField(default=0)

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return self.name or self.client_id


class AccessToken(models.Model):
    """A bearer token issued by ``/oauth/token``; only its SHA-256 digest is kept."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="tokens")
    digest = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    revoked = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"token …{self.digest[-6:]} of {self.account}"

    @property
    def expired(self) -> bool:
        return self.expires_at <= timezone.now()


class Identity(models.Model):
    """A person the API knows: the subject of IDV sessions and IDA re-authentications."""

    id = models.CharField(primary_key=True, max_length=36, default=new_uuid)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="identities")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("created_at", "id")
        verbose_name_plural = "identities"

    def __str__(self) -> str:
        return f"identity {self.id}"


class Session(models.Model):
    """One IDV session with the fields of the API's session read."""

    class Status(models.TextChoices):
        UNKNOWN = "unknown"
        IN_PROGRESS = "in_progress"
        COMPLETE = "complete"
        TEMPORARILY_BLOCKED = "temporarily_blocked"
        TEMPORARILY_COMPLETE = "temporarily_complete"
        EXPIRED = "expired"

    id = models.CharField(primary_key=True, max_length=36, default=new_uuid)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="sessions")
    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="sessions")
    scenario = models.CharField(max_length=40, blank=True)
    user_id = models.CharField(max_length=100, blank=True)
    idv_weights_id = models.CharField(max_length=36, blank=True)
    status_e = models.CharField(max_length=30, choices=Status.choices, default=Status.UNKNOWN)
    document_type_e = models.CharField(max_length=30, default="unknown")
    first_name = models.CharField(max_length=100, blank=True)
    middle_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    suffix_name = models.CharField(max_length=20, blank=True)
    gender_e = models.CharField(max_length=20, default="unknown")
    birth_date = models.CharField(max_length=10, blank=True)  # YYYY-MM-DD
    consented = models.BooleanField(default=False)
    consented_at = models.DateTimeField(null=True, blank=True)
    document_front_given = models.BooleanField(default=False)
    document_front_given_at = models.DateTimeField(null=True, blank=True)
    document_back_given = models.BooleanField(default=False)
    document_back_given_at = models.DateTimeField(null=True, blank=True)
    liveness_detected = models.BooleanField(default=False)
    liveness_detected_at = models.DateTimeField(null=True, blank=True)
    selfie_given = models.BooleanField(default=False)
    selfie_given_at = models.DateTimeField(null=True, blank=True)
    dmv_status_e = models.CharField(max_length=20, default="unknown")
    dmv_detected_at = models.DateTimeField(null=True, blank=True)
    ofac_status_e = models.CharField(max_length=20, default="unknown")
    ofac_detected_at = models.DateTimeField(null=True, blank=True)
    verified = models.BooleanField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    settings = models.JSONField(default=dict, blank=True)
    webhook_url = models.CharField(max_length=500, blank=True)
    history = models.JSONField(default=list, blank=True)
    # The body of the session test read, as the API shapes it.
    tests = models.JSONField(default=dict, blank=True)
    # Seeds the drawn face, so the document portrait and the selfie show one person.
    face_seed = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    anonymized_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return f"{self.id} ({self.status_e})"

    @property
    def full_name(self) -> str:
        parts = (self.first_name, self.middle_name, self.last_name, self.suffix_name)
        return " ".join(part for part in parts if part)

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def fraud_signals(self) -> list[str]:
        """The test read's likely problems, for the sandbox page."""
        found = []
        for key, value in sorted(self.tests.items()):
            if not isinstance(value, str):
                continue
            if key.endswith("_is_identity_document"):
                if value in ("unlikely", "very_unlikely"):
                    found.append(f"{key}={value}")
            elif value in ("likely", "very_likely"):
                found.append(f"{key}={value}")
        return found


class Document(models.Model):
    """One reading of a session's identity document by one data source (OCR, barcode,
    MRZ): the fields of the API's document read."""

    id = models.CharField(primary_key=True, max_length=36, default=new_uuid)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="documents")
    data_source_e = models.CharField(max_length=20, default="unknown")
    # type_e, document_number, names, address, dates … as the document read names them
    fields = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return f"{self.data_source_e} document of {self.session_id}"


class SessionFile(models.Model):
    """One stored file of a session by ``storage_file_type_e`` (front, selfie…)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="files")
    storage_file_type_e = models.CharField(max_length=40)
    content_type = models.CharField(max_length=40, default="image/jpeg")
    content = models.BinaryField()

    class Meta:
        ordering = ("session", "storage_file_type_e")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "storage_file_type_e"], name="kycapi_sandbox_one_file_per_type"
            )
        ]

    def __str__(self) -> str:
        return f"{self.storage_file_type_e} of {self.session_id}"


class IdaSession(models.Model):
    """An identity authentication (re-authentication) session of an identity."""

    id = models.CharField(primary_key=True, max_length=36, default=new_uuid)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="ida_sessions")
    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="ida_sessions")
    user_id = models.CharField(max_length=100, blank=True)
    status_e = models.CharField(max_length=30, default="complete")
    first_name = models.CharField(max_length=100, blank=True)
    middle_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    suffix_name = models.CharField(max_length=20, blank=True)
    liveness_detected = models.BooleanField(default=False)
    liveness_detected_at = models.DateTimeField(null=True, blank=True)
    selfie_given = models.BooleanField(default=False)
    selfie_given_at = models.DateTimeField(null=True, blank=True)
    authenticated = models.BooleanField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("created_at", "id")
        verbose_name = "IDA session"

    def __str__(self) -> str:
        return f"IDA {self.id} ({self.status_e})"


class Webhook(models.Model):
    """A webhook registered through ``/webhooks/create``."""

    id = models.CharField(primary_key=True, max_length=36, default=new_uuid)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="webhooks")
    name = models.CharField(max_length=100)
    url = models.CharField(max_length=500)
    # kycdash's extension: sent back in X-Webhook-Secret on every delivery; never listed.
    secret = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return f"{self.name} → {self.url}"


class ReceivedCall(kit.ReceivedCall):
    """A write call the sandbox received, and what it answered: the provider's ear."""

    subject_field = "session_id"
    outcome_labels = {"replay": "Repeated (nothing left to change)"}

    session_id = models.CharField(max_length=100, blank=True, db_index=True)


class Notification(kit.Notification):
    """A webhook delivery the sandbox sent (or failed to send)."""

    webhook_id = models.CharField(max_length=36, blank=True)
    event_id = models.CharField(max_length=100)
    event_type = models.CharField(max_length=60)
    session_id = models.CharField(max_length=36, blank=True)

    def __str__(self) -> str:
        result = self.response_status if self.response_status is not None else "failed"
        return f"{self.event_type} {self.event_id} → {result}"
