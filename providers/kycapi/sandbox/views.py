"""HTTP face of the KYC API sandbox: the API's endpoints, control endpoints, a page.

The endpoints are the ones ``providers/kycapi/client.py`` lists (the document gives no
paths): ``POST /oauth/token`` (RFC 6749 client credentials, form-encoded, client
authenticated with HTTP Basic or form fields; RFC 6749 error bodies), ``GET /health``
(no authentication) and JSON ``POST`` operations that need ``Authorization: Bearer
<token>`` (401 without a valid, unexpired token; 403 when ``X-Client-Id`` is sent and
names another client). Their errors are ``{"statusCode", "message", "error"}`` with
``message`` a list of validation messages for a 400; a body property the operation
does not document is a 400 too. An unknown path or a wrong method answers 404
``Cannot <METHOD> <path>``.

Write calls (anonymize, delete, webhook create and delete) are logged in
``ReceivedCall`` with what was answered: ``applied``, ``replay`` (an anonymize of a
session already anonymized: nothing left to change), ``fault`` (an injected 503) or
``rejected`` (any 4xx). A webhook's secret is never logged, listed or shown.
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
from typing import Any, Final

from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from providers.kycapi.sandbox import bodies, services
from providers.kycapi.sandbox.models import (
    AccessToken,
    Account,
    IdaSession,
    Notification,
    ReceivedCall,
    Session,
    SessionFile,
    Webhook,
)
from providers.kycapi.sandbox.scenarios import SCENARIOS
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

API_VERSION: Final = "2.10.15"
STARTED_AT: Final = time.monotonic()
REALM: Final = 'realm="kyc-api"'
# Headers shown in the log of received calls (the token itself is masked).
RECORDED_HEADERS: Final = ("X-Client-Id", "Content-Type", "User-Agent")
SECRET_BODY_KEYS: Final = frozenset({"secret"})
PAGE_LOG_LIMIT: Final = 200
MAX_TAKE: Final = 100
DEFAULT_TAKE: Final = 10
SESSION_STATUSES: Final = tuple(Session.Status.values)
STORAGE_FILE_TYPES: Final = (
    "unknown",
    "driver_license_front",
    "driver_license_back",
    "state_id_card_front",
    "state_id_card_back",
    "passport_front",
    "passport_card_front",
    "passport_card_back",
    "selfie",
    "liveness_passive",
    "liveness_active_step_1",
    "liveness_active_step_2",
    "liveness_active_step_3",
    "liveness_active_step_4",
)
# the document read prefers the machine-readable source when there is one
DOCUMENT_SOURCE_ORDER: Final = ("barcode", "mrz", "ocr")
TEST_READ_FIELDS: Final = (
    "doc_front_image_manipulation",
    "doc_front_is_identity_document",
    "doc_front_online_duplication",
    "doc_front_suspicious_words",
    "doc_back_image_manipulation",
    "doc_back_is_identity_document",
    "doc_back_online_duplication",
    "doc_back_suspicious_words",
    *(
        f"dmv_{name}_match"
        for name in (
            "document_number",
            "document_expiration",
            "document_issue",
            "document_category",
            "birth_date",
            "sex",
            "eye_color",
            "height",
            "weight",
            "first_name",
            "middle_name",
            "last_name",
            "suffix_name",
            "street",
            "city",
            "state",
            "postal_code",
        )
    ),
    "document_number_crosscheck",
    "name_crosscheck",
    "address_crosscheck",
)
METADATA_KEY = re.compile(r"[A-Za-z0-9_]{1,50}")


class ApiError(Exception):
    """Answered with the API's error body and ``status``."""

    def __init__(
        self, status: int, message: str | list[str], *, headers: dict[str, str] | None = None
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass
class Context:
    """One authenticated API request."""

    request: HttpRequest
    account: Account
    path: str


@dataclass
class Result:
    """What a handler answers: JSON (``body``) or a file (``content``)."""

    status: int
    body: dict[str, Any] = field(default_factory=dict)
    content: bytes | None = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    outcome: str = ReceivedCall.Outcome.APPLIED


def error_body(status: int, message: str | list[str]) -> dict[str, Any]:
    return {"statusCode": status, "message": message, "error": HTTPStatus(status).phrase}


def _response(result: Result) -> HttpResponse:
    if result.content is not None:
        response = HttpResponse(result.content, status=result.status)
        response["Content-Type"] = result.content_type
    else:
        response = JsonResponse(result.body, status=result.status)
    for name, value in result.headers.items():
        response[name] = value
    return response


# ---------------------------------------------------------------- validation


def _json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        raw = request.body
    except RequestDataTooBig:
        raise ApiError(413, "request entity too large") from None
    if not raw.strip():
        return {}
    if "json" not in request.content_type:
        raise ApiError(415, "Content-Type must be application/json")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ApiError(400, "Unexpected token in JSON body") from None
    if not isinstance(data, dict):
        raise ApiError(400, "The body must be a JSON object")
    return data


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_field(key: str, value: Any, kind: str, option: Any) -> list[str]:
    """class-validator-like messages for one present field ([] when it is fine)."""
    if kind == "string":
        if not isinstance(value, str):
            return [f"{key} must be a string"]
        if option and len(value) > option:
            return [f"{key} must be shorter than or equal to {option} characters"]
        return []
    if kind == "required_string":
        if not isinstance(value, str):
            return [f"{key} must be a string", f"{key} should not be empty"]
        if not value.strip():
            return [f"{key} should not be empty"]
        if len(value) > option:
            return [f"{key} must be shorter than or equal to {option} characters"]
        return []
    if kind == "take":
        if not _is_int(value):
            return [f"{key} must be an integer number"]
        if value < 1:
            return [f"{key} must not be less than 1"]
        return [f"{key} must not be greater than {MAX_TAKE}"] if value > MAX_TAKE else []
    if kind == "skip":
        if not _is_int(value):
            return [f"{key} must be an integer number"]
        return [f"{key} must not be less than 0"] if value < 0 else []
    if kind == "date":
        if value is None:
            return []
        if not isinstance(value, str) or _parse_date(value) is None:
            return [f"{key} must be a valid ISO 8601 date string"]
        return []
    if kind == "enum":
        if value not in option:
            return [f"{key} must be one of the following values: {', '.join(option)}"]
        return []
    if kind == "strings":
        items = value if isinstance(value, list) else [value]
        if not items or len(items) > 100 or not all(isinstance(i, str) and i for i in items):
            return [f"{key} must be a string or an array of strings"]
        return []
    if kind == "bool":
        return [] if isinstance(value, bool) else [f"{key} must be a boolean value"]
    if kind == "metadata":
        ok = isinstance(value, dict) and all(
            isinstance(k, str)
            and METADATA_KEY.fullmatch(k)
            and isinstance(v, str | int | float | bool)
            for k, v in value.items()
        )
        return [] if ok else [f"{key} must be an object of strings, numbers or booleans"]
    if kind == "url":
        ok = (
            isinstance(value, str)
            and len(value) <= option
            and re.fullmatch(r"https?://[^\s/$.?#][^\s]*", value) is not None
        )
        return [] if ok else [f"{key} must be a URL address"]
    raise AssertionError(f"unknown field kind {kind}")


def _validate(request: HttpRequest, schema: dict[str, tuple[str, bool, Any]]) -> dict[str, Any]:
    """The body checked against ``schema`` (field -> (kind, required, option))."""
    data = _json_body(request)
    messages = [f"property {key} should not exist" for key in data if key not in schema]
    for key, (kind, required, option) in schema.items():
        if key not in data:
            if required:
                messages.append(f"{key} should not be empty")
            continue
        messages.extend(_check_field(key, data[key], kind, option))
    if messages:
        raise ApiError(400, messages)
    return data


def _parse_date(value: str) -> dt.datetime | None:
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _as_list(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]


SESSION_ID = {"session_id": ("required_string", True, 100)}
PAGING = {"take": ("take", False, None), "skip": ("skip", False, None)}
LIST_FILTERS = {
    **PAGING,
    "search_term": ("string", False, 200),
    "start_date": ("date", False, None),
    "end_date": ("date", False, None),
    "metadata": ("metadata", False, None),
    "identity_id": ("strings", False, None),
    "status": ("enum", False, SESSION_STATUSES),
    "client_id": ("strings", False, None),
    "user_id": ("strings", False, None),
}


# ---------------------------------------------------------------- request plumbing


def _bearer(request: HttpRequest) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _authenticate(request: HttpRequest, token: AccessToken | None) -> Account:
    if token is None:
        raise ApiError(401, "Unauthorized", headers={"WWW-Authenticate": f"Bearer {REALM}"})
    if token.revoked or token.expired:
        raise ApiError(
            401,
            "The access token expired or was revoked",
            headers={
                "WWW-Authenticate": f'Bearer {REALM}, error="invalid_token", '
                'error_description="The access token expired or was revoked"'
            },
        )
    account = token.account
    client_id = request.headers.get("X-Client-Id")
    if client_id is not None and client_id != account.client_id:
        raise ApiError(403, "X-Client-Id does not match the access token's client")
    return account


def _log_call(
    request: HttpRequest, path: str, account: Account | None, outcome: str, result: Result
) -> ReceivedCall:
    headers = recording.recorded_headers(request, RECORDED_HEADERS)
    if "Authorization" in request.headers:
        headers["Authorization"] = "Bearer …"  # never the token itself
    body = recording.loggable_body(request, masked=SECRET_BODY_KEYS)
    session_id = body.get("session_id") if isinstance(body, dict) else ""
    return recording.record_call(
        ReceivedCall,
        request,
        path=path,
        account=account,
        outcome=outcome,
        status=result.status,
        response_body=result.body,
        headers=headers,
        body=body,
        subject=session_id if isinstance(session_id, str) else "",
    )


def _serve(
    request: HttpRequest, path: str, handler: Callable[[Context], Result], write: bool
) -> HttpResponse:
    token = services.token_lookup(_bearer(request))
    account = token.account if token is not None else None
    faults.delay(account)
    outcome, logged = ReceivedCall.Outcome.REJECTED, False
    try:
        if account is not None and services.take_fault(account):
            outcome = ReceivedCall.Outcome.FAULT
            retry = (
                {}
                if account.fault_retry_after is None
                else {"Retry-After": str(account.fault_retry_after)}
            )
            raise ApiError(503, "Service Unavailable", headers=retry)
        if request.method != "POST":
            raise ApiError(404, f"Cannot {request.method} {path}")
        ctx = Context(request=request, account=_authenticate(request, token), path=path)
        if write:
            with transaction.atomic():
                result = handler(ctx)
                # The log row of an application commits with the change it describes.
                _log_call(request, path, ctx.account, result.outcome, result)
            logged = True
        else:
            result = handler(ctx)
    except ApiError as exc:
        result = Result(exc.status, error_body(exc.status, exc.message), headers=exc.headers)
    if write and not logged:
        _log_call(request, path, account, outcome, result)
    return _response(result)


def api(path: str, *, write: bool = False):
    """Make ``handler(ctx) -> Result`` the view of the API operation ``POST path``."""

    def decorate(handler: Callable[[Context], Result]) -> Callable[[HttpRequest], HttpResponse]:
        @csrf_exempt
        def view(request: HttpRequest) -> HttpResponse:
            return _serve(request, path, handler, write)

        view.__name__ = handler.__name__
        view.__doc__ = handler.__doc__
        return view

    return decorate


def _page(qs: QuerySet, data: dict[str, Any]) -> list:
    take = data.get("take", DEFAULT_TAKE)
    skip = data.get("skip", 0)
    return list(qs[skip : skip + take])


def _session(ctx: Context, session_id: str) -> Session:
    session = (
        services.sessions_of(ctx.account).select_related("account").filter(pk=session_id).first()
    )
    if session is None:
        raise ApiError(404, "Session not found")
    return session


def _filtered(qs: QuerySet, data: dict[str, Any], account: Account, *, names: bool) -> QuerySet:
    """Apply the list filters every session list shares (status excluded)."""
    if "client_id" in data and account.client_id not in _as_list(data["client_id"]):
        return qs.none()
    if "user_id" in data:
        qs = qs.filter(user_id__in=_as_list(data["user_id"]))
    if "identity_id" in data:
        qs = qs.filter(identity_id__in=_as_list(data["identity_id"]))
    if data.get("start_date"):
        qs = qs.filter(created_at__gte=_parse_date(data["start_date"]))
    if data.get("end_date"):
        qs = qs.filter(created_at__lt=_parse_date(data["end_date"]))
    term = (data.get("search_term") or "").strip()
    if term:
        match = Q(id__icontains=term) | Q(user_id__icontains=term)
        if names:
            match |= Q(first_name__icontains=term) | Q(last_name__icontains=term)
        qs = qs.filter(match)
    for key, value in (data.get("metadata") or {}).items():
        qs = qs.filter(**{f"metadata__{key}": value})
    return qs


def _list_answer(qs: QuerySet, data: dict[str, Any], rows_key: str, row) -> dict[str, Any]:
    """Rows of the status-filtered list plus ``meta_counts`` (total, by_status)."""
    by_status = {
        entry["status_e"]: entry["n"]
        for entry in qs.order_by().values("status_e").annotate(n=Count("id"))
    }
    if "status" in data:
        qs = qs.filter(status_e=data["status"])
    qs = qs.order_by("created_at", "id")
    return {
        rows_key: [row(item) for item in _page(qs, data)],
        "meta_counts": {"total": qs.count(), "by_status": dict(sorted(by_status.items()))},
    }


# ---------------------------------------------------------------- utility


@csrf_exempt
def health(request: HttpRequest) -> HttpResponse:
    """GET /health: the service and its dependencies (no authentication)."""
    if request.method != "GET":
        return JsonResponse(error_body(404, f"Cannot {request.method} /health"), status=404)
    return JsonResponse(
        {
            "status": "ok",
            "timestamp": bodies.iso(timezone.now()),
            "uptime": round(time.monotonic() - STARTED_AT, 3),
            "version": API_VERSION,
            "environment": "sandbox",
            "checks": {"database": "ok", "storage": "ok", "dmv": "ok", "ofac": "ok"},
            "details": {"accounts": Account.objects.count()},
            "error": "",
        }
    )


def _oauth_error(status: int, error: str, description: str, **headers: str) -> JsonResponse:
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    response["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _basic_credentials(request: HttpRequest) -> tuple[str, str] | None:
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, ValueError):
        return ("", "")
    client_id, _, secret = decoded.partition(":")
    return client_id, secret


@csrf_exempt
def token(request: HttpRequest) -> HttpResponse:
    """POST /oauth/token (client credentials grant, RFC 6749 section 4.4)."""
    if request.method != "POST":
        return JsonResponse(error_body(404, f"Cannot {request.method} /oauth/token"), status=404)
    basic = _basic_credentials(request)
    form = request.POST if "form-urlencoded" in request.content_type else {}
    in_form = form.get("client_id") is not None or form.get("client_secret") is not None
    client_id, secret = (
        basic if basic is not None else (form.get("client_id", ""), form.get("client_secret", ""))
    )
    account = Account.objects.filter(client_id=client_id).first() if client_id else None
    faults.delay(account)
    if account is not None and services.take_fault(account):
        response = JsonResponse(error_body(503, "Service Unavailable"), status=503)
        if account.fault_retry_after is not None:
            response["Retry-After"] = str(account.fault_retry_after)
        return response
    if "form-urlencoded" not in request.content_type:
        return _oauth_error(
            400, "invalid_request", "The token request must be application/x-www-form-urlencoded."
        )
    if basic is not None and in_form:
        return _oauth_error(
            400, "invalid_request", "Use one client authentication method, not two."
        )
    grant_type = form.get("grant_type", "")
    if not grant_type:
        return _oauth_error(400, "invalid_request", "grant_type is required.")
    if grant_type != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "Only client_credentials is supported.")
    if (
        account is None
        or not secret
        or not secrets.compare_digest(secret.encode(), account.client_secret.encode())
    ):
        return _oauth_error(
            401,
            "invalid_client",
            "Client authentication failed.",
            WWW_Authenticate=f"Basic {REALM}",
        )
    access_token, ttl = services.token_issue(account)
    response = JsonResponse(
        {"access_token": access_token, "token_type": "Bearer", "expires_in": ttl}
    )
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


