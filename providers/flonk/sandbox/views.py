"""HTTP face of the Flonk KYC sandbox: the REST API, control endpoints, a page.

The API follows ``docs/providers/flonk-kyc-sdk-1.9.1.txt`` and, where that document is
silent (paths, listing, error body, writes, idempotency), what
``providers/flonk/client.py`` says: ``Authorization: Bearer sk_test_…|sk_live_…``
(401 ``authentication_error`` when missing or unknown), ``Flonk-Version`` (400
``validation_error`` for a version it does not know; the version used is echoed),
NestJS-shaped error bodies ``{statusCode, code, message, error}`` with the SDK's
error codes, and a ``Request-Id`` header on every answer.

Write calls (every POST) are logged in ``ReceivedCall`` with what was answered:
``applied``, ``replay`` (a repeated ``Idempotency-Key``: the first answer again,
nothing applied), ``fault`` (an injected 503 or 429) or ``rejected`` (any 4xx).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from providers.flonk.sandbox import scenarios, services
from providers.flonk.sandbox.models import (
    Account,
    KycSession,
    Note,
    ReceivedCall,
    SessionImage,
    WebhookDelivery,
    iso,
)
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

DEFAULT_VERSION = "1.9.1"
SUPPORTED_VERSIONS = ("1.8.2", "1.9.0", "1.9.1")
# Headers shown in the log of received calls: the ones a write-back test asserts on.
RECORDED_HEADERS = ("Flonk-Version", "Idempotency-Key", "Content-Type", "User-Agent")
IMAGE_TYPES = ("front", "back", "main", "face", "poa")
DOCUMENT_TYPES = ("passport", "id_card", "driver_license")
LANGUAGES = ("en", "de", "uk")
DECISION_STATUSES = ("approved", "rejected")
LIST_DEFAULT_LIMIT = 20
LIST_MAX_LIMIT = 100
NOTE_MAX_CHARS = 5000
REASON_MAX_CHARS = 500
REVIEWER_MAX_CHARS = 200
IDEMPOTENCY_KEY_MAX_CHARS = 255
PAGE_LOG_LIMIT = 200
WIDGET_BASE = "https://widget.flonk.id"


class FlonkApiError(Exception):
    """Answered with Flonk's error body: ``status``, ``code`` and ``message``."""

    def __init__(self, status: int, code: str, message: str | list[str]):
        super().__init__(message if isinstance(message, str) else "; ".join(message))
        self.status = status
        self.code = code
        self.message = message


def invalid(*messages: str) -> FlonkApiError:
    """A 400 ``validation_error`` with class-validator's list of messages."""
    return FlonkApiError(400, "validation_error", list(messages))


@dataclass
class Context:
    """One authenticated API request."""

    request: HttpRequest
    account: Account
    version: str
    session_id: str = ""
    image_type: str = ""


@dataclass
class Result:
    """What a handler answers, plus what must happen after its transaction commits."""

    status: int
    body: dict[str, Any]
    after: list[Callable[[], object]] = field(default_factory=list)
    content: bytes | None = None  # a binary answer (an image) instead of ``body``
    content_type: str = "application/json"
    session_id: str = ""  # the session a create made, for the log


def error_body(status: int, code: str, message: str | list[str]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "code": code,
        "message": message,
        "error": HTTPStatus(status).phrase,
    }


# ---------------------------------------------------------------- request plumbing


def _bearer(request: HttpRequest) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _account_for(request: HttpRequest) -> Account | None:
    token = _bearer(request)
    if not token.startswith(services.SECRET_KEY_PREFIXES):
        return None
    return Account.objects.filter(secret_key=token).first()


def _authenticate(request: HttpRequest, account: Account | None) -> Account:
    header = request.headers.get("Authorization", "")
    if not header:
        raise FlonkApiError(
            401,
            "authentication_error",
            "No API key provided. Send your secret key as Authorization: Bearer sk_….",
        )
    token = _bearer(request)
    if not token:
        raise FlonkApiError(
            401, "authentication_error", "Malformed Authorization header: expected Bearer <key>."
        )
    if token.startswith("pk_"):
        raise FlonkApiError(
            401,
            "authentication_error",
            "Publishable keys cannot call server endpoints; use a secret key (sk_…).",
        )
    if account is None:
        raise FlonkApiError(401, "authentication_error", "Invalid API key provided.")
    return account


