"""HTTP face of the Finwave sandbox: the integrations API, control endpoints, pages.

The API endpoints follow ``docs/providers/finwave-digital-onboarding.txt`` under its base
path ``/management``: the ``gestok-client-token`` header (401 when missing or unknown),
``POST /integrations``, ``GET /integrations/:id/result`` and the evidence ZIP of
``/integrations/:id/evidences`` (GET or POST: the document names both). Where the
document is silent (error bodies, a repeated customId, lang, the ZIP's contents) the
sandbox does what ``providers/finwave/client.py`` says: errors are
``{"statusCode", "message", "error"}`` (validation messages as a list), an unknown path
is 404 ``Cannot <METHOD> <path>``.

``POST /integrations`` and any write to an unknown path are logged in ``ReceivedCall``
with what was answered: ``applied`` (an onboarding created), ``replay`` (a repeat of a
customId: nothing created), ``fault`` (an injected 503) or ``rejected`` (any 4xx).
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from providers.finwave.sandbox import scenarios, services
from providers.finwave.sandbox.models import (
    Account,
    EvidenceFile,
    Notification,
    Onboarding,
    ReceivedCall,
    mask,
    mask_webhook,
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

TOKEN_HEADER = "gestok-client-token"  # noqa: S105 (a header name)
BASE_PATH = "/management"
RECORDED_HEADERS = ("Content-Type", "User-Agent")
LANGS = ("ENG",)
REDIRECT_TYPES = (1, 2, 3, 4)
PHONE_COUNTRY_CODE = re.compile(r"\+\d{1,4}")
PHONE = re.compile(r"\d{6,15}")
PAGE_LOG_LIMIT = 200


class ApiError(Exception):
    """Answered with the sandbox's error body and ``status``; ``message`` may be a list."""

    def __init__(self, status: int, message: str | list[str]):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Context:
    """One authenticated API request."""

    request: HttpRequest
    account: Account
    path: str  # under the base path, e.g. /integrations


@dataclass
class Result:
    """What a handler answers (JSON, or bytes of ``content_type``) and what follows it."""

    status: int
    body: dict[str, Any]
    content: bytes | None = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    after: list[Callable[[], object]] = field(default_factory=list)
    outcome: str = ReceivedCall.Outcome.APPLIED  # how a write call is logged


def error_body(status: int, message: str | list[str]) -> dict[str, Any]:
    return {"statusCode": status, "message": message, "error": HTTPStatus(status).phrase}


# ---------------------------------------------------------------- request plumbing


def _account_for(request: HttpRequest) -> Account | None:
    token = request.headers.get(TOKEN_HEADER, "")
    if not token:
        return None
    return Account.objects.filter(client_token=token).first()


def _authenticate(request: HttpRequest, account: Account | None) -> Account:
    token = request.headers.get(TOKEN_HEADER, "")
    if not token:
        raise ApiError(401, f"The {TOKEN_HEADER} header is required.")
    if account is None or not secrets.compare_digest(token.encode(), account.client_token.encode()):
        raise ApiError(401, "Invalid client token.")
    return account


def _json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        raw = request.body
    except RequestDataTooBig:
        raise ApiError(413, "Request entity too large.") from None
    if not raw.strip():
        raise ApiError(400, "Request body is required.")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ApiError(400, "Malformed JSON in the request body.") from None
    if not isinstance(data, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    return data


def _onboarding(ctx: Context, onboarding_id: str) -> Onboarding:
    onboarding = Onboarding.objects.filter(pk=onboarding_id, account=ctx.account).first()
    if onboarding is None:
        raise ApiError(404, f"Onboarding {onboarding_id[:40]} not found.")
    return onboarding


def _log_call(
    request: HttpRequest,
    path: str,
    account: Account | None,
    outcome: str,
    result: Result,
    onboarding_id: str = "",
) -> ReceivedCall:
    headers = recording.recorded_headers(request, RECORDED_HEADERS)
    if TOKEN_HEADER in request.headers:
        headers[TOKEN_HEADER] = mask(request.headers[TOKEN_HEADER])  # the page is not a vault
    body = recording.loggable_body(request)
    if isinstance(body, dict) and isinstance(body.get("webhook"), str):
        body["webhook"] = mask_webhook(body["webhook"])  # kycdash's secret is in its path
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
        subject=onboarding_id,
    )