# ---------------------------------------------------------------- IDV: reads


@api("/idv/sessions/list")
def idv_sessions_list(ctx: Context) -> Result:
    """POST /idv/sessions/list {take, skip, status, start_date, end_date, identity_id…}"""
    data = _validate(ctx.request, LIST_FILTERS)
    qs = _filtered(
        services.sessions_of(ctx.account).select_related("account"), data, ctx.account, names=True
    )
    return Result(200, _list_answer(qs, data, "sessions", bodies.session_row))


@api("/idv/sessions/read")
def idv_sessions_read(ctx: Context) -> Result:
    """POST /idv/sessions/read {session_id}"""
    data = _validate(ctx.request, SESSION_ID)
    return Result(200, bodies.session_read(_session(ctx, data["session_id"])))


@api("/idv/session-tests/read")
def idv_session_tests_read(ctx: Context) -> Result:
    """POST /idv/session-tests/read {session_id}: every field, unknown until checked."""
    data = _validate(ctx.request, SESSION_ID)
    tests = _session(ctx, data["session_id"]).tests
    body = {}
    for name in TEST_READ_FIELDS:
        default = "unknown" if name.startswith("doc_") else None
        body[name] = tests.get(name, default)
    return Result(200, body)


@api("/idv/documents/read")
def idv_documents_read(ctx: Context) -> Result:
    """POST /idv/documents/read {session_id}: the machine-readable reading first."""
    data = _validate(ctx.request, SESSION_ID)
    documents = list(_session(ctx, data["session_id"]).documents.all())
    if not documents:
        raise ApiError(404, "Document not found")

    def rank(doc) -> int:
        source = doc.data_source_e
        return DOCUMENT_SOURCE_ORDER.index(source) if source in DOCUMENT_SOURCE_ORDER else 99

    return Result(200, bodies.document(min(documents, key=rank)))


