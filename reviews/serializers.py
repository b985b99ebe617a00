"""Output serializers of the reviews API, shared by its views.

They only render: every write goes through ``reviews.services``. Input serializers
live inside the view that parses them (``reviews.api``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.urls import reverse
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reviews.models import (
    Decision,
    Evidence,
    ReviewTask,
    VerificationSession,
    WriteBack,
)


class EnumField(serializers.CharField):
    """A read-only string documented in the schema as the named enum ``enum_name``.

    Task, decision and write-back each have a ``state`` with its own choices; left to
    itself drf-spectacular names them ``State17dEnum`` and warns (which fails
    ``spectacular --fail-on-warn``). Naming them here keeps the fix beside the fields.
    """

    enum_name: ClassVar[str]
    enum_choices: ClassVar[list[tuple[str, str]]]

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)


class EnumFieldExtension(OpenApiSerializerFieldExtension):
    target_class = EnumField
    match_subclasses = True

    def get_name(self) -> str:
        return self.target.enum_name

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        return {
            "type": "string",
            "enum": [value for value, _ in self.target.enum_choices],
            "description": "\n".join(
                f"* `{value}` - {label}" for value, label in self.target.enum_choices
            ),
        }


class TaskStateField(EnumField):
    enum_name = "TaskStateEnum"
    enum_choices = ReviewTask.State.choices


class DecisionStateField(EnumField):
    enum_name = "DecisionStateEnum"
    enum_choices = Decision.State.choices


class WriteBackStateField(EnumField):
    enum_name = "WriteBackStateEnum"
    enum_choices = WriteBack.State.choices


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, machine-readable error code.")
    message = serializers.CharField(help_text="A sentence for people.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Per-field messages, when the request body or query did not validate.",
    )


class ErrorSerializer(serializers.Serializer):
    """The body of every error answer: ``{"error": {"code", "message", "fields"?}}``."""

    error = ErrorDetailSerializer()


class EvidenceSerializer(serializers.ModelSerializer):
    # Evidence files are served only by the authorized UI view, which checks the
    # viewer's project and writes the "evidence.viewed" audit row; the API never
    # hands out storage URLs.
    url = serializers.SerializerMethodField(help_text="The authorized UI view of the file.")

    class Meta:
        model = Evidence
        fields = (
            "id",
            "kind",
            "content_type",
            "size",
            "width",
            "height",
            "sha256",
            "url",
            "created_at",
        )
        read_only_fields = fields

    def get_url(self, evidence: Evidence) -> str:
        return reverse("evidence-file", kwargs={"pk": evidence.pk})


class SessionTaskSerializer(serializers.ModelSerializer):
    state = TaskStateField(read_only=True)

    class Meta:
        model = ReviewTask
        fields = ("id", "queue", "state")
        read_only_fields = fields


class SessionSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    provider = serializers.CharField(source="connection.provider", read_only=True)
    connection = serializers.UUIDField(source="connection_id", read_only=True)
    evidence = EvidenceSerializer(many=True, read_only=True)
    tasks = SessionTaskSerializer(many=True, read_only=True)

    class Meta:
        model = VerificationSession
        fields = (
            "id",
            "project",
            "provider",
            "connection",
            "external_id",
            "status",
            "provider_status",
            "full_name",
            "person",
            "document_type",
            "checks",
            "scores",
            "overall_score",
            "antifraud",
            "poa",
            "review_requested",
            "review_reason",
            "watchlist_hit",
            "test_mode",
            "evidence",
            "tasks",
            "provider_started_at",
            "provider_updated_at",
            "first_seen_at",
            "last_ingested_at",
        )
        read_only_fields = fields


class SessionSummarySerializer(serializers.ModelSerializer):
    provider = serializers.CharField(source="connection.provider", read_only=True)

    class Meta:
        model = VerificationSession
        fields = ("id", "external_id", "provider", "full_name", "status")
        read_only_fields = fields


class WriteBackSerializer(serializers.ModelSerializer):
    decision = serializers.IntegerField(source="decision_id", read_only=True)
    state = WriteBackStateField(read_only=True)

    class Meta:
        model = WriteBack
        fields = (
            "id",
            "decision",
            "state",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "created_at",
            "sent_at",
        )
        read_only_fields = fields


class DecisionSerializer(serializers.ModelSerializer):
    task = serializers.IntegerField(source="task_id", read_only=True)
    reviewer = serializers.CharField(source="reviewer.get_username", read_only=True)
    state = DecisionStateField(read_only=True)
    second_reviewer = serializers.SerializerMethodField()
    writeback = serializers.SerializerMethodField(
        help_text="The provider write-back of a final decision; null while there is none."
    )

    class Meta:
        model = Decision
        fields = (
            "id",
            "task",
            "reviewer",
            "outcome",
            "reason",
            "note",
            "state",
            "second_reviewer",
            "second_note",
            "second_at",
            "created_at",
            "writeback",
        )
        read_only_fields = fields

    def get_second_reviewer(self, decision: Decision) -> str | None:
        user = decision.second_reviewer
        return user.get_username() if user is not None else None

    @extend_schema_field(WriteBackSerializer(allow_null=True))
    def get_writeback(self, decision: Decision) -> dict | None:
        try:
            writeback = decision.writeback
        except WriteBack.DoesNotExist:
            return None
        return WriteBackSerializer(writeback, context=self.context).data


class ReasonCodeSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class TaskSerializer(serializers.ModelSerializer):
    session = SessionSummarySerializer(read_only=True)
    project = serializers.SlugRelatedField(
        source="session.project", slug_field="slug", read_only=True
    )
    assignee = serializers.SerializerMethodField()
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)
    state = TaskStateField(read_only=True)

    class Meta:
        model = ReviewTask
        fields = (
            "id",
            "project",
            "queue",
            "session",
            "reason",
            "priority",
            "state",
            "assignee",
            "opened_at",
            "sla_due_at",
            "overdue",
            "claimed_at",
            "closed_at",
        )
        read_only_fields = fields

    def get_assignee(self, task: ReviewTask) -> str | None:
        return task.assignee.get_username() if task.assignee is not None else None


class TaskDetailSerializer(TaskSerializer):
    outcomes = serializers.SerializerMethodField(help_text="Outcomes a decision may take.")
    reason_codes = serializers.SerializerMethodField(help_text="Reason codes of this queue.")
    decisions = DecisionSerializer(many=True, read_only=True)

    class Meta(TaskSerializer.Meta):
        fields = (*TaskSerializer.Meta.fields, "outcomes", "reason_codes", "decisions")
        read_only_fields = fields

    def get_outcomes(self, task: ReviewTask) -> list[str]:
        return list(task.outcomes())

    @extend_schema_field(ReasonCodeSerializer(many=True))
    def get_reason_codes(self, task: ReviewTask) -> list[dict[str, str]]:
        return [{"code": code, "label": label} for code, label in task.reason_codes()]


class TaskStateSerializer(serializers.ModelSerializer):
    assignee = serializers.SerializerMethodField()
    state = TaskStateField(read_only=True)

    class Meta:
        model = ReviewTask
        fields = ("id", "queue", "state", "assignee")
        read_only_fields = fields

    def get_assignee(self, task: ReviewTask) -> str | None:
        return task.assignee.get_username() if task.assignee is not None else None


class DecisionResultSerializer(DecisionSerializer):
    """A decision as answered by decide/confirm/return, with the task it left behind."""

    task = TaskStateSerializer(read_only=True)
