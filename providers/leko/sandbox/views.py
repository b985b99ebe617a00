"""HTTP face of the LE-KO KYC sandbox: the API endpoints, control endpoints, a page.

The API endpoints follow ``providers/leko/openapi.yaml`` (LE-KO's OpenAPI document):
``Authorization: Bearer <JWT>`` (HS256, signed with the account's key) and the
required ``x-current-user-id`` header on every call, the ``Errors`` body
``{"errors": [{"code", "message", "endpoint", "requestId"}]}`` on every error, and
``x-request-id`` on every answer. Where the document is silent the sandbox does what
``providers/leko/client.py`` says: 401 ``unauthorized`` for a missing, malformed,
wrongly signed or expired token; 400 ``validation`` for a missing or malformed
``x-current-user-id`` (the document's required parameter); 403 ``forbidden`` when
that header is not the token's user, or for a coach on an admin call; 404
``notFound`` for an unknown verification, file or path; 405 ``validation`` for a
method a path does not take; 409 ``validation`` for a state conflict;
``GET /files/{fileKey}`` for the image bytes; the listing newest ``updatedAt``
first. Coaches see only their own verifications and alone start one; admins see
the whole account and alone decide. A caller whose token names no account gets no
injected fault: it is answered 401.

Uploads are processed at once (the real API says "processing started"): the answer
to a passport upload already carries the image match. The sandbox has no S3
bucket: see ``services`` for the image drawn for an unknown ``fileKey`` and the
words in a key that steer the outcome.

Write calls (POST /verifications, PUT /verifications/{id}, the avatar and passport
uploads and the admin decision) are logged in ``ReceivedCall`` with what was
answered: ``applied``, ``fault`` (an injected 503/500/429) or ``rejected`` (any 4xx,
the 409 of a decision on a verification not awaiting one included). LE-KO has no
idempotency key, so neither has the sandbox: a repeated admin decision is a 409.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from providers.leko.contract import (
    CREATE_NOTES_MAX_LENGTH,
    NOTES_MAX_LENGTH,
    PAGE_LIMIT_DEFAULT,
    PAGE_LIMIT_MAX,
    PASSPORT_FIELDS,
    REJECTION_REASONS,
)
from providers.leko.sandbox import services
from providers.leko.sandbox.models import (
    Account,
    Member,
    ReceivedCall,
    StoredFile,
    Verification,
)
from providers.leko.sandbox.scenarios import SCENARIOS
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

USER_ID_HEADER: Final = "x-current-user-id"
# Headers shown in the log of received calls: the ones a write-back test asserts on.
RECORDED_HEADERS: Final = (USER_ID_HEADER, "Content-Type", "User-Agent")
UUID_RE: Final = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
FAULTS: Final = {
    503: ("unexpected", "Service temporarily unavailable."),
    500: ("internal", "Internal server error."),
    429: ("tooManyRequests", "Too many requests."),
}
FILE_KEY_MAX: Final = 300
REVIEWER_ID_MAX: Final = 200
PAGE_LOG_LIMIT: Final = 200


class ApiError(Exception):
    """Answered with LE-KO's ``Errors`` body."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass
class Context:
    """One authenticated API request."""

    request: HttpRequest
    member: Member
    path: str
    kwargs: dict[str, Any]

    @property
    def account(self) -> Account:
        return self.member.account

    @property
    def is_admin(self) -> bool:
        return self.member.role == Member.Role.ADMIN


@dataclass
class Result:
    """What a handler answers: JSON (``body``), bytes (``content``) or nothing (204)."""

    status: int
    body: dict[str, Any] | None = None
    content: bytes | None = None
    content_type: str = "application/json"


@dataclass(frozen=True)
class Operation:
    handler: Callable[[Context], Result]
    write: bool = False


@dataclass
class _Call:
    """What the log needs to know of a request, gathered while serving it."""

    outcome: str = ReceivedCall.Outcome.REJECTED
    logged: bool = False


def errors_body(code: str, message: str, endpoint: str, request_id: str) -> dict[str, Any]:
    return {
        "errors": [
            {"code": code, "message": message, "endpoint": endpoint, "requestId": request_id}
        ]
    }