@api("/idv/documents/list")
def idv_documents_list(ctx: Context) -> Result:
    """POST /idv/documents/list {session_id, take, skip}"""
    data = _validate(ctx.request, {**SESSION_ID, **PAGING})
    qs = _session(ctx, data["session_id"]).documents.order_by("created_at", "id")
    return Result(
        200,
        {
            "documents": [bodies.document(doc) for doc in _page(qs, data)],
            "meta_counts": {"total": qs.count()},
        },
    )


@api("/idv/documents/download")
def idv_documents_download(ctx: Context) -> Result:
    """POST /idv/documents/download {session_id, storage_file_type_e}: the file itself."""
    data = _validate(
        ctx.request,
        {**SESSION_ID, "storage_file_type_e": ("enum", True, STORAGE_FILE_TYPES)},
    )
    session = _session(ctx, data["session_id"])
    kind = data["storage_file_type_e"]
    stored = SessionFile.objects.filter(session=session, storage_file_type_e=kind).first()
    if stored is None:
        raise ApiError(404, f"No {kind} file for this session")
    return Result(
        200,
        content=bytes(stored.content),
        content_type=stored.content_type,
        headers={"Content-Disposition": f'attachment; filename="{kind}.jpg"'},
    )


# ---------------------------------------------------------------- IDV: writes


