"""Sessions, evidence, review tasks, decisions and the write-back outbox."""

from __future__ import annotations

import uuid
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from kycdash.accounts.models import ProjectScopedQuerySet
from providers.base import EvidenceKind, SessionStatus


class Queue(models.TextChoices):
    POA = "poa", "Proof of address"
    STATUS = "status", "Status changes"
    ANTIFRAUD = "antifraud", "Antifraud"


class Outcome(models.TextChoices):
    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"
    RESOLVE_FALSE_POSITIVE = "resolve_false_positive", "Resolve as false positive"
    CONFIRM_FRAUD = "confirm_fraud", "Confirm fraud"


OUTCOMES_BY_QUEUE: dict[str, tuple[str, ...]] = {
    Queue.POA: (Outcome.APPROVE, Outcome.REJECT),
    Queue.STATUS: (Outcome.APPROVE, Outcome.REJECT),
    Queue.ANTIFRAUD: (Outcome.RESOLVE_FALSE_POSITIVE, Outcome.CONFIRM_FRAUD),
}
# Outcomes that say "no" must carry a reason code.
OUTCOMES_NEEDING_REASON = frozenset({Outcome.REJECT, Outcome.CONFIRM_FRAUD})

REASON_CODES: dict[str, tuple[tuple[str, str], ...]] = {
    Queue.POA: (
        ("name_mismatch", "Name does not match the ID"),
        ("address_mismatch", "Address does not match"),
        ("older_than_3_months", "Older than 3 months"),
        ("unreadable", "Unreadable"),
        ("unsupported_type", "Unsupported document type"),
        ("verified", "Verified against the ID"),
    ),
    Queue.STATUS: (
        ("document_unclear", "Document unclear"),
        ("identity_mismatch", "Identity mismatch"),
        ("fake_document", "Fake document"),
        ("insufficient_quality", "Insufficient quality"),
        ("inappropriate_content", "Inappropriate content"),
        ("verified", "Verified by a reviewer"),
    ),
    Queue.ANTIFRAUD: (
        ("same_person_new_session", "Same person, legitimate new session"),
        ("different_person", "Different people, false match"),
        ("duplicate_identity", "Duplicate identity"),
        ("synthetic_identity", "Synthetic identity"),
        ("tampered_document", "Tampered document"),
        ("watchlist_match", "Watchlist match confirmed"),
    ),
}


class SessionQuerySet(ProjectScopedQuerySet):
    def search(self, text: str) -> Self:
        text = text.strip()
        if not text:
            return self
        return self.filter(
            Q(full_name__icontains=text) | Q(email__iexact=text) | Q(external_id=text)
        )


class VerificationSession(models.Model):
    """One provider session (interview, verification, onboarding) as kycdash last saw it."""

    project = models.ForeignKey(
        "accounts.Project", on_delete=models.CASCADE, related_name="sessions"
    )
    connection = models.ForeignKey(
        "providers.ProviderConnection", on_delete=models.PROTECT, related_name="sessions"
    )
    external_id = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=SessionStatus.CHOICES)
    provider_status = models.CharField(max_length=100, blank=True)

    full_name = models.CharField(max_length=300, blank=True)
    email = models.CharField(max_length=254, blank=True)
    person = models.JSONField(default=dict, blank=True)  # PersonData, as JSON
    document_type = models.CharField(max_length=60, blank=True)
    checks = models.JSONField(default=list, blank=True)
    scores = models.JSONField(default=dict, blank=True)
    overall_score = models.FloatField(null=True, blank=True)
    antifraud = models.JSONField(null=True, blank=True)
    poa = models.JSONField(null=True, blank=True)
    review_requested = models.BooleanField(default=False)
    review_reason = models.CharField(max_length=300, blank=True)
    watchlist_hit = models.BooleanField(default=False)
    related = models.JSONField(default=list, blank=True)  # RelatedSession list
    test_mode = models.BooleanField(default=False)
    raw = models.JSONField(default=dict, blank=True)

    fingerprint = models.CharField(max_length=64)  # of the last ingested snapshot
    provider_started_at = models.DateTimeField(null=True, blank=True)
    provider_updated_at = models.DateTimeField(null=True, blank=True)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_ingested_at = models.DateTimeField(default=timezone.now)

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ("-last_ingested_at",)
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "external_id"], name="one_session_per_provider_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.full_name or 'Unnamed'} ({self.external_id})"

    @property
    def provider(self) -> str:
        return self.connection.provider


class EvidenceQuerySet(ProjectScopedQuerySet):
    project_path = "session__project"


