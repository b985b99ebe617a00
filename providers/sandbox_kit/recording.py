"""The log of received write calls: what to keep of a request, and reading it back."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, Final

from django.core.exceptions import RequestDataTooBig
from django.db.models import QuerySet
from django.http import HttpRequest

from providers.sandbox_kit.models import ReceivedCall

LOGGED_STRING_LIMIT: Final = 200


def shorten(value: Any, key: str = "", *, masked: Iterable[str] = ()) -> Any:
    """A JSON value fit for the log: values under ``masked`` keys hidden, long strings
    (base64 images) cut down."""
    if key in masked and value:
        return "…"
    if isinstance(value, str) and len(value) > LOGGED_STRING_LIMIT:
        return f"{value[:40]}… ({len(value)} characters)"
    if isinstance(value, dict):
        return {k: shorten(v, k, masked=masked) for k, v in value.items()}
    if isinstance(value, list):
        return [shorten(v, masked=masked) for v in value]
    return value


def loggable_body(request: HttpRequest, *, masked: Iterable[str] = ()) -> Any:
    """The request's body as the log keeps it: JSON shortened, or what was unreadable."""
    try:
        raw = request.body
    except RequestDataTooBig:
        return {"unreadable": "request body too large"}
    if not raw.strip():
        return None
    try:
        return shorten(json.loads(raw), masked=masked)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {"unparsed": raw[:LOGGED_STRING_LIMIT].decode("utf-8", "replace")}


def recorded_headers(request: HttpRequest, names: Iterable[str]) -> dict[str, str]:
    """The request's headers among ``names`` (the ones a write-back test asserts on)."""
    return {name: request.headers[name] for name in names if name in request.headers}


def record_call(
    model: type[ReceivedCall],
    request: HttpRequest,
    *,
    path: str,
    account: Any,
    outcome: str,
    status: int,
    response_body: dict[str, Any] | None,
    headers: dict[str, str],
    body: Any = None,
    subject: str = "",
    **extra: Any,
) -> ReceivedCall:
    """Log one write call and its answer in the sandbox's ``model``.

    ``body`` defaults to ``loggable_body(request)``; the query string is kept when the
    model has a ``query`` field; ``extra`` sets further fields (``idempotency_key``).
    """
    fields: dict[str, Any] = {
        "account": account,
        "method": request.method or "",
        "path": path[:300],
        "headers": headers,
        "body": loggable_body(request) if body is None else body,
        "outcome": outcome,
        "response_status": status,
        "response_body": response_body or {},
        **extra,
    }
    if model.subject_field:
        limit = model._meta.get_field(model.subject_field).max_length
        fields[model.subject_field] = subject[:limit]
    if model.has_field("query"):
        fields["query"] = dict(request.GET.items())
    return model.objects.create(**fields)


def received_calls(
    model: type[ReceivedCall],
    *,
    account: Any = None,
    subject: str | None = None,
    path: str | None = None,
    outcome: str | None = None,
) -> QuerySet:
    """The write calls the sandbox heard, newest first, optionally filtered."""
    calls = model.objects.select_related("account").order_by("-received_at", "-id")
    if account is not None:
        calls = calls.filter(account=account)
    if subject is not None:
        calls = calls.filter(**{model.subject_field: subject})
    if path is not None:
        calls = calls.filter(path=path)
    if outcome is not None:
        calls = calls.filter(outcome=outcome)
    return calls


def call_as_dict(
    call: ReceivedCall, *, time_format: Callable[[Any], str] | None = None
) -> dict[str, Any]:
    """The JSON shape of one log entry (the ``_control/received`` endpoint)."""
    entry: dict[str, Any] = {
        "id": call.pk,
        "received_at": (time_format or (lambda at: at.isoformat()))(call.received_at),
        "method": call.method,
        "path": call.path,
    }
    if call.has_field("query"):
        entry["query"] = call.query
    entry["headers"] = call.headers
    entry["body"] = call.body
    if call.has_field("idempotency_key"):
        entry["idempotency_key"] = call.idempotency_key
    if call.subject_field:
        entry[call.subject_field] = call.subject_id
    entry["outcome"] = call.outcome
    entry["response_status"] = call.response_status
    entry["response_body"] = call.response_body
    return entry