@api("/idv/sessions/anonymize", write=True)
def idv_sessions_anonymize(ctx: Context) -> Result:
    """POST /idv/sessions/anonymize {session_id}"""
    data = _validate(ctx.request, SESSION_ID)
    changed = services.session_anonymize(_session(ctx, data["session_id"]))
    return Result(
        200, {}, outcome=ReceivedCall.Outcome.APPLIED if changed else ReceivedCall.Outcome.REPLAY
    )


@api("/idv/sessions/delete", write=True)
def idv_sessions_delete(ctx: Context) -> Result:
    """POST /idv/sessions/delete {session_id}: later reads answer 404."""
    data = _validate(ctx.request, SESSION_ID)
    services.session_delete(_session(ctx, data["session_id"]))
    return Result(200, {})


# ---------------------------------------------------------------- IDA


@api("/ida/sessions/list")
def ida_sessions_list(ctx: Context) -> Result:
    """POST /ida/sessions/list {identity_id, take, skip, status, verified…}"""
    data = _validate(ctx.request, {**LIST_FILTERS, "verified": ("bool", False, None)})
    qs = IdaSession.objects.filter(account=ctx.account).select_related("account")
    qs = _filtered(qs, data, ctx.account, names=True)
    if "verified" in data:
        qs = qs.filter(authenticated=data["verified"])
    return Result(200, _list_answer(qs, data, "sessions", bodies.ida_row))


