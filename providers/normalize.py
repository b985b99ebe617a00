"""Small readers for vendor JSON: a value of the expected type, or an empty answer.

The adapters read payloads they do not control; these never raise on a missing key
or a value of the wrong type, they answer ``{}``, ``""`` or ``None`` instead.
Booleans are never taken as numbers (JSON's ``true`` is no 1).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

JsonObject = dict[str, Any]

_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def obj(data: Any, *path: str) -> JsonObject:
    """The JSON object at ``path`` in ``data``, or {} when anything is missing."""
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else {}


def text(value: Any) -> str:
    """A string stripped, a number as written by ``str``; "" for anything else."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float):
        return str(value)
    return ""


def number(value: Any) -> float | None:
    """A JSON number or numeric string as a float; None for booleans, NaN and the rest."""
    if isinstance(value, bool):
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return None if result != result else result  # NaN


def fraction(value: Any) -> float | None:
    """A number in 0..1 (a confidence, a probability); None when absent or out of range."""
    result = number(value)
    return result if result is not None and 0.0 <= result <= 1.0 else None


def score(value: Any) -> float | None:
    """A 0..100 score, clamped into that range; None when it is no number."""
    result = number(value)
    return None if result is None else min(100.0, max(0.0, result))


def iso_date(value: Any) -> dt.date | None:
    """The date at the start of an ISO date or date-time string; None when unreadable."""
    written = text(value)
    if not written:
        return None
    try:
        return dt.date.fromisoformat(written[:10])
    except ValueError:
        return None


def label(key: str) -> str:
    """A vendor's key as a label: ``faceRecognition`` and ``face_recognition`` ->
    ``Face recognition``."""
    words = _CAMEL_HUMP.sub(" ", key).replace("_", " ").split()
    return " ".join([words[0].capitalize(), *(w.lower() for w in words[1:])]) if words else key
