"""The vocabulary of LE-KO's own contract, read from ``providers/leko/openapi.yaml``.

The package keeps LE-KO's OpenAPI 3.0.3 document verbatim (a copy also lives in
``docs/providers/leko-kyc-openapi.yaml``). The enums and limits kycdash depends on
(statuses, steps, failure and rejection reasons, the notes length, the page limit)
are read from it here rather than retyped, so the client, the adapter and the
sandbox cannot drift from the document; the tests validate the client's requests
and the sandbox's answers against the same file.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, Final

import yaml

OPENAPI_PATH: Final = Path(__file__).with_name("openapi.yaml")

# The C loader when PyYAML has it: the document is read once per process.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def document() -> dict[str, Any]:
    """The parsed OpenAPI document."""
    with OPENAPI_PATH.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_Loader)  # noqa: S506 (a safe loader)


def schema(name: str) -> dict[str, Any]:
    """``components.schemas.<name>``."""
    return document()["components"]["schemas"][name]


def enum(name: str, prop: str | None = None) -> tuple[str, ...]:
    """The enum of schema ``name`` (or of its property ``prop``)."""
    node = schema(name)
    if prop is not None:
        node = node["properties"][prop]
    return tuple(node["enum"])


STATUSES: Final = enum("Status")
STEPS: Final = enum("VerificationStep")
FAILURE_REASONS: Final = enum("VerificationFailure", "reason")
REJECTION_REASONS: Final = enum("AdminApproval", "reason")
ERROR_CODES: Final = enum("Error", "code")
NOTES_MAX_LENGTH: Final[int] = schema("AdminApproval")["properties"]["notes"]["maxLength"]
CREATE_NOTES_MAX_LENGTH: Final[int] = schema("VerificationCreate")["properties"]["notes"][
    "maxLength"
]
PAGE_LIMIT_MAX: Final[int] = schema("Limit")["maximum"]
PAGE_LIMIT_DEFAULT: Final[int] = schema("Limit")["default"]
PASSPORT_FIELDS: Final = tuple(schema("PassportData")["required"])