# ---------------------------------------------------------------- webhooks


@api("/webhooks/create", write=True)
def webhooks_create(ctx: Context) -> Result:
    """POST /webhooks/create {name, url, client_id?, secret? (kycdash's extension)}: 201 {}"""
    data = _validate(
        ctx.request,
        {
            "client_id": ("string", False, 200),
            "name": ("required_string", True, 100),
            "url": ("url", True, 500),
            "secret": ("string", False, 200),
        },
    )
    if data.get("client_id") and data["client_id"] != ctx.account.client_id:
        raise ApiError(403, "You may not manage the webhooks of another client")
    services.webhook_create(
        ctx.account, name=data["name"].strip(), url=data["url"], secret=data.get("secret") or ""
    )
    return Result(201, {})


@api("/webhooks/list")
def webhooks_list(ctx: Context) -> Result:
    """POST /webhooks/list {client_id?, take, skip, search_term}"""
    data = _validate(
        ctx.request,
        {**PAGING, "client_id": ("string", False, 200), "search_term": ("string", False, 200)},
    )
    qs = Webhook.objects.filter(account=ctx.account).select_related("account")
    if data.get("client_id") and data["client_id"] != ctx.account.client_id:
        qs = qs.none()
    term = (data.get("search_term") or "").strip()
    if term:
        qs = qs.filter(Q(name__icontains=term) | Q(url__icontains=term))
    qs = qs.order_by("created_at", "id")
    return Result(
        200,
        {
            "webhooks": [bodies.webhook_row(hook) for hook in _page(qs, data)],
            "statistics": {"total": qs.count()},
        },
    )


