"""REST API of reviews: sessions, review tasks, decisions and write-backs (``/api/v1/``).

Views are adapters: they parse with their ``InputSerializer``/``FilterSerializer``,
look objects up through ``.visible_to(request.user)`` (so another project's object
is a 404, exactly like a missing one), call a service of ``reviews.services`` and
render with an output serializer. The services raise ``ReviewError`` and
``PermissionDenied``; ``exception_handler`` turns those, and everything DRF
raises, into one error format::

    {"error": {"code": "<stable_code>", "message": "<sentence>", "fields": {...}}}
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView, set_rollback
from rest_framework.views import exception_handler as drf_exception_handler

from kycdash.accounts.models import Project
from kycdash.audit.services import audit_access_denied
from providers.base import SessionStatus
from reviews import services
from reviews.models import Decision, Outcome, Queue, ReviewTask, VerificationSession, WriteBack
from reviews.serializers import (
    DecisionResultSerializer,
    ErrorSerializer,
    SessionSerializer,
    TaskDetailSerializer,
    TaskSerializer,
    WriteBackSerializer,
)

# ReviewError codes that mean "the object is not in a state that allows this":
# 409 Conflict. Every other ReviewError code is a problem with the input: 400.
CONFLICT_CODES = frozenset(
    {
        "not_claimable",
        "not_claimed",
        "not_decidable",
        "claimed_by_other",
        "not_awaiting",
        "not_failed",
    }
)


# ---------------------------------------------------------------- errors


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render every API error as ``{"error": {"code", "message", "fields"?}}``.

    Returns None for exceptions that are bugs, so Django logs them and answers 500.
    """
    if isinstance(exc, services.ReviewError):
        set_rollback()
        code = exc.code
        status_code = (
            status.HTTP_409_CONFLICT if code in CONFLICT_CODES else status.HTTP_400_BAD_REQUEST
        )
        return Response(_error(code, exc.message), status=status_code)
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()

    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.NotFound):
        audit_access_denied(context.get("request"))
    if isinstance(exc, exceptions.ValidationError):
        fields = _field_messages(exc.detail)
        response.data = _error("invalid", _validation_message(fields), fields=fields)
    elif isinstance(exc, exceptions.PermissionDenied):
        response.data = _error("forbidden", str(exc.detail))
    else:
        response.data = _error(exc.default_code, str(exc.detail))
    return response


