"""State of the LE-KO KYC sandbox: accounts, users, verifications, files and what it heard.

The sandbox is a simulator of LE-KO's API that kycdash's demo and integration tests
talk to over real HTTP. Everything it knows lives in these tables, so several
gunicorn or test-server processes see the same provider.
"""

from __future__ import annotations

import secrets
import uuid

from django.db import models
from django.utils import timezone

from providers.sandbox_kit import models as kit


def new_jwt_secret() -> str:
    return secrets.token_urlsafe(32)


class Account(kit.FaultStatusInjection):
    """One simulated LE-KO tenant: the key its JWTs are signed with, and its faults."""

    FAULT_STATUSES = (503, 500, 429)

    key = models.CharField(max_length=100, unique=True, help_text="The sandbox's own handle.")
    name = models.CharField(max_length=100, blank=True)
    # HS256 signing key of the tenant's tokens; never leaves the sandbox.
    jwt_secret = models.CharField(max_length=100, default=new_jwt_secret)

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return self.name or self.key


class Member(models.Model):
    """A user of the tenant: an admin (kycdash's connection) or a coach being verified."""

    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        COACH = "coach", "Coach"

    user_id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="members")
    role = models.CharField(max_length=10, choices=Role.choices)
    name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("created_at", "user_id")

    def __str__(self) -> str:
        return f"{self.role} {self.user_id}"


class Verification(models.Model):
    """One KYC verification, with the sections the API returns for it.

    The JSON fields hold LE-KO's sub-objects as the API shapes them
    (``avatarVerification``, ``passportVerification``, ``imageMatchResult``,
    ``failureReason``, ``adminApproval``), ``null`` until the step has run.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        AVATAR_VERIFIED = "avatar_verified"
        PASSPORT_VERIFIED = "passport_verified"
        APPROVED = "approved"
        REJECTED = "rejected"
        ADMIN_REVIEW_REQUIRED = "admin_review_required"

    class Step(models.TextChoices):
        INITIALIZE = "initialize"
        AVATAR_VERIFICATION = "avatar_verification"
        PASSPORT_VERIFICATION = "passport_verification"
        IMAGE_MATCHING = "image_matching"
        ADMIN_REVIEW = "admin_review"
        COMPLETED = "completed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="verifications")
    coach_id = models.UUIDField(db_index=True)
    scenario = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=30, choices=Status.choices, default=Status.PENDING)
    current_step = models.CharField(max_length=30, choices=Step.choices, default=Step.INITIALIZE)
    avatar = models.JSONField(null=True, blank=True)
    passport = models.JSONField(null=True, blank=True)
    image_match = models.JSONField(null=True, blank=True)
    failure = models.JSONField(null=True, blank=True)
    admin_approval = models.JSONField(null=True, blank=True)
    notes = models.CharField(max_length=500, blank=True)
    avatar_attempts = models.PositiveSmallIntegerField(default=0)
    passport_attempts = models.PositiveSmallIntegerField(default=0)
    # Seeds the drawn faces: the avatar and the passport photo match when they are equal.
    face_seed = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-updated_at", "-id")

    def __str__(self) -> str:
        return f"{self.id} ({self.status})"

    @property
    def is_active(self) -> bool:
        """Still in progress: a coach cannot start another one meanwhile."""
        return self.status not in (self.Status.APPROVED, self.Status.REJECTED)

    @property
    def file_keys(self) -> dict[str, str]:
        keys = {}
        for kind, section in (("avatar", self.avatar), ("passport", self.passport)):
            if section and section.get("fileKey"):
                keys[kind] = section["fileKey"]
        return keys


class StoredFile(models.Model):
    """Image bytes under a file key: the sandbox's stand-in for LE-KO's S3 bucket."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="files")
    file_key = models.CharField(max_length=300)
    content_type = models.CharField(max_length=60, default="image/jpeg")
    content = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("account", "file_key")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "file_key"], name="leko_sandbox_one_file_per_key"
            )
        ]

    def __str__(self) -> str:
        return self.file_key


class ReceivedCall(kit.ReceivedCall, kit.QueryRecorded):
    """A write call the sandbox received, and what it answered: the provider's ear.

    LE-KO has no idempotency key: no call is ever a replay.
    """

    subject_field = "verification_id"

    verification_id = models.CharField(max_length=100, blank=True, db_index=True)