@api("/webhooks/delete", write=True)
def webhooks_delete(ctx: Context) -> Result:
    """POST /webhooks/delete {id}"""
    data = _validate(ctx.request, {"id": ("required_string", True, 100)})
    webhook = Webhook.objects.filter(account=ctx.account, pk=data["id"]).first()
    if webhook is None:
        raise ApiError(404, "Webhook not found")
    services.webhook_delete(webhook)
    return Result(200, {})


@csrf_exempt
def unknown_endpoint(request: HttpRequest, rest: str) -> HttpResponse:
    """Any other path: the API's 404 body, not an HTML page."""
    message = f"Cannot {request.method} /{rest}"
    return JsonResponse(error_body(404, message), status=404)


# ---------------------------------------------------------------- control endpoints


def _control_account(data: dict[str, Any]) -> Account:
    return account_by(Account, "client_id", data.get("client_id"))


def _account_dict(account: Account) -> dict[str, Any]:
    account.refresh_from_db()
    return {
        "client_id": account.client_id,
        "name": account.name,
        "token_ttl_seconds": account.token_ttl_seconds,
        "tokens_issued": account.tokens_issued,
        "webhooks": [bodies.webhook_row(hook) for hook in account.webhooks.all()],
        "faults": faults.faults_dict(account),
    }


def _notification_dict(notification: Notification) -> dict[str, Any]:
    return {
        "event_id": notification.event_id,
        "event_type": notification.event_type,
        "session_id": notification.session_id,
        "url": notification.url,
        "payload": notification.payload,
        "response_status": notification.response_status,
        "error": notification.error,
    }