class Evidence(models.Model):
    """One file of a session, stored privately and served only by an authorized view."""

    session = models.ForeignKey(
        VerificationSession, on_delete=models.CASCADE, related_name="evidence"
    )
    kind = models.CharField(max_length=20, choices=EvidenceKind.CHOICES)
    external_ref = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=100)  # sniffed from the bytes
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    file = models.FileField(upload_to="evidence/", max_length=300)
    thumbnail = models.FileField(upload_to="evidence/", max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        ordering = ("kind", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "kind", "sha256"], name="one_evidence_per_content"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.session.external_id}"

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class TaskQuerySet(ProjectScopedQuerySet):
    project_path = "session__project"

    def open(self) -> Self:
        """Tasks still needing someone: not yet done."""
        return self.exclude(state=ReviewTask.State.DONE)

    def in_queue(self, queue: str) -> Self:
        return self.filter(queue=queue)

    def claimable(self) -> Self:
        return self.filter(state=ReviewTask.State.OPEN)

    def overdue(self, now=None) -> Self:
        return self.open().filter(sla_due_at__lt=now or timezone.now())

    def by_sla(self) -> Self:
        # The queue pages page through this order by (sla_due_at, id): keep them equal.
        return self.order_by("sla_due_at", "id")


class ReviewTask(models.Model):
    """An item in a review queue. At most one not-done task per (session, queue)."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        CLAIMED = "claimed", "Claimed"
        AWAITING_SECOND = "awaiting_second", "Awaiting second approval"
        DONE = "done", "Done"

    session = models.ForeignKey(VerificationSession, on_delete=models.CASCADE, related_name="tasks")
    queue = models.CharField(max_length=20, choices=Queue.choices)
    reason = models.CharField(max_length=300)
    # what opened it (e.g. "antifraud:FAILED:IdFaceAntifraudExecutor"); the same trigger
    # never opens a second task for the session, even after the first is done
    trigger = models.CharField(max_length=200)
    priority = models.PositiveSmallIntegerField(default=2)  # 1 high … 3 low
    state = models.CharField(max_length=20, choices=State.choices, default=State.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="review_tasks",
    )
    opened_at = models.DateTimeField(default=timezone.now)
    sla_due_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ("sla_due_at", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "queue"],
                condition=~Q(state="done"),
                name="one_active_task_per_session_queue",
            ),
            models.UniqueConstraint(
                fields=["session", "queue", "trigger"], name="one_task_per_trigger"
            ),
        ]
        indexes = [models.Index(fields=["queue", "state", "sla_due_at"])]

    def __str__(self) -> str:
        return f"{self.get_queue_display()} task #{self.pk}"

    @property
    def project(self):
        return self.session.project

    @property
    def is_overdue(self) -> bool:
        return self.state != self.State.DONE and self.sla_due_at < timezone.now()

    def outcomes(self) -> tuple[str, ...]:
        return OUTCOMES_BY_QUEUE[self.queue]

    def reason_codes(self) -> tuple[tuple[str, str], ...]:
        return REASON_CODES[self.queue]


class DecisionQuerySet(ProjectScopedQuerySet):
    project_path = "task__session__project"


class Decision(models.Model):
    """A reviewer's decision on a task. Never edited: a change of mind is a new decision.

    Under four-eyes the decision is first ``proposed``; a different senior reviewer
    either confirms it (``final``) or returns it (``returned``) — the only change a
    decision row ever sees.
    """

    class State(models.TextChoices):
        PROPOSED = "proposed", "Awaiting second approval"
        FINAL = "final", "Final"
        RETURNED = "returned", "Returned by second reviewer"

    task = models.ForeignKey(ReviewTask, on_delete=models.PROTECT, related_name="decisions")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="decisions"
    )
    outcome = models.CharField(max_length=30, choices=Outcome.choices)
    reason = models.CharField(max_length=60, blank=True)
    note = models.TextField(blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.FINAL)
    second_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="second_approvals",
    )
    second_note = models.TextField(blank=True)
    second_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = DecisionQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} on {self.task}"


class WriteBackQuerySet(ProjectScopedQuerySet):
    project_path = "decision__task__session__project"

    def due(self, now=None) -> Self:
        now = now or timezone.now()
        return self.filter(state=WriteBack.State.PENDING, next_attempt_at__lte=now).filter(
            Q(leased_until__isnull=True) | Q(leased_until__lt=now)
        )


class WriteBack(models.Model):
    """Outbox row: a final decision the provider must hear about, until it has."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        NOT_SUPPORTED = "not_supported", "Not supported"

    decision = models.OneToOneField(Decision, on_delete=models.PROTECT, related_name="writeback")
    payload = models.JSONField()  # the WriteBackRequest, as JSON
    idempotency_key = models.CharField(max_length=100, unique=True, default=uuid.uuid4)
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    leased_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = WriteBackQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at",)
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"write-back of {self.decision} ({self.state})"


class WriteBackAttempt(models.Model):
    """One try at delivering a write-back, with what the provider answered."""

    writeback = models.ForeignKey(WriteBack, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    ok = models.BooleanField()
    response = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ("writeback", "number")

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.writeback_id}"


class NoteQuerySet(ProjectScopedQuerySet):
    project_path = "session__project"


class Note(models.Model):
    """A reviewer's note on a session."""

    session = models.ForeignKey(VerificationSession, on_delete=models.CASCADE, related_name="notes")
    task = models.ForeignKey(
        ReviewTask, null=True, blank=True, on_delete=models.SET_NULL, related_name="notes"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = NoteQuerySet.as_manager()

    class Meta:
        ordering = ("created_at",)

    def __str__(self) -> str:
        return f"note by {self.author} on {self.session.external_id}"