def _version(request: HttpRequest) -> str:
    version = request.headers.get("Flonk-Version", "").strip() or DEFAULT_VERSION
    if version not in SUPPORTED_VERSIONS:
        raise invalid(
            f"Flonk-Version {version[:20]!r} is not supported; use one of "
            f"{', '.join(SUPPORTED_VERSIONS)}"
        )
    return version


def _json_body(ctx: Context) -> dict[str, Any]:
    try:
        raw = ctx.request.body
    except RequestDataTooBig:
        raise FlonkApiError(413, "validation_error", "Request body too large.") from None
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise invalid("Malformed JSON request body") from None
    if not isinstance(data, dict):
        raise invalid("The request body must be a JSON object")
    return data


def _check_fields(body: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = [key for key in body if key not in allowed]
    if unknown:
        raise invalid(*(f"property {key[:40]} should not exist" for key in unknown))


def _optional_str(body: dict[str, Any], key: str, limit: int) -> str:
    value = body.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise invalid(f"{key} must be a string")
    if len(value) > limit:
        raise invalid(f"{key} must be shorter than or equal to {limit} characters")
    return value


def _session(ctx: Context) -> KycSession:
    session = KycSession.objects.filter(pk=ctx.session_id, account=ctx.account).first()
    if session is None:
        raise FlonkApiError(404, "session_not_found", f"Session {ctx.session_id[:60]} not found.")
    return session


def _recorded_headers(request: HttpRequest) -> dict[str, str]:
    headers = recording.recorded_headers(request, RECORDED_HEADERS)
    token = _bearer(request)
    if token:
        # The key's kind and last four characters: enough to tell accounts apart.
        kind = token.split("_", 2)[:2]
        headers["Authorization"] = f"Bearer {'_'.join(kind)}_…{token[-4:]}"
    return headers


def _log_call(
    request: HttpRequest,
    path: str,
    account: Account | None,
    session_id: str,
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
        subject=session_id,
        idempotency_key=request.headers.get("Idempotency-Key", "")[:IDEMPOTENCY_KEY_MAX_CHARS],
    )


def _replay(ctx: Context, path: str, first: ReceivedCall) -> Result:
    same_request = (
        first.method == ctx.request.method
        and first.path == path
        and first.body == recording.loggable_body(ctx.request)
    )
    if not same_request:
        raise FlonkApiError(
            422,
            "idempotency_error",
            "Keys for idempotent requests can only be used with the same parameters they "
            "were first used with.",
        )
    return Result(first.response_status, first.response_body, session_id=first.session_id)


def _mount(request: HttpRequest) -> str:
    """The sandbox's own prefix (``/sandbox/flonk``), so logged paths are Flonk's."""
    path = request.path_info
    index = path.find("/v1/")
    return path[:index] if index >= 0 else ""


def _apply_write(
    ctx: Context, path: str, handler: Callable[[Context], Result]
) -> tuple[Result, str, bool]:
    """Run a write handler once per Idempotency-Key: (result, outcome, already logged)."""
    key = ctx.request.headers.get("Idempotency-Key", "").strip()
    if not key:
        raise invalid("Idempotency-Key header is required for POST requests")
    if len(key) > IDEMPOTENCY_KEY_MAX_CHARS:
        raise invalid(f"Idempotency-Key must be at most {IDEMPOTENCY_KEY_MAX_CHARS} characters")
    applied = ReceivedCall.objects.filter(
        account=ctx.account, idempotency_key=key, outcome=ReceivedCall.Outcome.APPLIED
    )
    if (first := applied.first()) is not None:
        return _replay(ctx, path, first), ReceivedCall.Outcome.REPLAY, False
    try:
        with transaction.atomic():
            result = handler(ctx)
            # The log row of an application commits with the change it describes; its
            # unique constraint turns a concurrent second delivery into an IntegrityError.
            _log_call(
                ctx.request,
                path,
                ctx.account,
                ctx.session_id or result.session_id,
                ReceivedCall.Outcome.APPLIED,
                result,
            )
    except IntegrityError:
        first = applied.first()
        if first is None:
            raise
        return _replay(ctx, path, first), ReceivedCall.Outcome.REPLAY, False
    return result, ReceivedCall.Outcome.APPLIED, True


Handler = Callable[[Context], Result]


def _serve(
    request: HttpRequest, handlers: dict[str, Handler], kwargs: dict[str, str]
) -> HttpResponse:
    started = time.monotonic()
    path = request.path_info.removeprefix(_mount(request))
    session_id = kwargs.get("session_id", "")
    account = _account_for(request)
    faults.delay(account)
    write = request.method != "GET"
    outcome, logged = ReceivedCall.Outcome.REJECTED, False
    retry_after: int | None = None
    version = DEFAULT_VERSION
    replayed = False
    try:
        fault = services.take_fault(account) if account is not None else None
        if fault is not None:
            outcome, retry_after = ReceivedCall.Outcome.FAULT, account.fault_retry_after
            if fault == 429:
                raise FlonkApiError(429, "rate_limited", "Too many requests; slow down.")
            raise FlonkApiError(503, "api_error", "Service temporarily unavailable.")
        handler = handlers.get(request.method or "")
        if handler is None:
            raise FlonkApiError(405, "method_not_allowed", f"Cannot {request.method} {path}")
        authenticated = _authenticate(request, account)
        version = _version(request)
        ctx = Context(request, authenticated, version, session_id, kwargs.get("image_type", ""))
        if write:
            result, outcome, logged = _apply_write(ctx, path, handler)
            replayed = outcome == ReceivedCall.Outcome.REPLAY
        else:
            result = handler(ctx)
    except FlonkApiError as exc:
        result = Result(exc.status, error_body(exc.status, exc.code, exc.message))
    except services.InvalidState as exc:
        result = Result(exc.status, error_body(exc.status, exc.code, exc.message))
    if write and not logged:
        _log_call(request, path, account, session_id or result.session_id, outcome, result)
    for action in result.after:
        action()
    if result.content is not None:
        response = HttpResponse(result.content, content_type=result.content_type)
    else:
        response = JsonResponse(result.body, status=result.status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    response["Flonk-Version"] = version
    response["Request-Id"] = f"req_{secrets.token_hex(10)}"
    response["Server-Timing"] = f"app;dur={int((time.monotonic() - started) * 1000)}"
    return response


def api(**handlers: Handler) -> Callable[..., HttpResponse]:
    """The view of one API path: ``api(GET=read, POST=write)``; POSTs are writes."""

    @csrf_exempt
    def view(request: HttpRequest, **kwargs: str) -> HttpResponse:
        return _serve(request, handlers, kwargs)

    view.__name__ = "_".join(h.__name__ for h in handlers.values())
    return view


# ---------------------------------------------------------------- representations


def _widget_urls(session: KycSession) -> dict[str, str]:
    token = f"kyc_{int(session.created_at.timestamp())}_{session.id[-6:]}"
    return {
        "widgetUrl": f"{WIDGET_BASE}/?sessionId={session.id}&mode=embedded",
        "qrCodeUrl": f"{WIDGET_BASE}/verify/{session.id}?token={token}",
    }


def session_response(session: KycSession) -> dict[str, Any]:
    """SessionResponseDto: what a create answers."""
    return {
        "id": session.id,
        "status": session.status,
        "expiresAt": iso(session.expires_at),
        "clientMetadata": session.client_metadata,
        **_widget_urls(session),
        "createdAt": iso(session.created_at),
        "projectId": session.account.project_id,
        "allowManualUpload": session.allow_manual_upload,
        "embedToken": session.embed_token,
        "reused": session.scenario == "reused",
        "testMode": session.test_mode,
    }


def session_details(session: KycSession) -> dict[str, Any]:
    """SessionDetailsDto: what a read and the listing answer."""
    details = session_response(session)
    if session.last_activity is not None:
        details["lastActivity"] = iso(session.last_activity)
    details["serverMetadata"] = session.server_metadata
    details["updatedAt"] = iso(session.updated_at)
    return details


# ---------------------------------------------------------------- API: sessions


def _cursor(session: KycSession) -> str:
    raw = f"{session.updated_at.isoformat()}|{session.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _parse_cursor(value: str) -> tuple[dt.datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        moment, _, session_id = raw.partition("|")
        parsed = dt.datetime.fromisoformat(moment)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid("cursor is not a cursor this API returned") from None
    if parsed.tzinfo is None or not session_id:
        raise invalid("cursor is not a cursor this API returned")
    return parsed, session_id


def _parse_since(value: str) -> dt.datetime:
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = f"{text[:-1]}+00:00"
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise invalid("updatedSince must be a valid ISO 8601 date string") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def list_sessions(ctx: Context) -> Result:
    """GET /v1/sessions?updatedSince=&limit=&cursor= (kycdash's listing; see client.py)"""
    params = ctx.request.GET
    unknown = sorted(set(params) - {"updatedSince", "limit", "cursor"})
    if unknown:
        raise invalid(*(f"property {name[:40]} should not exist" for name in unknown))
    limit = LIST_DEFAULT_LIMIT
    if params.get("limit", "") != "":
        try:
            limit = int(params["limit"])
        except ValueError:
            raise invalid("limit must be an integer number") from None
        if not 1 <= limit <= LIST_MAX_LIMIT:
            raise invalid(f"limit must not be less than 1 or greater than {LIST_MAX_LIMIT}")
    sessions = KycSession.objects.filter(account=ctx.account).select_related("account")
    if params.get("updatedSince"):
        sessions = sessions.filter(updated_at__gte=_parse_since(params["updatedSince"]))
    if params.get("cursor"):
        moment, last_id = _parse_cursor(params["cursor"])
        sessions = sessions.filter(Q(updated_at__gt=moment) | Q(updated_at=moment, id__gt=last_id))
    rows = list(sessions.order_by("updated_at", "id")[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    return Result(
        200,
        {
            "data": [session_details(s) for s in rows],
            "hasMore": has_more,
            "nextCursor": _cursor(rows[-1]) if has_more and rows else None,
        },
    )


def create_session(ctx: Context) -> Result:
    """POST /v1/sessions (CreateSessionDto) -> 201 SessionResponseDto"""
    body = _json_body(ctx)
    _check_fields(
        body, ("documentType", "clientMetadata", "serverMetadata", "expiryMinutes", "language")
    )
    errors = []
    if body.get("documentType") is not None and body["documentType"] not in DOCUMENT_TYPES:
        errors.append(
            f"documentType must be one of the following values: {', '.join(DOCUMENT_TYPES)}"
        )
    for key in ("clientMetadata", "serverMetadata"):
        if body.get(key) is not None and not isinstance(body[key], dict):
            errors.append(f"{key} must be an object")
    minutes = body.get("expiryMinutes")
    if minutes is not None and (
        not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 60
    ):
        errors.append("expiryMinutes must be an integer between 1 and 60")
    if body.get("language") is not None and body["language"] not in LANGUAGES:
        errors.append(f"language must be one of the following values: {', '.join(LANGUAGES)}")
    if errors:
        raise invalid(*errors)
    session = services.session_create_from_api(ctx.account, body)
    return Result(201, session_response(session), session_id=session.id)


def get_session(ctx: Context) -> Result:
    """GET /v1/sessions/{id} -> SessionDetailsDto"""
    return Result(200, session_details(_session(ctx)))


def get_verification(ctx: Context) -> Result:
    """GET /v1/sessions/{id}/verification -> the verification object (409 before one)"""
    session = _session(ctx)
    if not session.verification:
        raise FlonkApiError(
            409,
            "session_invalid_state",
            f"Session {session.id} has no verification yet (status: {session.status}).",
        )
    return Result(200, session.verification)


def get_poa(ctx: Context) -> Result:
    """GET /v1/sessions/{id}/poa -> the PoA read (status "not_found" without a PoA)"""
    session = _session(ctx)
    return Result(200, session.poa or scenarios.no_poa())


def list_images(ctx: Context) -> Result:
    """GET /v1/sessions/{id}/images -> {"data": [{type, contentType, size, createdAt}]}"""
    session = _session(ctx)
    rows = SessionImage.objects.filter(session=session).order_by("id")
    return Result(
        200,
        {
            "data": [
                {
                    "type": image.image_type,
                    "contentType": image.content_type,
                    "size": len(image.content),
                    "createdAt": iso(image.created_at),
                }
                for image in rows
            ]
        },
    )


def get_image(ctx: Context) -> Result:
    """GET /v1/sessions/{id}/images/{type} -> the image's bytes"""
    session = _session(ctx)
    if ctx.image_type not in IMAGE_TYPES:
        raise invalid(f"type must be one of the following values: {', '.join(IMAGE_TYPES)}")
    image = SessionImage.objects.filter(session=session, image_type=ctx.image_type).first()
    if image is None:
        raise FlonkApiError(
            404, "image_not_found", f"Session {session.id} has no {ctx.image_type} image."
        )
    return Result(200, {}, content=bytes(image.content), content_type=image.content_type)


# ---------------------------------------------------------------- API: writes


def _decision(body: dict[str, Any]) -> tuple[str, str, str]:
    _check_fields(body, ("status", "reason", "reviewedBy"))
    status = body.get("status")
    if status is None or status == "":
        raise invalid("status should not be empty")
    if status not in DECISION_STATUSES:
        raise invalid(f"status must be one of the following values: {', '.join(DECISION_STATUSES)}")
    return (
        status,
        _optional_str(body, "reason", REASON_MAX_CHARS),
        _optional_str(body, "reviewedBy", REVIEWER_MAX_CHARS),
    )


def _send_later(session: KycSession, event_type: str) -> Callable[[], object]:
    def send() -> object:
        fresh = KycSession.objects.select_related("account").get(pk=session.pk)
        if not fresh.account.webhook_url:
            return None
        return services.send_event(fresh, event_type)

    return send


def update_verification_status(ctx: Context) -> Result:
    """POST /v1/sessions/{id}/verification/status {"status", "reason"?, "reviewedBy"?}"""
    session = _session(ctx)
    status, reason, reviewer = _decision(_json_body(ctx))
    services.session_update_status(session, status, reason=reason, reviewed_by=reviewer)
    return Result(
        200, session.verification or {}, [_send_later(session, "verification.status_changed")]
    )


def update_poa_status(ctx: Context) -> Result:
    """POST /v1/sessions/{id}/poa/status {"status", "reason"?, "reviewedBy"?}"""
    session = _session(ctx)
    status, reason, reviewer = _decision(_json_body(ctx))
    services.session_update_poa_status(session, status, reason=reason, reviewed_by=reviewer)
    return Result(200, session.poa or {}, [_send_later(session, "verification.updated")])


def add_note(ctx: Context) -> Result:
    """POST /v1/sessions/{id}/notes {"content", "author"?} -> 201 the note"""
    session = _session(ctx)
    body = _json_body(ctx)
    _check_fields(body, ("content", "author"))
    content = body.get("content")
    if not isinstance(content, str) or not content.strip():
        raise invalid("content should not be empty", "content must be a string")
    if len(content) > NOTE_MAX_CHARS:
        raise invalid(f"content must be shorter than or equal to {NOTE_MAX_CHARS} characters")
    author = _optional_str(body, "author", REVIEWER_MAX_CHARS)
    note = services.note_add(session, content, author=author)
    return Result(201, note.as_json())


sessions_view = api(GET=list_sessions, POST=create_session)
session_view = api(GET=get_session)
verification_view = api(GET=get_verification)
verification_status_view = api(POST=update_verification_status)
poa_view = api(GET=get_poa)
poa_status_view = api(POST=update_poa_status)
images_view = api(GET=list_images)
image_view = api(GET=get_image)
notes_view = api(POST=add_note)


@csrf_exempt
def unknown_endpoint(request: HttpRequest, rest: str) -> HttpResponse:
    """Any other /v1/... path: Flonk's 404 error body (NestJS's wording), not an HTML page."""
    message = f"Cannot {request.method} /v1/{rest[:100]}"
    response = JsonResponse(error_body(404, "not_found", message), status=404)
    response["Request-Id"] = f"req_{secrets.token_hex(10)}"
    return response


# ---------------------------------------------------------------- control endpoints


def _control_account(data: dict[str, Any]) -> Account:
    return account_by(Account, "secret_key", data.get("secret_key"))


def _account_dict(account: Account) -> dict[str, Any]:
    return {
        "secret_key": account.masked_secret_key,
        "name": account.name,
        "project_id": account.project_id,
        "test_mode": account.test_mode,
        "webhook_url": account.webhook_url,
        "signature_scheme": account.signature_scheme,
        "faults": faults.faults_dict(account),
    }


@control(("POST",))
def control_account(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """{"secret_key", "name"?} -> the account (created when new)."""
    account = services.account_get_or_create(
        optional(data, "secret_key", str) or "", name=optional(data, "name", str) or ""
    )
    return _account_dict(account)


@control(("POST",))
def control_webhook(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """{"secret_key", "url", "secret", "scheme"?}: where events go and what signs them."""
    account = _control_account(data)
    services.account_configure_webhook(
        account,
        optional(data, "url", str) or "",
        optional(data, "secret", str) or "",
        scheme=optional(data, "scheme", str),
    )
    return _account_dict(account)


control_faults = faults_view(
    _control_account,
    _account_dict,
    """{"secret_key", "fail_next"?, "down"?, "delay_ms"?, "status"?, "retry_after"?, "clear"?}""",
)


@control(("POST",))
def control_create_session(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """{"secret_key", "scenario", "full_name"?, "seed"?, "with_images"?, "notify"?}"""
    account = _control_account(data)
    scenario = data.get("scenario")
    if scenario not in scenarios.SCENARIOS:
        raise ControlError(f"scenario must be one of {', '.join(scenarios.SCENARIOS)}")
    session = services.create_session(
        account,
        scenario,
        full_name=optional(data, "full_name", str),
        seed=optional(data, "seed", int),
        with_images=data.get("with_images", True) is not False,
    )
    answer: dict[str, Any] = {
        "session_id": session.id,
        "scenario": session.scenario,
        "status": session.status,
        "verification_status": session.verification_status,
        "updated_at": iso(session.updated_at),
    }
    if data.get("notify") and session.verification:
        delivery = services.send_event(session, "verification.completed")
        answer["delivery"] = services.delivery_as_dict(delivery)
    return answer


@control(("POST",))
def control_send_event(
    request: HttpRequest, data: dict[str, Any], session_id: str
) -> dict[str, Any]:
    """{"type"?}: send one event about the session now (default verification.completed)."""
    session = get_object_or_404(KycSession.objects.select_related("account"), pk=session_id)
    event_type = optional(data, "type", str) or "verification.completed"
    return services.delivery_as_dict(services.send_event(session, event_type))


control_received = received_view(
    ReceivedCall,
    _control_account,
    services.call_as_dict,
    account_param="secret_key",
    subject_param="session_id",
)


@control(("GET",))
def control_deliveries(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """The webhook events sent, newest first: ?session_id="""
    deliveries = WebhookDelivery.objects.all()
    if request.GET.get("session_id"):
        deliveries = deliveries.filter(session_id=request.GET["session_id"])
    entries = [services.delivery_as_dict(d) for d in deliveries[:500]]
    return {"count": len(entries), "deliveries": entries}


# ---------------------------------------------------------------- the human page


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """What the provider holds and heard: accounts, sessions, calls, notes, webhooks."""
    require_enabled()
    return render(
        request,
        "flonk_sandbox/index.html",
        {
            "accounts": Account.objects.order_by("created_at"),
            "sessions": KycSession.objects.select_related("account")
            .prefetch_related("images")
            .order_by("-updated_at", "-id")[:200],
            "calls": services.received_calls()[:PAGE_LOG_LIMIT],
            "notes": Note.objects.select_related("session").order_by("-created_at")[:50],
            "deliveries": WebhookDelivery.objects.all()[:50],
        },
    )


@require_GET
def image(request: HttpRequest, session_id: str, image_type: str) -> HttpResponse:
    """One stored image, for the page's links."""
    require_enabled()
    stored = get_object_or_404(SessionImage, session_id=session_id, image_type=image_type)
    return HttpResponse(bytes(stored.content), content_type=stored.content_type)
