"""HTTP face of the Incode Omni sandbox: the Omni endpoints, control endpoints, a page.

The Omni endpoints follow ``shared/providers/incode-omni.txt``: the three auth headers
(400 for a wrong ``api-version``, 403 for a missing or unknown ``x-api-key``, 401 for
a missing or wrong ``X-Incode-Hardware-Id``), the error body
``{timestamp, status, error, message, path}`` and a ``Processing-Time`` header on
every answer. Where the document is silent (the interview listing, idempotency, the
notification) the sandbox does what ``providers/incode/client.py`` says.

Write calls (manual review, resolve antifraud, watchlist add, delete) are logged in
``ReceivedCall`` with what was answered: ``applied``, ``replay`` (a repeated
``Idempotency-Key``: the first answer again, nothing applied), ``fault`` (an injected
503) or ``rejected`` (any 4xx).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from providers.incode.sandbox import services
from providers.incode.sandbox.models import (
    Account,
    Interview,
    InterviewImage,
    Notification,
    ReceivedCall,
    to_epoch_ms,
)
from providers.incode.sandbox.scenarios import SCENARIOS
from providers.sandbox_kit import faults, recording
from providers.sandbox_kit.control import (
    ControlError,
    account_by,
    control,
    faults_view,
    optional,
    received_view,
    require_enabled,
)

API_VERSION = "1.0"
# Headers shown in the log of received calls: the ones a write-back test asserts on.
RECORDED_HEADERS = (
    "api-version",
    "x-api-key",
    "X-Incode-Hardware-Id",
    "Idempotency-Key",
    "Content-Type",
    "User-Agent",
)
MANUAL_REVIEW_STATUSES = ("REQUIRED", "APPROVED", "REJECTED")
WATCHLIST_TYPES = ("WHITELIST", "BLACKLIST")
WATCHLIST_UNIQUE_FIELDS = ("idNumber", "email", "phone", "imageBase64")
WATCHLIST_STRING_FIELDS = (
    "name",
    "idNumber",
    "email",
    "phone",
    "imageBase64",
    "frontIdBase64",
    "backIdBase64",
    "watchlistType",
)
WATCHLIST_TIMESTAMP_FIELDS = ("birthDate", "recordExpiresAt")
EPOCH_MS = re.compile(r"-?\d{1,16}")  # negative before 1970: birth dates often are
PAGE_LOG_LIMIT = 200


class OmniError(Exception):
    """Answered with Incode's error body and ``status``."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Context:
    """One authenticated Omni request."""

    request: HttpRequest
    account: Account
    path: str


@dataclass
class Result:
    """What a handler answers, plus what must happen after its transaction commits."""

    status: int
    body: dict[str, Any]
    after: list[Callable[[], object]] = field(default_factory=list)


def error_body(status: int, message: str, path: str) -> dict[str, Any]:
    return {
        "timestamp": to_epoch_ms(timezone.now()),
        "status": status,
        "error": HTTPStatus(status).phrase,
        "message": message,
        "path": path,
    }


# ---------------------------------------------------------------- request plumbing


def _account_for(request: HttpRequest) -> Account | None:
    api_key = request.headers.get("x-api-key", "")
    if not api_key:
        return None
    return Account.objects.filter(api_key=api_key).first()


def _authenticate(request: HttpRequest, account: Account | None) -> Account:
    if request.headers.get("api-version") != API_VERSION:
        raise OmniError(400, f"Missing or invalid api-version header: expected {API_VERSION}.")
    if account is None:
        raise OmniError(403, "Invalid or missing api key.")
    token = request.headers.get("X-Incode-Hardware-Id", "")
    if not token or not secrets.compare_digest(token.encode(), account.admin_token.encode()):
        raise OmniError(401, "Invalid or missing access token.")
    return account


