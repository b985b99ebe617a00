"""Template helpers of the review screens: SLA clocks, times, badges and PII masks.

Every status is shown as text *and* colour (a tone class), never colour alone.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString

from reviews.selectors import provider_label as _provider_label

register = template.Library()

# value -> tone (a CSS class suffix: ok green, bad red, warn amber, info blue, muted grey)
TONES: dict[str, str] = {
    # session status
    "approved": "ok",
    "rejected": "bad",
    "needs_review": "warn",
    "in_progress": "info",
    "pending": "muted",
    "expired": "muted",
    "failed": "bad",
    # task state
    "open": "muted",
    "claimed": "info",
    "awaiting_second": "warn",
    "done": "ok",
    # checks
    "ok": "ok",
    "warn": "warn",
    "fail": "bad",
    "unknown": "muted",
    "manual": "warn",
    # write-back
    "sent": "ok",
    "not_supported": "muted",
    # decisions
    "approve": "ok",
    "reject": "bad",
    "resolve_false_positive": "ok",
    "confirm_fraud": "bad",
    "proposed": "warn",
    "final": "ok",
    "returned": "muted",
    # antifraud
    "passed": "ok",
    "not_executed": "muted",
}

CHECK_LABELS = {
    "ok": "OK",
    "warn": "WARN",
    "fail": "FAIL",
    "unknown": "UNKNOWN",
    "manual": "MANUAL",
}

UTC_FORMAT = "Y-m-d H:i:s \\U\\T\\C"


def relative_span(seconds: float) -> str:
    """A short human span: '35 min', '2 h 10 min', '5 h', '3 d'."""
    minutes = int(abs(seconds) // 60)
    if minutes < 1:
        return "< 1 min"
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    # Close to the deadline the minutes matter; further out they are noise.
    if hours < 6:
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    if hours < 48:
        return f"{hours} h"
    return f"{hours // 24} d"


def _utc_title(value: dt.datetime) -> str:
    return date_format(value.astimezone(dt.UTC), UTC_FORMAT)


@register.simple_tag
def sla(due: dt.datetime | None, done: bool = False, now: dt.datetime | None = None) -> str:
    """The SLA clock: 'due in 2 h' or 'overdue 35 min' (red), exact UTC on hover."""
    if due is None:
        return "—"
    now = now or timezone.now()
    delta = (due - now).total_seconds()
    if done:
        text, tone = f"was due {date_format(timezone.localtime(due), 'j M H:i')}", "done"
    elif delta < 0:
        text, tone = f"overdue {relative_span(delta)}", "overdue"
    else:
        text, tone = f"due in {relative_span(delta)}", "soon" if delta < 3600 else "ok"
    return format_html(
        '<time class="sla sla--{}" datetime="{}" title="{}">{}</time>',
        tone,
        due.isoformat(),
        _utc_title(due),
        text,
    )


@register.simple_tag
def when(value: dt.datetime | None, fmt: str = "j M Y H:i") -> str:
    """A time in the user's time zone, the exact UTC time on hover."""
    if value is None:
        return "—"
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        value.isoformat(),
        _utc_title(value),
        date_format(timezone.localtime(value), fmt),
    )


@register.simple_tag
def ago(value: dt.datetime | None) -> str:
    """'35 min ago' with the local and UTC time on hover (for 'opened' columns)."""
    if value is None:
        return "—"
    delta = (timezone.now() - value).total_seconds()
    text = f"{relative_span(delta)} ago" if delta >= 0 else f"in {relative_span(delta)}"
    local = date_format(timezone.localtime(value), "j M Y H:i T")
    return format_html(
        '<time datetime="{}" title="{} · {}">{}</time>',
        value.isoformat(),
        local,
        _utc_title(value),
        text,
    )


@register.filter
def tone(value: Any) -> str:
    return TONES.get(str(value), "muted")


@register.simple_tag
def badge(value: Any, label: Any = "", title: str = "") -> SafeString:
    """A status badge: colour from the value, words from the label (or the value)."""
    text = label or str(value).replace("_", " ")
    if title:
        return format_html(
            '<span class="badge badge--{}" title="{}">{}</span>', tone(value), title, text
        )
    return format_html('<span class="badge badge--{}">{}</span>', tone(value), text)


@register.simple_tag
def check_badge(status: str, wording: str = "") -> SafeString:
    label = CHECK_LABELS.get(status, str(status).upper() or "UNKNOWN")
    title = f"Provider: {wording}" if wording else "No wording from the provider"
    return format_html(
        '<span class="badge badge--{}" title="{}">{}</span>', tone(status), title, label
    )


@register.filter
def provider_label(name: str) -> str:
    return _provider_label(name)


@register.filter
def percent(value: Any) -> str:
    """A 0..1 confidence as '87 %'; blank when there is none."""
    if value is None or value == "":
        return ""
    try:
        return f"{float(value) * 100:.0f} %"
    except (TypeError, ValueError):
        return ""


@register.filter
def confidence_tone(value: Any) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "muted"
    if number >= 0.85:
        return "ok"
    if number >= 0.5:
        return "warn"
    return "bad"


@register.filter
def mask(value: Any) -> str:
    """Hide a PII value but keep its shape: the last two characters of long values."""
    text = str(value or "")
    if not text:
        return ""
    if len(text) <= 4:
        return "•" * len(text)
    return "•" * (len(text) - 2) + text[-2:]


@register.filter
def as_json(value: Any) -> str:
    """Audit data as compact, stable JSON (what the hash chain covers), not Python repr."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
