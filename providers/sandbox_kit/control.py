"""The sandboxes' JSON control endpoints (``_control/...``) and the guard of their pages."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from providers.sandbox_kit import faults, recording

if TYPE_CHECKING:
    from providers.sandbox_kit.models import ReceivedCall

Data = dict[str, Any]


class ControlError(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def require_enabled() -> None:
    """404 unless settings.SANDBOXES_ENABLED: a production deployment has no sandbox."""
    if not settings.SANDBOXES_ENABLED:
        raise Http404("sandboxes are disabled")


def control(methods: tuple[str, ...]):
    """A JSON control endpoint: CSRF-exempt, and only while sandboxes are enabled.

    ``view(request, data, *args, **kwargs) -> dict`` gets the JSON object POSTed; a
    ControlError, ValueError or TypeError is answered 400 (or the exception's
    ``status``) with ``{"error": message}``.
    """

    def decorate(view: Callable[..., Data]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            require_enabled()
            if request.method not in methods:
                return JsonResponse({"error": f"use {' or '.join(methods)}"}, status=405)
            try:
                data: Data = {}
                if request.method == "POST" and request.body.strip():
                    data = json.loads(request.body)
                    if not isinstance(data, dict):
                        raise ControlError("the body must be a JSON object")
                return JsonResponse(view(request, data, *args, **kwargs))
            except json.JSONDecodeError:
                return JsonResponse({"error": "malformed JSON"}, status=400)
            except (ControlError, ValueError, TypeError) as exc:
                status = getattr(exc, "status", 400)
                return JsonResponse({"error": str(exc)}, status=status)

        wrapper.__name__ = view.__name__
        wrapper.__doc__ = view.__doc__
        return wrapper

    return decorate


def optional(data: Data, key: str, kind: type) -> Any:
    """``data[key]`` when present and of ``kind`` (JSON's true is no integer), else None."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise ControlError(f"{key} must be of type {kind.__name__}")
    return value


def faults_view(
    account_for: Callable[[Data], Any], account_dict: Callable[[Any], Data], doc: str
) -> Callable[..., HttpResponse]:
    """The ``_control/faults`` endpoint: ``{<account>, "fail_next"?, "down"?,
    "delay_ms"?, "status"?, "retry_after"?, "clear"?}`` -> the account."""

    def control_faults(request: HttpRequest, data: Data) -> Data:
        account = account_for(data)
        if data.get("clear"):
            faults.clear_faults(account)
        faults.set_faults(
            account,
            fail_next=optional(data, "fail_next", int),
            down=optional(data, "down", bool),
            delay_ms=optional(data, "delay_ms", int),
            # only where the status of a fault is the account's to choose
            status=optional(data, "status", int) if hasattr(account, "fault_status") else None,
            retry_after=(
                optional(data, "retry_after", int) if "retry_after" in data else faults.UNSET
            ),
        )
        return account_dict(account)

    control_faults.__doc__ = doc
    return control(("POST",))(control_faults)


def account_by(model: type[Any], field: str, value: Any, *, noun: str = "account") -> Any:
    """The sandbox ``model`` row whose ``field`` is ``value``: a ControlError (400)
    without a value, (404) when no row has it."""
    if not isinstance(value, str) or not value:
        raise ControlError(f"{field} is required")
    account = model.objects.filter(**{field: value}).first()
    if account is None:
        raise ControlError(f"no sandbox {noun} with this {field}", status=404)
    return account


def received_view(
    model: type[ReceivedCall],
    account_for: Callable[[Data], Any],
    call_as_dict: Callable[[Any], Data],
    *,
    account_param: str,
    subject_param: str,
) -> Callable[..., HttpResponse]:
    """The ``_control/received`` endpoint: the log of received write calls, newest
    first, filtered by ``?<account_param>=&<subject_param>=&path=&outcome=``."""

    def control_received(request: HttpRequest, data: Data) -> Data:
        account = None
        if request.GET.get(account_param):
            account = account_for({account_param: request.GET[account_param]})
        calls = recording.received_calls(
            model,
            account=account,
            subject=request.GET.get(subject_param) or None,
            path=request.GET.get("path") or None,
            outcome=request.GET.get("outcome") or None,
        )[:500]
        entries = [call_as_dict(call) for call in calls]
        return {"count": len(entries), "calls": entries}

    control_received.__doc__ = (
        "The log of received write calls, newest first: "
        f"?{subject_param}=&{account_param}=&path=&outcome="
    )
    return control(("GET",))(control_received)