def _serve(
    request: HttpRequest,
    path: str,
    methods: tuple[str, ...],
    handler: Callable[[Context], Result],
    write: bool,
) -> HttpResponse:
    account = _account_for(request)
    faults.delay(account)
    outcome, retry_after = ReceivedCall.Outcome.REJECTED, None
    try:
        if account is not None and services.take_fault(account):
            outcome, retry_after = ReceivedCall.Outcome.FAULT, account.fault_retry_after
            raise ApiError(503, "Service temporarily unavailable.")
        if request.method not in methods:
            # the framework behind the API answers an unrouted method as an unknown path
            raise ApiError(404, f"Cannot {request.method} {BASE_PATH}{path}")
        ctx = Context(request=request, account=_authenticate(request, account), path=path)
        with transaction.atomic():
            result = handler(ctx)
        outcome = result.outcome
    except ApiError as exc:
        result = Result(exc.status, error_body(exc.status, exc.message))
    if write:
        onboarding_id = str(result.body.get("onboardingId") or "")
        _log_call(request, path, account, outcome, result, onboarding_id)
    for action in result.after:
        action()
    if result.content is not None:
        response = HttpResponse(result.content, content_type=result.content_type)
    else:
        response = JsonResponse(result.body, status=result.status)
    response.status_code = result.status
    for name, value in result.headers.items():
        response[name] = value
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def api(path: str, methods: tuple[str, ...], *, write: bool = False):
    """Make ``handler(ctx, **kwargs) -> Result`` the view of the API endpoint at ``path``."""

    def decorate(handler: Callable[..., Result]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            concrete = path.format(**kwargs)
            return _serve(request, concrete, methods, lambda ctx: handler(ctx, **kwargs), write)

        view.__name__ = handler.__name__
        view.__doc__ = handler.__doc__
        return view

    return decorate


# ---------------------------------------------------------------- validation


def _validate_creation(body: dict[str, Any]) -> list[str]:
    """Every problem of a ``POST /integrations`` body, in the framework's list style."""
    problems = []
    custom_id = body.get("customId")
    if not isinstance(custom_id, str) or not custom_id.strip():
        problems.append("customId must be a non-empty string")
    elif len(custom_id) > 100:
        problems.append("customId must be shorter than or equal to 100 characters")
    webhook = body.get("webhook")
    if webhook is not None:
        parts = urlsplit(webhook) if isinstance(webhook, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append("webhook must be an URL address")
        elif len(webhook) > 500:
            problems.append("webhook must be shorter than or equal to 500 characters")
    lang = body.get("lang", "ENG")
    if lang not in LANGS:
        problems.append(f"lang must be one of the following values: {', '.join(LANGS)}")
    phone_step = body.get("phoneStep", False)
    if not isinstance(phone_step, bool):
        problems.append("phoneStep must be a boolean value")
    code, phone = body.get("phoneCountryCode"), body.get("phone")
    if code is not None and (not isinstance(code, str) or not PHONE_COUNTRY_CODE.fullmatch(code)):
        problems.append("phoneCountryCode must be a country calling code such as +34")
    if phone is not None and (not isinstance(phone, str) or not PHONE.fullmatch(phone)):
        problems.append("phone must be a valid phone number")
    if phone_step is True and (not code or not phone):
        problems.append("phoneCountryCode and phone are required when phoneStep is true")
    acceptations = body.get("acceptations", [])
    if not isinstance(acceptations, list) or len(acceptations) > 20:
        problems.append("acceptations must be an array of at most 20 elements")
    else:
        for i, item in enumerate(acceptations):
            if (
                not isinstance(item, dict)
                or not isinstance(item.get("mandatory"), bool)
                or not isinstance(item.get("text"), str)
                or not item["text"].strip()
                or len(item["text"]) > 2000
            ):
                problems.append(f"acceptations.{i} must have a boolean mandatory and a text")
    redirect = body.get("redirectUrl")
    if redirect is not None:
        if (
            not isinstance(redirect, dict)
            or redirect.get("type") not in REDIRECT_TYPES
            or isinstance(redirect.get("type"), bool)
        ):
            problems.append("redirectUrl.type must be one of the following values: 1, 2, 3, 4")
        else:
            waiting = redirect.get("waitingTime", 0)
            if not isinstance(waiting, int) or isinstance(waiting, bool) or waiting < 0:
                problems.append("redirectUrl.waitingTime must be a non-negative integer")
            if redirect.get("url") is not None and not isinstance(redirect.get("url"), str):
                problems.append("redirectUrl.url must be a string")
    return problems


# ---------------------------------------------------------------- the integrations API


def _user_url(request: HttpRequest, onboarding: Onboarding) -> str:
    return request.build_absolute_uri(
        reverse("finwave_sandbox:onboarding-page", args=[onboarding.id])
    )


@api("/integrations", ("POST",), write=True)
def create_integration(ctx: Context) -> Result:
    """POST /integrations: a new onboarding, or the existing one of this customId."""
    body = _json_body(ctx.request)
    problems = _validate_creation(body)
    if problems:
        raise ApiError(400, problems)
    onboarding, created = services.onboarding_request(ctx.account, body)
    started = onboarding.status != Onboarding.Status.CREATED
    answer = {
        "onboardingId": onboarding.id,
        "url": None if started else _user_url(ctx.request, onboarding),
        "status": onboarding.status,
    }
    if not created:
        return Result(200, answer, outcome=ReceivedCall.Outcome.REPLAY)
    # The document: CREATED is sent "when the URL is fetched from POST /integrations".
    pk = onboarding.pk
    return Result(201, answer, after=[lambda: services.notify(Onboarding.objects.get(pk=pk))])


@api("/integrations/{onboarding_id}/result", ("GET",))
def integration_result(ctx: Context, onboarding_id: str) -> Result:
    """GET /integrations/:onboardingId/result"""
    return Result(200, _onboarding(ctx, onboarding_id).as_result())


@api("/integrations/{onboarding_id}/evidences", ("GET", "POST"))
def integration_evidences(ctx: Context, onboarding_id: str) -> Result:
    """/integrations/:onboardingId/evidences: the files as one ZIP (GET or POST)."""
    onboarding = _onboarding(ctx, onboarding_id)
    return Result(
        200,
        {},
        content=services.evidence_archive(onboarding),
        content_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{onboarding.id}-evidences.zip"'},
    )


@csrf_exempt
def unknown_endpoint(request: HttpRequest, rest: str) -> HttpResponse:
    """Any other path under /management: the 404 error body; writes are logged."""
    path = f"/{rest}"
    result = Result(404, error_body(404, f"Cannot {request.method} {BASE_PATH}{path}"))
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        # e.g. a decision someone tried to write back: the provider heard it and refused
        _log_call(request, path, _account_for(request), ReceivedCall.Outcome.REJECTED, result)
    return JsonResponse(result.body, status=404)


# ---------------------------------------------------------------- control endpoints


def _control_account(data: dict[str, Any]) -> Account:
    return account_by(Account, "client_token", data.get("client_token"), noun="client")


def _account_dict(account: Account) -> dict[str, Any]:
    return {
        "client_token": account.client_token,
        "name": account.name,
        "default_webhook": account.masked_default_webhook,
        "faults": faults.faults_dict(account),
    }


def _onboarding_dict(request: HttpRequest, onboarding: Onboarding) -> dict[str, Any]:
    return {
        "onboarding_id": onboarding.id,
        "custom_id": onboarding.custom_id,
        "scenario": onboarding.scenario,
        "status": onboarding.status,
        "archive": onboarding.archive,
        "url": _user_url(request, onboarding),
    }


def _notification_dict(notification: Notification) -> dict[str, Any]:
    return {
        "onboarding_id": notification.onboarding_id,
        "result": notification.result,
        "payload": notification.payload,
        "response_status": notification.response_status,
        "error": notification.error,
    }


@control(("POST",))
def control_account(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """{"client_token", "name"?} -> the client (created when new)."""
    account = services.account_get_or_create(
        optional(data, "client_token", str) or "", name=optional(data, "name", str) or ""
    )
    return _account_dict(account)


@control(("POST",))
def control_webhook(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """{"client_token", "url"}: the webhook of onboardings the sandbox creates itself."""
    account = _control_account(data)
    services.account_configure_webhook(account, optional(data, "url", str) or "")
    return _account_dict(account)


control_faults = faults_view(
    _control_account,
    _account_dict,
    """{"client_token", "fail_next"?, "down"?, "delay_ms"?, "retry_after"?, "clear"?}""",
)


@control(("POST",))
def control_create_onboarding(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """{"client_token", "scenario", "custom_id"?, "seed"?, "archive"?, "with_images"?,
    "notify"?} -> the onboarding (and the webhook sent, with notify)."""
    account = _control_account(data)
    scenario = data.get("scenario")
    if scenario not in scenarios.SCENARIOS:
        raise ControlError(f"scenario must be one of {', '.join(scenarios.SCENARIOS)}")
    custom_id = optional(data, "custom_id", str)
    if custom_id and Onboarding.objects.filter(account=account, custom_id=custom_id).exists():
        raise ControlError("this client already has an onboarding with this custom_id", 409)
    onboarding = services.onboarding_create(
        account,
        scenario,
        custom_id=custom_id,
        seed=optional(data, "seed", int),
        archive=optional(data, "archive", str) or "",
        with_images=data.get("with_images", True) is not False,
    )
    answer = _onboarding_dict(request, onboarding)
    if data.get("notify"):
        answer["notification"] = _notification_dict(services.notify(onboarding))
    return answer


@control(("POST",))
def control_advance(
    request: HttpRequest, data: dict[str, Any], onboarding_id: str
) -> dict[str, Any]:
    """{"to": INPROCESS|FINISHED|INCOMPLETED|TIMEOUT, "scenario"?, "notify"? (default true)}:
    the user moves on; the webhook of the new status is sent."""
    onboarding = get_object_or_404(Onboarding.objects.select_related("account"), pk=onboarding_id)
    to = data.get("to")
    if not isinstance(to, str):
        raise ControlError("to is required: INPROCESS, FINISHED, INCOMPLETED or TIMEOUT")
    scenario = optional(data, "scenario", str)
    if scenario is not None and scenario not in scenarios.SCENARIOS:
        raise ControlError(f"scenario must be one of {', '.join(scenarios.SCENARIOS)}")
    onboarding = services.onboarding_advance(
        onboarding, to, scenario=scenario, with_images=data.get("with_images", True) is not False
    )
    answer = _onboarding_dict(request, onboarding)
    if data.get("notify", True):
        answer["notification"] = _notification_dict(services.notify(onboarding))
    return answer


@control(("POST",))
def control_notify(
    request: HttpRequest, data: dict[str, Any], onboarding_id: str
) -> dict[str, Any]:
    """Send the webhook of one onboarding's current status now."""
    onboarding = get_object_or_404(Onboarding.objects.select_related("account"), pk=onboarding_id)
    return _notification_dict(services.notify(onboarding))


control_received = received_view(
    ReceivedCall,
    _control_account,
    services.call_as_dict,
    account_param="client_token",
    subject_param="onboardingId",
)


# ---------------------------------------------------------------- pages


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """What the provider holds and heard: clients, onboardings, calls, webhooks."""
    require_enabled()
    return render(
        request,
        "finwave_sandbox/index.html",
        {
            "accounts": Account.objects.order_by("created_at"),
            "onboardings": Onboarding.objects.select_related("account")
            .prefetch_related("files")
            .order_by("-updated_at", "-id")[:200],
            "calls": services.received_calls()[:PAGE_LOG_LIMIT],
            "notifications": Notification.objects.select_related("account")[:50],
        },
    )


@require_GET
def onboarding_page(request: HttpRequest, onboarding_id: str) -> HttpResponse:
    """The ``url`` handed out by POST /integrations: where the user would onboard."""
    require_enabled()
    onboarding = get_object_or_404(Onboarding, pk=onboarding_id)
    return render(request, "finwave_sandbox/onboarding.html", {"onboarding": onboarding})


@require_GET
def evidence_file(request: HttpRequest, onboarding_id: str, role: str) -> HttpResponse:
    """One stored file, for the page's links."""
    require_enabled()
    stored = get_object_or_404(EvidenceFile, onboarding_id=onboarding_id, role=role)
    return HttpResponse(bytes(stored.content), content_type=stored.content_type)