def _error(code: str, message: str, *, fields: dict[str, list[str]] | None = None) -> dict:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def _field_messages(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Flatten DRF's nested error detail to ``{"field" or "parent.field": [messages]}``."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "non_field_errors" and prefix:
                name = prefix
            for field_name, messages in _field_messages(value, name).items():
                flat.setdefault(field_name, []).extend(messages)
        return flat
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return {prefix or "non_field_errors": [str(item) for item in detail]}
        flat = {}
        for index, item in enumerate(detail):
            name = f"{prefix}.{index}" if prefix else str(index)
            for field_name, messages in _field_messages(item, name).items():
                flat.setdefault(field_name, []).extend(messages)
        return flat
    return {prefix or "non_field_errors": [str(detail)]}


def _validation_message(fields: dict[str, list[str]]) -> str:
    if not fields:
        return "The request is not valid."
    name, messages = next(iter(fields.items()))
    first = messages[0] if messages else "is not valid"
    if name == "non_field_errors":
        return first
    more = f" (and {len(fields) - 1} more)" if len(fields) > 1 else ""
    return f"{name}: {first}{more}"


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    descriptions = {
        400: "The input is not valid.",
        401: "Not authenticated.",
        403: "Your role may not do this.",
        404: "No such object in your projects.",
        409: "The object's state does not allow this.",
    }
    return {
        code: OpenApiResponse(ErrorSerializer, description=descriptions[code]) for code in codes
    }


ERRORS_READ = _errors(400, 401)
ERRORS_DETAIL = _errors(401, 404)
ERRORS_WRITE = _errors(400, 401, 403, 404, 409)


# ---------------------------------------------------------------- reads


class SessionPagination(CursorPagination):
    ordering = "-id"  # newest first; ids never change, so cursors stay valid


class TaskPagination(CursorPagination):
    ordering = ("sla_due_at", "id")  # queue order: the earliest SLA first


def _sessions(user) -> QuerySet[VerificationSession]:
    return (
        VerificationSession.objects.visible_to(user)
        .select_related("project", "connection")
        .prefetch_related("evidence", "tasks")
    )


def _tasks(user) -> QuerySet[ReviewTask]:
    return ReviewTask.objects.visible_to(user).select_related(
        "session__connection", "session__project", "assignee"
    )


def _task_details(user) -> QuerySet[ReviewTask]:
    decisions = Decision.objects.select_related("reviewer", "second_reviewer", "writeback")
    return _tasks(user).prefetch_related(Prefetch("decisions", queryset=decisions))


def _get(queryset: QuerySet, pk: int, what: str) -> Any:
    try:
        return queryset.get(pk=pk)
    except ObjectDoesNotExist:
        raise exceptions.NotFound(f"No {what} with id {pk} in your projects.") from None


def _paginated(view: APIView, request: Request, queryset: QuerySet, serializer_class) -> Response:
    paginator = view.pagination_class()
    page = paginator.paginate_queryset(queryset, request, view=view)
    data = serializer_class(page, many=True, context={"request": request}).data
    return paginator.get_paginated_response(data)


class SessionListApi(APIView):
    pagination_class = SessionPagination

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=SessionStatus.CHOICES, required=False)
        provider = serializers.CharField(max_length=40, required=False)
        external_id = serializers.CharField(max_length=200, required=False)
        project = serializers.SlugField(max_length=60, required=False, help_text="Project slug")

    OutputSerializer = SessionSerializer

    @extend_schema(
        operation_id="sessions_list",
        parameters=[FilterSerializer],
        responses={200: OutputSerializer(many=True), **ERRORS_READ},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        wanted = filters.validated_data
        sessions = _sessions(request.user)
        if "status" in wanted:
            sessions = sessions.filter(status=wanted["status"])
        if "provider" in wanted:
            sessions = sessions.filter(connection__provider=wanted["provider"])
        if "external_id" in wanted:
            sessions = sessions.filter(external_id=wanted["external_id"])
        if "project" in wanted:
            sessions = sessions.filter(project__slug=wanted["project"])
        return _paginated(self, request, sessions, self.OutputSerializer)


class SessionDetailApi(APIView):
    OutputSerializer = SessionSerializer

    @extend_schema(
        operation_id="sessions_retrieve",
        responses={200: OutputSerializer, **ERRORS_DETAIL},
    )
    def get(self, request: Request, session_id: int) -> Response:
        session = _get(_sessions(request.user), session_id, "session")
        return Response(self.OutputSerializer(session, context={"request": request}).data)


class TaskListApi(APIView):
    pagination_class = TaskPagination

    class FilterSerializer(serializers.Serializer):
        queue = serializers.ChoiceField(choices=Queue.choices, required=False)
        state = serializers.ChoiceField(choices=ReviewTask.State.choices, required=False)
        project = serializers.SlugField(max_length=60, required=False, help_text="Project slug")

    OutputSerializer = TaskSerializer

    @extend_schema(
        operation_id="tasks_list",
        parameters=[FilterSerializer],
        responses={200: OutputSerializer(many=True), **ERRORS_READ},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        wanted = filters.validated_data
        tasks = _tasks(request.user)
        if "queue" in wanted:
            tasks = tasks.in_queue(wanted["queue"])
        if "state" in wanted:
            tasks = tasks.filter(state=wanted["state"])
        if "project" in wanted:
            tasks = tasks.filter(session__project__slug=wanted["project"])
        return _paginated(self, request, tasks, self.OutputSerializer)


class TaskDetailApi(APIView):
    OutputSerializer = TaskDetailSerializer

    @extend_schema(
        operation_id="tasks_retrieve",
        responses={200: OutputSerializer, **ERRORS_DETAIL},
    )
    def get(self, request: Request, task_id: int) -> Response:
        task = _get(_task_details(request.user), task_id, "task")
        return Response(self.OutputSerializer(task, context={"request": request}).data)


# ---------------------------------------------------------------- writes


def _task_response(request: Request, task: ReviewTask, code: int = status.HTTP_200_OK) -> Response:
    task = _task_details(request.user).get(pk=task.pk)
    return Response(TaskDetailSerializer(task, context={"request": request}).data, status=code)


def _decision_response(request: Request, decision: Decision, code: int) -> Response:
    # Read back: the write-back may have been delivered (eager Celery) after the commit.
    decision = Decision.objects.select_related(
        "reviewer", "second_reviewer", "writeback", "task__assignee"
    ).get(pk=decision.pk)
    return Response(
        DecisionResultSerializer(decision, context={"request": request}).data, status=code
    )


class TaskClaimApi(APIView):
    OutputSerializer = TaskDetailSerializer

    @extend_schema(
        operation_id="tasks_claim",
        request=None,
        responses={200: OutputSerializer, **ERRORS_WRITE},
        description="Claim an open task. Claiming a task you already hold is a no-op.",
    )
    def post(self, request: Request, task_id: int) -> Response:
        task = _get(ReviewTask.objects.visible_to(request.user), task_id, "task")
        task = services.task_claim(task=task, user=request.user)
        return _task_response(request, task)


class TaskReleaseApi(APIView):
    OutputSerializer = TaskDetailSerializer

    @extend_schema(
        operation_id="tasks_release",
        request=None,
        responses={200: OutputSerializer, **ERRORS_WRITE},
        description="Put a claimed task back in its queue (its assignee or a senior reviewer).",
    )
    def post(self, request: Request, task_id: int) -> Response:
        task = _get(ReviewTask.objects.visible_to(request.user), task_id, "task")
        task = services.task_release(task=task, user=request.user)
        return _task_response(request, task)


@extend_schema_field(OpenApiTypes.STR)
class VisibleProjectField(serializers.SlugRelatedField):
    """A project slug, looked up among the projects the requesting user belongs to."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="slug", **kwargs)

    def get_queryset(self) -> QuerySet[Project]:
        return Project.objects.visible_to(self.context["request"].user)


class TaskClaimNextApi(APIView):
    @extend_schema_serializer(component_name="ClaimNextInput")
    class InputSerializer(serializers.Serializer):
        queue = serializers.ChoiceField(choices=Queue.choices)
        project = VisibleProjectField(
            required=False, allow_null=True, help_text="Project slug; any of yours if omitted."
        )

    OutputSerializer = TaskDetailSerializer

    @extend_schema(
        operation_id="tasks_claim_next",
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            204: OpenApiResponse(description="No open task in that queue."),
            **ERRORS_WRITE,
        },
        description="Claim the open task with the earliest SLA. Never one someone else holds.",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        task = services.task_claim_next(
            user=request.user,
            queue=data.validated_data["queue"],
            project=data.validated_data.get("project"),
        )
        if task is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return _task_response(request, task)


class TaskDecideApi(APIView):
    @extend_schema_serializer(component_name="DecideInput")
    class InputSerializer(serializers.Serializer):
        outcome = serializers.ChoiceField(
            choices=Outcome.choices,
            help_text="approve/reject in the poa and status queues; "
            "resolve_false_positive/confirm_fraud in antifraud.",
        )
        reason = serializers.CharField(
            required=False,
            allow_blank=True,
            default="",
            help_text="A reason code of the task's queue; required to reject or confirm fraud.",
        )
        note = serializers.CharField(required=False, allow_blank=True, default="")

    OutputSerializer = DecisionResultSerializer

    @extend_schema(
        operation_id="tasks_decide",
        request=InputSerializer,
        responses={201: OutputSerializer, **ERRORS_WRITE},
        description="Decide a task: final at once, or proposed when the project wants four "
        "eyes (the task then awaits a second senior reviewer).",
    )
    def post(self, request: Request, task_id: int) -> Response:
        task = _get(ReviewTask.objects.visible_to(request.user), task_id, "task")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decision = services.decision_record(
            task=task,
            reviewer=request.user,
            outcome=data.validated_data["outcome"],
            reason=data.validated_data["reason"],
            note=data.validated_data["note"],
        )
        return _decision_response(request, decision, status.HTTP_201_CREATED)


class TaskConfirmApi(APIView):
    @extend_schema_serializer(component_name="ConfirmInput")
    class InputSerializer(serializers.Serializer):
        note = serializers.CharField(required=False, allow_blank=True, default="")

    OutputSerializer = DecisionResultSerializer

    @extend_schema(
        operation_id="tasks_confirm",
        request=InputSerializer,
        responses={200: OutputSerializer, **ERRORS_WRITE},
        description="Second approval of a proposed decision by a different senior reviewer.",
    )
    def post(self, request: Request, task_id: int) -> Response:
        task = _get(ReviewTask.objects.visible_to(request.user), task_id, "task")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decision = services.decision_confirm(
            task=task, user=request.user, note=data.validated_data["note"]
        )
        return _decision_response(request, decision, status.HTTP_200_OK)


class TaskReturnApi(APIView):
    @extend_schema_serializer(component_name="ReturnInput")
    class InputSerializer(serializers.Serializer):
        note = serializers.CharField(
            required=False, allow_blank=True, default="", help_text="Why it goes back; required."
        )

    OutputSerializer = DecisionResultSerializer

    @extend_schema(
        operation_id="tasks_return",
        request=InputSerializer,
        responses={200: OutputSerializer, **ERRORS_WRITE},
        description="A second senior reviewer sends a proposed decision back to the queue.",
    )
    def post(self, request: Request, task_id: int) -> Response:
        task = _get(ReviewTask.objects.visible_to(request.user), task_id, "task")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decision = services.decision_return(
            task=task, user=request.user, note=data.validated_data["note"]
        )
        return _decision_response(request, decision, status.HTTP_200_OK)


class WriteBackRetryApi(APIView):
    OutputSerializer = WriteBackSerializer

    @extend_schema(
        operation_id="writebacks_retry",
        request=None,
        responses={200: OutputSerializer, **ERRORS_WRITE},
        description="Send a failed write-back to the provider again.",
    )
    def post(self, request: Request, writeback_id: int) -> Response:
        writeback = _get(WriteBack.objects.visible_to(request.user), writeback_id, "write-back")
        writeback = services.writeback_retry(writeback=writeback, user=request.user)
        writeback.refresh_from_db()
        return Response(self.OutputSerializer(writeback, context={"request": request}).data)


@extend_schema(exclude=True)
class UnknownApi(APIView):
    """Any other path under /api/v1/: a JSON 404 rather than the HTML page."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        raise exceptions.NotFound("There is no such API endpoint.")
