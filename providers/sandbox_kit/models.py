"""Abstract models of the sandboxes: an account's faults, the received-call log, the
notifications sent. Foreign keys name ``"Account"``, resolved in each sandbox's app."""

from __future__ import annotations

import json
from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone

DEFAULT_FAULT_STATUS = 503


class FaultInjection(models.Model):
    """Fault injection on an account: tests and demos make the provider misbehave."""

    # The statuses ``fault_next`` may answer with; more than one needs ``fault_status``.
    FAULT_STATUSES: ClassVar[tuple[int, ...]] = (DEFAULT_FAULT_STATUS,)

    fault_next = models.PositiveIntegerField(
        default=0, help_text="Answer an injected fault to this many of the next requests."
    )
    fault_down = models.BooleanField(default=False, help_text="Answer 503 until turned off.")
    fault_delay_ms = models.PositiveIntegerField(
        default=0, help_text="Wait this long before answering any request."
    )
    fault_retry_after = models.PositiveIntegerField(
        null=True, blank=True, help_text="Seconds sent as Retry-After with injected faults."
    )
    faults_served = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    @property
    def fault_next_status(self) -> int:
        """The status the next ``fault_next`` requests get."""
        return DEFAULT_FAULT_STATUS

    @property
    def healthy(self) -> bool:
        return not (self.fault_down or self.fault_next or self.fault_delay_ms)


class FaultStatusInjection(FaultInjection):
    """Fault injection where ``fault_next`` may answer another status than 503."""

    fault_status = models.PositiveSmallIntegerField(
        default=DEFAULT_FAULT_STATUS, help_text="The status of the fail_next faults."
    )

    class Meta:
        abstract = True

    @property
    def fault_next_status(self) -> int:
        return self.fault_status


class ReceivedCall(models.Model):
    """A write call the sandbox received, and what it answered: the provider's ear.

    A concrete log adds the field naming its subject (``interview_id``, ``session_id``…)
    and says which in ``subject_field``; ``outcome_labels`` renames outcomes on the page.
    """

    class Outcome(models.TextChoices):
        APPLIED = "applied", "Applied"
        REPLAY = "replay", "Idempotent replay"
        FAULT = "fault", "Injected fault"
        REJECTED = "rejected", "Rejected"

    subject_field: ClassVar[str] = ""
    outcome_labels: ClassVar[dict[str, str]] = {}

    account = models.ForeignKey(
        "Account", on_delete=models.CASCADE, null=True, blank=True, related_name="calls"
    )
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    headers = models.JSONField(default=dict, blank=True)
    body = models.JSONField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ("-received_at", "-id")

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.response_status} ({self.outcome})"

    @property
    def body_json(self) -> str:
        return "" if self.body is None else json.dumps(self.body, ensure_ascii=False)

    @property
    def subject_id(self) -> str:
        return getattr(self, self.subject_field) if self.subject_field else ""

    @property
    def outcome_label(self) -> str:
        return self.outcome_labels.get(self.outcome) or self.get_outcome_display()

    @classmethod
    def has_field(cls, name: str) -> bool:
        return any(f.name == name for f in cls._meta.get_fields())


class QueryRecorded(models.Model):
    """A received-call log that keeps the query string too (list it after the log)."""

    query = models.JSONField(default=dict, blank=True)

    class Meta:
        abstract = True


class IdempotentReceivedCall(ReceivedCall):
    """The received-call log of a provider with an Idempotency-Key header."""

    idempotency_key = models.CharField(max_length=255, blank=True)

    class Meta(ReceivedCall.Meta):
        abstract = True
        constraints = [
            # The database, not the view, guarantees one application per key: two
            # concurrent deliveries of the same key cannot both be applied.
            models.UniqueConstraint(
                fields=["account", "idempotency_key"],
                condition=Q(outcome="applied") & ~Q(idempotency_key=""),
                name="%(app_label)s_one_application_per_key",
            )
        ]


class Notification(models.Model):
    """A webhook the sandbox sent (or failed to send)."""

    account = models.ForeignKey("Account", on_delete=models.CASCADE, related_name="notifications")
    url = models.CharField(max_length=500, blank=True)
    payload = models.JSONField(default=dict)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ("-sent_at", "-id")

    @property
    def delivered(self) -> bool:
        return self.response_status is not None and 200 <= self.response_status < 300