# ---------------------------------------------------------------- request plumbing


def _api_path(request: HttpRequest) -> str:
    """The path below the sandbox's mount point, as LE-KO's API would see it."""
    prefix = reverse("leko_sandbox:index")
    return "/" + request.path[len(prefix) :] if request.path.startswith(prefix) else request.path


def _bearer(request: HttpRequest) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _uuid(value: str) -> uuid.UUID | None:
    return uuid.UUID(value) if UUID_RE.fullmatch(value or "") else None


def _authenticate(request: HttpRequest, token: str, claimed: Member | None) -> Member:
    if not token:
        raise ApiError(
            401, "unauthorized", "Missing or malformed Authorization header: expected Bearer."
        )
    try:
        member = services.verify_token(token, claimed)
    except services.TokenError as exc:
        raise ApiError(401, "unauthorized", str(exc)) from None
    raw = request.headers.get(USER_ID_HEADER, "").strip()
    if not raw:
        raise ApiError(400, "validation", f"The {USER_ID_HEADER} header is required.")
    current = _uuid(raw)
    if current is None:
        raise ApiError(400, "validation", f"The {USER_ID_HEADER} header must be a UUID.")
    if current != member.user_id:
        raise ApiError(403, "forbidden", f"{USER_ID_HEADER} is not the token's user.")
    return member


def _json_body(ctx: Context) -> dict[str, Any]:
    try:
        raw = ctx.request.body
    except RequestDataTooBig:
        raise ApiError(400, "validation", "The request body is too large.") from None
    if not raw.strip():
        raise ApiError(400, "validation", "The request body is required.")
    content_type = ctx.request.content_type or ""
    if content_type != "application/json":
        raise ApiError(400, "validation", "Content-Type must be application/json.")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ApiError(400, "validation", "Malformed JSON request body.") from None
    if not isinstance(data, dict):
        raise ApiError(400, "validation", "The request body must be a JSON object.")
    return data


def _int_query(ctx: Context, name: str, *, default: int, low: int, high: int) -> int:
    raw = ctx.request.GET.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, "validation", f"Query parameter {name} must be an integer.") from None
    if not low <= value <= high:
        raise ApiError(400, "validation", f"Query parameter {name} must be {low}..{high}.")
    return value


def _verification(ctx: Context) -> Verification:
    raw = ctx.kwargs.get("verification_id", "")
    verification_id = _uuid(raw)
    if verification_id is None:
        raise ApiError(400, "validation", "verificationId must be a UUID.")
    found = Verification.objects.select_related("account").filter(
        pk=verification_id, account=ctx.account
    )
    if not ctx.is_admin:
        found = found.filter(coach_id=ctx.member.user_id)
    verification = found.first()
    if verification is None:
        raise ApiError(404, "notFound", f"Verification {verification_id} not found.")
    return verification


def _optional_string(body: dict[str, Any], name: str, limit: int) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError(400, "validation", f"{name} must be a string.")
    if len(value) > limit:
        raise ApiError(400, "validation", f"{name} must be at most {limit} characters.")
    return value


def _file_key(ctx: Context) -> str:
    body = _json_body(ctx)
    key = body.get("fileKey")
    if not isinstance(key, str) or not key.strip():
        raise ApiError(400, "validation", "fileKey is required.")
    if len(key) > FILE_KEY_MAX:
        raise ApiError(400, "validation", f"fileKey must be at most {FILE_KEY_MAX} characters.")
    return key


def _recorded_headers(request: HttpRequest) -> dict[str, str]:
    headers = recording.recorded_headers(request, RECORDED_HEADERS)
    authorization = request.headers.get("Authorization")
    if authorization:
        # enough to tell which token came, not enough to reuse it
        headers["Authorization"] = f"{authorization[:19]}… ({len(authorization)} characters)"
    return headers


def _log_call(
    request: HttpRequest,
    path: str,
    account: Account | None,
    verification_id: str,
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
        headers=_recorded_headers(request),
        subject=verification_id,
    )