def _json_body(ctx: Context) -> dict[str, Any]:
    try:
        raw = ctx.request.body
    except RequestDataTooBig:
        raise OmniError(413, "Maximum request size exceeded.") from None
    if not raw.strip():
        raise OmniError(400, "Required request body is missing.")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise OmniError(400, "Malformed JSON request body.") from None
    if not isinstance(data, dict):
        raise OmniError(400, "Request body must be a JSON object.")
    return data


def _interview(ctx: Context, param: str) -> Interview:
    interview_id = ctx.request.GET.get(param, "").strip()
    if not interview_id:
        raise OmniError(400, f"Required request parameter '{param}' is not present.")
    interview = Interview.objects.filter(pk=interview_id, account=ctx.account).first()
    if interview is None:
        raise OmniError(404, f"Onboarding session {interview_id[:40]} not found.")
    return interview


def _optional_bool(ctx: Context, param: str) -> bool:
    value = ctx.request.GET.get(param, "").lower()
    if value in ("", "false"):
        return False
    if value == "true":
        return True
    raise OmniError(400, f"Invalid value for parameter '{param}': expected true or false.")


def _int_param(ctx: Context, param: str, default: int | None, low: int, high: int) -> int | None:
    raw = ctx.request.GET.get(param, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise OmniError(400, f"Invalid value for parameter '{param}': not an integer.") from None
    if not low <= value <= high:
        raise OmniError(400, f"Invalid value for parameter '{param}': must be {low}..{high}.")
    return value


def _log_call(
    request: HttpRequest,
    path: str,
    account: Account | None,
    outcome: str,
    result: Result,
) -> ReceivedCall:
    return recording.record_call(
        ReceivedCall,
        request,
        path=path,
        account=account,
        outcome=outcome,
        status=result.status,
        response_body=result.body,
        headers=recording.recorded_headers(request, RECORDED_HEADERS),
        subject=request.GET.get("interviewId", ""),
        idempotency_key=request.headers.get("Idempotency-Key", "")[:255],
    )


def _replay(ctx: Context, first: ReceivedCall) -> Result:
    same_request = (
        first.method == ctx.request.method
        and first.path == ctx.path
        and first.query == dict(ctx.request.GET.items())
        and first.body == recording.loggable_body(ctx.request)
    )
    if not same_request:
        raise OmniError(422, "Idempotency-Key was already used for a different request.")
    return Result(first.response_status, first.response_body)


def _apply_write(ctx: Context, handler: Callable[[Context], Result]) -> tuple[Result, str, bool]:
    """Run a write handler once per Idempotency-Key: (result, outcome, already logged)."""
    key = ctx.request.headers.get("Idempotency-Key", "")[:255]
    applied = ReceivedCall.objects.filter(
        account=ctx.account, idempotency_key=key, outcome=ReceivedCall.Outcome.APPLIED
    )
    if key and (first := applied.first()) is not None:
        return _replay(ctx, first), ReceivedCall.Outcome.REPLAY, False
    try:
        with transaction.atomic():
            result = handler(ctx)
            # The log row of an application commits with the change it describes; its
            # unique constraint turns a concurrent second delivery into an IntegrityError.
            _log_call(ctx.request, ctx.path, ctx.account, ReceivedCall.Outcome.APPLIED, result)
    except IntegrityError:
        first = applied.first()
        if first is None:
            raise
        return _replay(ctx, first), ReceivedCall.Outcome.REPLAY, False
    return result, ReceivedCall.Outcome.APPLIED, True


def _serve(
    request: HttpRequest,
    path: str,
    method: str,
    handler: Callable[[Context], Result],
    write: bool,
) -> HttpResponse:
    started = time.monotonic()
    account = _account_for(request)
    faults.delay(account)
    outcome, logged = ReceivedCall.Outcome.REJECTED, False
    retry_after: int | None = None
    try:
        if account is not None and services.take_fault(account):
            outcome, retry_after = ReceivedCall.Outcome.FAULT, account.fault_retry_after
            raise OmniError(503, "Service temporarily unavailable.")
        if request.method != method:
            raise OmniError(405, f"Request method '{request.method}' is not supported.")
        ctx = Context(request=request, account=_authenticate(request, account), path=path)
        if write:
            result, outcome, logged = _apply_write(ctx, handler)
        else:
            result = handler(ctx)
    except OmniError as exc:
        result = Result(exc.status, error_body(exc.status, exc.message, path))
    if write and not logged:
        _log_call(request, path, account, outcome, result)
    for action in result.after:
        action()
    response = JsonResponse(result.body, status=result.status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    response["Processing-Time"] = str(int((time.monotonic() - started) * 1000))
    return response


def omni(path: str, method: str, *, write: bool = False):
    """Make ``handler(ctx) -> Result`` the view of the Omni endpoint ``method path``."""

    def decorate(handler: Callable[[Context], Result]) -> Callable[[HttpRequest], HttpResponse]:
        @csrf_exempt
        def view(request: HttpRequest) -> HttpResponse:
            return _serve(request, path, method, handler, write)

        view.__name__ = handler.__name__
        view.__doc__ = handler.__doc__
        return view

    return decorate


# ---------------------------------------------------------------- Omni: reads


@omni("/omni/get/onboarding/status", "GET")
def onboarding_status(ctx: Context) -> Result:
    """GET /omni/get/onboarding/status?id="""
    return Result(200, {"onboardingStatus": _interview(ctx, "id").onboarding_status})


@omni("/omni/get/score", "GET")
def score(ctx: Context) -> Result:
    """GET /omni/get/score?id= (empty until the onboarding is finished)"""
    return Result(200, _interview(ctx, "id").score)


@omni("/omni/get/ocr-data", "GET")
def ocr_data(ctx: Context) -> Result:
    """GET /omni/get/ocr-data?id= (empty after a PII delete)"""
    return Result(200, _interview(ctx, "id").ocr)


@omni("/omni/process/antifraud", "GET")
def process_antifraud(ctx: Context) -> Result:
    """GET /omni/process/antifraud?id= : the interview's stored result."""
    interview = _interview(ctx, "id")
    body: dict[str, Any] = {"result": interview.antifraud_result}
    if interview.antifraud_step:
        body["stepName"] = interview.antifraud_step
    return Result(200, body)


@omni("/omni/get/images", "POST")
def get_images(ctx: Context) -> Result:
    """POST /omni/get/images?id= {"images": [...]}: absent image types are omitted."""
    interview = _interview(ctx, "id")
    wanted = _json_body(ctx).get("images")
    if not isinstance(wanted, list) or not wanted or not all(isinstance(t, str) for t in wanted):
        raise OmniError(400, "images is mandatory: a non-empty array of image types.")
    stored = InterviewImage.objects.filter(interview=interview, image_type__in=wanted)
    return Result(
        200, {image.image_type: base64.b64encode(image.content).decode() for image in stored}
    )


@omni("/omni/search/interviews", "GET")
def search_interviews(ctx: Context) -> Result:
    """GET /omni/search/interviews?from=&page=&size= (kycdash's listing; see client.py)"""
    since = _int_param(ctx, "from", None, 0, 2**53)
    page = _int_param(ctx, "page", 0, 0, 10**6) or 0
    size = _int_param(ctx, "size", 20, 1, 100) or 20
    interviews = Interview.objects.filter(account=ctx.account).order_by("updated_at", "id")
    if since is not None:
        moment = dt.datetime.fromtimestamp(since / 1000, tz=dt.UTC)
        interviews = interviews.filter(updated_at__gte=moment)
    total = interviews.count()
    rows = interviews.values_list("id", "onboarding_status", "updated_at")[
        page * size : (page + 1) * size
    ]
    return Result(
        200,
        {
            "interviews": [
                {"interviewId": pk, "onboardingStatus": status, "updatedAt": to_epoch_ms(at)}
                for pk, status, at in rows
            ],
            "page": page,
            "totalPages": (total + size - 1) // size,
            "totalElements": total,
        },
    )


# ---------------------------------------------------------------- Omni: writes


def _notify_later(interview: Interview) -> Callable[[], object]:
    return lambda: services.notify_status_changed(Interview.objects.get(pk=interview.pk))


@omni("/omni/manual-review", "PUT", write=True)
def manual_review(ctx: Context) -> Result:
    """PUT /omni/manual-review?interviewId= {"manualReviewStatus", "newReason"?}"""
    interview = _interview(ctx, "interviewId")
    body = _json_body(ctx)
    status = body.get("manualReviewStatus")
    if status is None or status == "":
        raise OmniError(400, "manualReviewStatus is mandatory.")
    if status not in MANUAL_REVIEW_STATUSES:
        raise OmniError(
            400, f"Invalid manualReviewStatus: expected one of {', '.join(MANUAL_REVIEW_STATUSES)}."
        )
    reason = body.get("newReason")
    if reason is not None and not isinstance(reason, str):
        raise OmniError(400, "newReason must be a string.")
    services.interview_manual_review(interview, status, reason or "")
    after = [_notify_later(interview)] if status in ("APPROVED", "REJECTED") else []
    return Result(200, {"success": True}, after)


@omni("/omni/resolve/antifraud", "PUT", write=True)
def resolve_antifraud(ctx: Context) -> Result:
    """PUT /omni/resolve/antifraud?interviewId=&reason="""
    interview = _interview(ctx, "interviewId")
    services.interview_resolve_antifraud(interview, ctx.request.GET.get("reason", ""))
    return Result(200, {"success": True})


@omni("/omni/add/watchlist/single-record", "POST", write=True)
def add_watchlist_record(ctx: Context) -> Result:
    """POST /omni/add/watchlist/single-record: at least one unique field."""
    body = _json_body(ctx)
    for name in WATCHLIST_STRING_FIELDS:
        if body.get(name) is not None and not isinstance(body[name], str):
            raise OmniError(400, f"{name} must be a string.")
    for name in WATCHLIST_TIMESTAMP_FIELDS:
        value = body.get(name)
        if value is not None and not (
            (isinstance(value, int) and not isinstance(value, bool))
            or (isinstance(value, str) and EPOCH_MS.fullmatch(value) is not None)
        ):
            raise OmniError(400, f"{name} must be a timestamp in milliseconds.")
    if body.get("watchlistType") is not None and body["watchlistType"] not in WATCHLIST_TYPES:
        raise OmniError(400, f"Invalid watchlistType: expected {' or '.join(WATCHLIST_TYPES)}.")
    if not any(body.get(name) for name in WATCHLIST_UNIQUE_FIELDS):
        raise OmniError(
            400, f"At least one of {', '.join(WATCHLIST_UNIQUE_FIELDS)} must be supplied."
        )
    if body.get("imageBase64"):
        try:
            base64.b64decode(body["imageBase64"], validate=True)
        except (binascii.Error, ValueError):
            raise OmniError(400, "imageBase64 is not valid base64.") from None
    services.watchlist_add(ctx.account, body)
    return Result(200, {"success": True})


@omni("/omni/interview", "DELETE", write=True)
def delete_interview(ctx: Context) -> Result:
    """DELETE /omni/interview?interviewId=&keepCustomer=&sendNotification="""
    interview = _interview(ctx, "interviewId")
    keep_customer = _optional_bool(ctx, "keepCustomer")
    notify = _optional_bool(ctx, "sendNotification")
    services.interview_delete_pii(interview, keep_customer=keep_customer)
    return Result(200, {"success": True}, [_notify_later(interview)] if notify else [])


@csrf_exempt
def unknown_endpoint(request: HttpRequest, rest: str) -> HttpResponse:
    """Any other /omni/... path: Incode's 404 error body, not an HTML page."""
    path = f"/omni/{rest}"
    response = JsonResponse(error_body(404, f"No endpoint {path}.", path), status=404)
    response["Processing-Time"] = "0"
    return response


# ---------------------------------------------------------------- control endpoints


def _control_account(data: dict[str, Any]) -> Account:
    return account_by(Account, "api_key", data.get("api_key"))


def _account_dict(account: Account) -> dict[str, Any]:
    return {
        "api_key": account.api_key,
        "name": account.name,
        "webhook_url": account.webhook_url,
        "faults": faults.faults_dict(account),
    }


def _notification_dict(notification: Notification) -> dict[str, Any]:
    return {
        "event_id": notification.event_id,
        "interview_id": notification.interview_id,
        "payload": notification.payload,
        "response_status": notification.response_status,
        "error": notification.error,
    }


@control(("POST",))
def control_account(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """{"api_key", "admin_token", "name"?} -> the account (created when new)."""
    account = services.account_get_or_create(
        optional(data, "api_key", str) or "",
        optional(data, "admin_token", str) or "",
        name=optional(data, "name", str) or "",
    )
    return _account_dict(account)


@control(("POST",))
def control_webhook(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """{"api_key", "url", "secret"}: where notifications go and the secret they carry."""
    account = _control_account(data)
    services.account_configure_webhook(
        account, optional(data, "url", str) or "", optional(data, "secret", str) or ""
    )
    return _account_dict(account)


control_faults = faults_view(
    _control_account,
    _account_dict,
    """{"api_key", "fail_next"?, "down"?, "delay_ms"?, "retry_after"?, "clear"?}""",
)


@control(("POST",))
def control_create_interview(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """{"api_key", "scenario", "full_name"?, "seed"?, "with_images"?, "notify"?}"""
    account = _control_account(data)
    scenario = data.get("scenario")
    if scenario not in SCENARIOS:
        raise ControlError(f"scenario must be one of {', '.join(SCENARIOS)}")
    interview = services.create_interview(
        account,
        scenario,
        full_name=optional(data, "full_name", str),
        seed=optional(data, "seed", int),
        with_images=data.get("with_images", True) is not False,
    )
    answer: dict[str, Any] = {
        "interview_id": interview.id,
        "scenario": interview.scenario,
        "onboarding_status": interview.onboarding_status,
        "updated_at": interview.updated_at_ms,
    }
    if data.get("notify"):
        answer["notification"] = _notification_dict(services.notify_status_changed(interview))
    return answer


@control(("POST",))
def control_notify(request: HttpRequest, data: dict[str, Any], interview_id: str) -> dict[str, Any]:
    """Send the status-change notification of one interview now."""
    interview = get_object_or_404(Interview.objects.select_related("account"), pk=interview_id)
    return _notification_dict(services.notify_status_changed(interview))


control_received = received_view(
    ReceivedCall,
    _control_account,
    services.call_as_dict,
    account_param="api_key",
    subject_param="interviewId",
)


# ---------------------------------------------------------------- the human page


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """What the provider holds and heard: accounts, interviews, calls, notifications."""
    require_enabled()
    accounts = Account.objects.order_by("created_at")
    interviews = (
        Interview.objects.select_related("account")
        .prefetch_related("images")
        .order_by("-updated_at", "-id")[:200]
    )
    calls = services.received_calls()[:PAGE_LOG_LIMIT]
    notifications = Notification.objects.select_related("account")[:50]
    return render(
        request,
        "incode_sandbox/index.html",
        {
            "accounts": accounts,
            "interviews": interviews,
            "calls": calls,
            "notifications": notifications,
        },
    )


@require_GET
def image(request: HttpRequest, interview_id: str, image_type: str) -> HttpResponse:
    """One stored image, for the page's links."""
    require_enabled()
    stored = get_object_or_404(InterviewImage, interview_id=interview_id, image_type=image_type)
    return HttpResponse(bytes(stored.content), content_type=stored.content_type)