def _control_session(session_id: str) -> Session:
    return get_object_or_404(
        Session.objects.select_related("account", "identity"), pk=session_id, deleted_at=None
    )


@control(("POST",))
def control_account(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """{"client_id", "client_secret", "name"?, "token_ttl_seconds"?} -> the account."""
    account = services.account_get_or_create(
        optional(data, "client_id", str) or "",
        optional(data, "client_secret", str) or "",
        name=optional(data, "name", str) or "",
        token_ttl_seconds=optional(data, "token_ttl_seconds", int),
    )
    return _account_dict(account)


control_faults = faults_view(
    _control_account,
    _account_dict,
    """{"client_id", "fail_next"?, "down"?, "delay_ms"?, "retry_after"?, "clear"?}""",
)


@control(("POST",))
def control_revoke_tokens(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """{"client_id"}: every token of the client stops working (401) at once."""
    account = _control_account(data)
    return {"revoked": services.tokens_revoke(account)}


@control(("POST",))
def control_create_session(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """{"client_id", "scenario", "seed"?, "with_images"?, "notify"?}"""
    account = _control_account(data)
    scenario = data.get("scenario")
    if scenario not in SCENARIOS:
        raise ControlError(f"scenario must be one of {', '.join(SCENARIOS)}")
    session = services.create_session(
        account,
        scenario,
        seed=optional(data, "seed", int),
        with_images=data.get("with_images", True) is not False,
    )
    answer: dict[str, Any] = {
        "session_id": session.id,
        "identity_id": session.identity_id,
        "scenario": session.scenario,
        "status_e": session.status_e,
        "reauthentications": session.identity.ida_sessions.count(),
    }
    if data.get("notify"):
        answer["notifications"] = [_notification_dict(n) for n in services.notify(session)]
    return answer


@control(("POST",))
def control_notify(request: HttpRequest, data: dict[str, Any], session_id: str) -> dict[str, Any]:
    """Deliver the session's status-change event to the client's webhooks now."""
    session = _control_session(session_id)
    return {"notifications": [_notification_dict(n) for n in services.notify(session)]}


@control(("POST",))
def control_reauthenticate(
    request: HttpRequest, data: dict[str, Any], session_id: str
) -> dict[str, Any]:
    """{"authenticated"?: bool, "notify"?: bool}: a new IDA session of the session's identity."""
    session = _control_session(session_id)
    authenticated = optional(data, "authenticated", bool)
    ida = services.create_reauthentication(
        session, authenticated=True if authenticated is None else authenticated
    )
    answer: dict[str, Any] = {"ida_session": bodies.ida_row(ida)}
    if data.get("notify"):
        answer["notifications"] = [_notification_dict(n) for n in services.notify_ida(ida)]
    return answer


control_received = received_view(
    ReceivedCall,
    _control_account,
    services.call_as_dict,
    account_param="client_id",
    subject_param="session_id",
)


# ---------------------------------------------------------------- the human page


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """What the provider holds and heard: clients, webhooks, sessions, calls, deliveries."""
    require_enabled()
    accounts = Account.objects.annotate(session_count=Count("sessions", distinct=True)).order_by(
        "created_at"
    )
    webhooks = Webhook.objects.select_related("account").order_by("created_at")
    sessions = (
        Session.objects.select_related("account")
        .prefetch_related("files")
        .annotate(reauthentications=Count("identity__ida_sessions", distinct=True))
        .order_by("-created_at", "-id")[:200]
    )
    calls = services.received_calls()[:PAGE_LOG_LIMIT]
    notifications = Notification.objects.select_related("account")[:50]
    return render(
        request,
        "kycapi_sandbox/index.html",
        {
            "accounts": accounts,
            "webhooks": webhooks,
            "sessions": sessions,
            "calls": calls,
            "notifications": notifications,
        },
    )


@require_GET
def session_file(request: HttpRequest, session_id: str, file_type: str) -> HttpResponse:
    """One stored file, for the page's links."""
    require_enabled()
    stored = get_object_or_404(SessionFile, session_id=session_id, storage_file_type_e=file_type)
    return HttpResponse(bytes(stored.content), content_type=stored.content_type)