def _serve(request: HttpRequest, operations: dict[str, Operation], kwargs: dict) -> HttpResponse:
    request_id = uuid.uuid4().hex
    path = _api_path(request)
    token = _bearer(request)
    claimed = services.member_for_token(token) if token else None
    account = claimed.account if claimed is not None else None
    faults.delay(account)
    operation = operations.get(request.method or "")
    call = _Call()
    retry_after: int | None = None
    verification_id = str(kwargs.get("verification_id", ""))
    try:
        fault = services.take_fault(account) if account is not None else None
        if fault is not None:
            call.outcome, retry_after = ReceivedCall.Outcome.FAULT, account.fault_retry_after
            raise ApiError(fault, *FAULTS[fault])
        if operation is None:
            raise ApiError(405, "validation", f"Method {request.method} is not allowed on {path}.")
        member = _authenticate(request, token, claimed)
        ctx = Context(request=request, member=member, path=path, kwargs=kwargs)
        if operation.write:
            with transaction.atomic():
                result = operation.handler(ctx)
                # the log row of an application commits with the change it describes
                _log_call(
                    request, path, account, verification_id, ReceivedCall.Outcome.APPLIED, result
                )
            call.outcome, call.logged = ReceivedCall.Outcome.APPLIED, True
        else:
            result = operation.handler(ctx)
    except ApiError as exc:
        endpoint = f"{request.method} {path}"
        result = Result(exc.status, errors_body(exc.code, exc.message, endpoint, request_id))
    if operation is not None and operation.write and not call.logged:
        _log_call(request, path, account, verification_id, call.outcome, result)
    if result.content is not None:
        response = HttpResponse(result.content, status=result.status)
        response["Content-Type"] = result.content_type
    elif result.body is None:
        response = HttpResponse(status=result.status)
        del response["Content-Type"]
    else:
        response = JsonResponse(result.body, status=result.status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    response["x-request-id"] = request_id
    return response


def api(**operations: Operation) -> Callable[..., HttpResponse]:
    """The view of one API path, dispatching on the method to its operations."""

    @csrf_exempt
    def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return _serve(request, operations, kwargs)

    return view


# ---------------------------------------------------------------- API handlers


def list_verifications(ctx: Context) -> Result:
    """GET /verifications?number=&limit=&coachId= (newest updatedAt first)"""
    number = _int_query(ctx, "number", default=0, low=0, high=10**6)
    limit = _int_query(ctx, "limit", default=PAGE_LIMIT_DEFAULT, low=1, high=PAGE_LIMIT_MAX)
    verifications = Verification.objects.filter(account=ctx.account)
    if not ctx.is_admin:
        verifications = verifications.filter(coach_id=ctx.member.user_id)
    coach = ctx.request.GET.get("coachId", "")
    if coach:
        coach_id = _uuid(coach)
        if coach_id is None:
            raise ApiError(400, "validation", "Query parameter coachId must be a UUID.")
        verifications = verifications.filter(coach_id=coach_id)
    verifications = verifications.order_by("-updated_at", "-id")
    total = verifications.count()
    rows = list(verifications[number * limit : (number + 1) * limit])
    return Result(
        200,
        {
            "data": [services.verification_json(v) for v in rows],
            "count": len(rows),
            "page": number,
            "limit": limit,
            "total": total,
        },
    )


def create_verification(ctx: Context) -> Result:
    """POST /verifications {"notes"?}: a new verification for the current user (a coach)."""
    if ctx.is_admin:
        raise ApiError(403, "forbidden", "Only a coach can start a verification.")
    body = _json_body(ctx)
    notes = _optional_string(body, "notes", CREATE_NOTES_MAX_LENGTH) or ""
    try:
        verification = services.verification_start(ctx.member, notes=notes)
    except services.Conflict as exc:
        raise ApiError(409, "validation", str(exc)) from None
    return Result(201, services.verification_json(verification))


def get_verification(ctx: Context) -> Result:
    """GET /verifications/{verificationId}"""
    return Result(200, services.verification_json(_verification(ctx)))


def update_passport_data(ctx: Context) -> Result:
    """PUT /verifications/{verificationId} with a complete PassportData: 204."""
    verification = _verification(ctx)
    body = _json_body(ctx)
    data = {}
    for name in PASSPORT_FIELDS:
        value = body.get(name)
        if not isinstance(value, str):
            raise ApiError(400, "validation", f"{name} is required and must be a string.")
        data[name] = value
    for name in ("dateOfBirth", "issuedDate"):
        try:
            dt.date.fromisoformat(data[name])
        except ValueError:
            raise ApiError(400, "validation", f"{name} must be a date (YYYY-MM-DD).") from None
    try:
        services.verification_update_passport(verification, data)
    except services.Invalid as exc:
        raise ApiError(400, "validation", str(exc)) from None
    return Result(204)


def _upload(ctx: Context, apply: Callable[[Verification, str], Verification]) -> Result:
    verification = _verification(ctx)
    file_key = _file_key(ctx)
    try:
        verification = apply(verification, file_key)
    except services.Conflict as exc:
        raise ApiError(409, "validation", str(exc)) from None
    except services.Invalid as exc:
        raise ApiError(400, "validation", str(exc)) from None
    return Result(200, services.verification_json(verification))


def upload_avatar(ctx: Context) -> Result:
    """POST /verifications/{verificationId}/avatar {"fileKey"}"""
    return _upload(ctx, services.verification_upload_avatar)


def upload_passport(ctx: Context) -> Result:
    """POST /verifications/{verificationId}/passport {"fileKey"}"""
    return _upload(ctx, services.verification_upload_passport)


def verification_status(ctx: Context) -> Result:
    """GET /verifications/status: the current user's most recent verification."""
    verification = (
        Verification.objects.filter(account=ctx.account, coach_id=ctx.member.user_id)
        .order_by("-created_at", "-id")
        .first()
    )
    if verification is None:
        raise ApiError(404, "notFound", "No verification found for the current user.")
    return Result(200, services.verification_status_json(verification))


def admin_decision(ctx: Context) -> Result:
    """PUT /verifications/{verificationId}/admin with an AdminApproval."""
    if not ctx.is_admin:
        raise ApiError(403, "forbidden", "The admin role is required.")
    verification = _verification(ctx)
    body = _json_body(ctx)
    if not isinstance(body.get("approved"), bool):
        raise ApiError(400, "validation", "approved is required and must be a boolean.")
    approval: dict[str, Any] = {"approved": body["approved"]}
    reason = body.get("reason")
    if reason is not None:
        if reason not in REJECTION_REASONS:
            raise ApiError(
                400, "validation", f"reason must be one of {', '.join(REJECTION_REASONS)}."
            )
        approval["reason"] = reason
    notes = _optional_string(body, "notes", NOTES_MAX_LENGTH)
    if notes is not None:
        approval["notes"] = notes
    reviewer_id = _optional_string(body, "reviewerId", REVIEWER_ID_MAX)
    if reviewer_id is not None:
        approval["reviewerId"] = reviewer_id
    try:
        verification = services.verification_admin_decide(verification, approval)
    except services.Conflict as exc:
        raise ApiError(409, "validation", str(exc)) from None
    return Result(200, services.verification_status_json(verification))


def get_file(ctx: Context) -> Result:
    """GET /files/{fileKey}: the image bytes (client.py, choice (b))."""
    stored = services.file_get(ctx.account, ctx.kwargs.get("file_key", ""))
    if stored is None:
        raise ApiError(404, "notFound", "File not found.")
    return Result(200, content=bytes(stored.content), content_type=stored.content_type)


verifications = api(
    GET=Operation(list_verifications), POST=Operation(create_verification, write=True)
)
verification = api(GET=Operation(get_verification), PUT=Operation(update_passport_data, write=True))
avatar = api(POST=Operation(upload_avatar, write=True))
passport = api(POST=Operation(upload_passport, write=True))
status = api(GET=Operation(verification_status))
admin = api(PUT=Operation(admin_decision, write=True))
files = api(GET=Operation(get_file))


@csrf_exempt
def unknown_endpoint(request: HttpRequest, rest: str) -> HttpResponse:
    """Any other path: LE-KO's 404 error body, not an HTML page."""
    request_id = uuid.uuid4().hex
    endpoint = f"{request.method} {_api_path(request)}"
    response = JsonResponse(
        errors_body("notFound", f"No endpoint {endpoint}.", endpoint, request_id), status=404
    )
    response["x-request-id"] = request_id
    return response


# ---------------------------------------------------------------- control endpoints


def _control_account(data: dict[str, Any]) -> Account:
    return account_by(Account, "key", data.get("key"))


def _account_dict(account: Account) -> dict[str, Any]:
    return {
        "key": account.key,
        "name": account.name,
        "faults": faults.faults_dict(account),
    }


@control(("POST",))
def control_account(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """{"key", "name"?} -> the account (created when new) and admin credentials."""
    account = services.account_get_or_create(
        optional(data, "key", str) or "", name=optional(data, "name", str) or ""
    )
    return {**_account_dict(account), "credentials": services.credentials_for(account)}


@control(("POST",))
def control_member(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """{"key", "role": "admin"|"coach", "name"?, "ttl_seconds"?} -> a new user and token."""
    account = _control_account(data)
    member = services.member_create(
        account, optional(data, "role", str) or "", name=optional(data, "name", str) or ""
    )
    ttl = optional(data, "ttl_seconds", int)
    token = services.issue_token(
        member, ttl=dt.timedelta(seconds=ttl) if ttl is not None else services.TOKEN_TTL
    )
    return {"user_id": str(member.user_id), "role": member.role, "token": token}


control_faults = faults_view(
    _control_account,
    _account_dict,
    """{"key", "fail_next"?, "status"?, "down"?, "delay_ms"?, "retry_after"?, "clear"?}""",
)


@control(("POST",))
def control_create_verification(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """{"key", "scenario", "seed"?, "with_images"?} -> the new verification."""
    account = _control_account(data)
    scenario = data.get("scenario")
    if scenario not in SCENARIOS:
        raise ControlError(f"scenario must be one of {', '.join(SCENARIOS)}")
    verification = services.create_verification(
        account,
        scenario,
        seed=optional(data, "seed", int),
        with_images=data.get("with_images", True) is not False,
    )
    return {
        "verification_id": str(verification.id),
        "coach_id": str(verification.coach_id),
        "scenario": verification.scenario,
        "status": verification.status,
        "current_step": verification.current_step,
    }


control_received = received_view(
    ReceivedCall,
    _control_account,
    services.call_as_dict,
    account_param="key",
    subject_param="verificationId",
)


# ---------------------------------------------------------------- the human page


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """What the provider holds and heard: accounts, verifications, write calls."""
    require_enabled()
    accounts = Account.objects.order_by("created_at")
    verifications = list(Verification.objects.select_related("account")[:200])
    names = dict(
        Member.objects.filter(user_id__in={v.coach_id for v in verifications}).values_list(
            "user_id", "name"
        )
    )
    files = {
        (f.account_id, f.file_key): f.pk
        for f in StoredFile.objects.filter(account__in={v.account_id for v in verifications}).only(
            "pk", "account_id", "file_key"
        )
    }
    rows = [
        {
            "verification": v,
            "coach_name": names.get(v.coach_id, ""),
            "files": [(kind, files.get((v.account_id, key))) for kind, key in v.file_keys.items()],
            "match_score": (v.image_match or {}).get("matchScore"),
        }
        for v in verifications
    ]
    return render(
        request,
        "leko_sandbox/index.html",
        {
            "accounts": accounts,
            "rows": rows,
            "calls": services.received_calls()[:PAGE_LOG_LIMIT],
        },
    )


@require_GET
def page_file(request: HttpRequest, pk: int) -> HttpResponse:
    """One stored image, for the page's links."""
    require_enabled()
    stored = get_object_or_404(StoredFile, pk=pk)
    return HttpResponse(bytes(stored.content), content_type=stored.content_type)
