"""HTTP client of the LE-KO KYC API.

Follows ``shared/providers/leko-kyc-openapi.yaml`` (LE-KO's OpenAPI 3.0.3 document,
kept verbatim in this package as ``openapi.yaml``): every call carries
``Authorization: Bearer <JWT>`` and the required ``x-current-user-id`` header; errors
come back as ``{"errors": [{"code", "message", "endpoint", "requestId"}]}``.

Credentials (the keys of ``ProviderConnection.credentials``):

- ``token``: the JWT LE-KO issued to an admin user, sent as ``Authorization: Bearer``.
  It must carry LE-KO's admin role: kycdash lists every verification and writes the
  admin decision. A token pasted with its ``Bearer`` prefix is accepted.
- ``user_id``: the UUID of that admin user, sent as ``x-current-user-id`` (the
  document requires the header on every operation and types it ``format: uuid``).

Choices made where the document is silent (the sandbox in ``providers/leko/sandbox``
implements exactly these):

(a) Listing for sync. ``GET /verifications?number=<0-based page>&limit=100`` (the
    document's maximum), following ``total``: the walk ends after the page where
    ``(number + 1) * limit >= total``, or at an empty page. The document gives no
    order and no "updated since" filter, so the walk always covers every page and
    keeps the rows whose ``updatedAt`` is at or after ``since`` minus two minutes
    (the overlap absorbs clock skew between LE-KO and kycdash and the millisecond
    precision of timestamps; re-reading a session is harmless). Rows without a
    readable ``updatedAt`` are kept. A row that offset paging shows twice (rows
    moving while the walk runs) is yielded once. The sandbox lists newest
    ``updatedAt`` first, so a row updated during a walk can only be seen twice,
    never skipped, and the next walk catches it anyway.

(b) Evidence by ``fileKey``. The ``Verification`` schema declares no image keys and
    the document has no path to read images. kycdash reads
    ``avatarVerification.fileKey`` and ``passportVerification.fileKey`` (properties
    beyond the declared ones, which the schema allows; the document's own example
    carries undeclared ``confidence`` and ``matchScore`` the same way) and downloads
    the bytes with ``GET /files/{fileKey}`` (the key percent-encoded as a single path
    segment, the same two auth headers), answered with the image bytes and their
    ``Content-Type``. An unknown key is 404: the adapter treats it as "no such image".

(c) Error statuses the document does not list. Every error carries the ``Errors``
    body, with the codes of its ``Error.code`` enum: 401 ``unauthorized`` (missing,
    malformed or expired token), 403 ``forbidden`` (``x-current-user-id`` is not the
    token's subject, or a non-admin token on an admin call), 404 ``notFound``
    (unknown verification, file or path; an id that is not a UUID is the documented
    400 ``validation``), 405 ``validation``, 429 ``tooManyRequests``, 5xx
    ``internal``/``unexpected``; the documented 400 and 409 carry ``validation``. The
    message kycdash shows is ``errors[].message`` (several joined with "; ").

(d) The admin decision and its repeat. ``PUT /verifications/{id}/admin`` is not
    idempotent at LE-KO: once applied, the verification has left
    ``admin_review_required`` and the same call answers 409. An answer lost on the
    way back (a timeout after LE-KO applied it) would turn the outbox's retry into
    that 409. So on a 409 the adapter reads the verification again: when its
    ``adminApproval`` is exactly what was sent (``approved``, ``reason``, ``notes``,
    ``reviewerId``), the decision counts as delivered; otherwise the 409 stands as
    ``ProviderRejected`` with LE-KO's message, which the outbox marks failed at once.
    No ``Idempotency-Key`` header is sent: LE-KO documents none.

(e) Timestamps are RFC 3339 (``Z`` or an offset); a value without an offset is read
    as UTC.

(f) The operations kycdash does not call (creating a verification, the avatar and
    passport uploads, the passport-data correction, ``/verifications/status``) exist in
    the sandbox with the rules written at the top of ``sandbox/views.py`` and
    ``sandbox/services.py`` (who may call what, uploads processed at once).

Retries, the error mapping and logging are ``providers/http.py``'s (409 is a
``ProviderRejected`` like any other 4xx), with LE-KO's ``errors[].message`` as the
message.

Logs carry the method, the path template (``/verifications/{id}``, never the id, a
file key or the query string), the status and LE-KO's ``requestId``: no personal
data, no credentials. Successes are logged at DEBUG.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Unpack
from urllib.parse import quote

import httpx

from providers.base import ProviderAuthError, ProviderError
from providers.http import (
    JsonObject,
    ProviderHTTPClient,
    TransportOptions,
    json_or_none,
    reason_phrase,
)
from providers.leko.contract import NOTES_MAX_LENGTH, PAGE_LIMIT_MAX, REJECTION_REASONS

if TYPE_CHECKING:
    from providers.models import ProviderConnection

logger = logging.getLogger(__name__)

PROVIDER: Final = "LE-KO"
LIST_PAGE_SIZE: Final = PAGE_LIMIT_MAX
MAX_LIST_PAGES: Final = 100_000  # a guard against a listing that never ends
SYNC_OVERLAP: Final = dt.timedelta(minutes=2)  # choice (a)
USER_ID_HEADER: Final = "x-current-user-id"


@dataclass(frozen=True)
class VerificationPage:
    """One page of ``GET /verifications``."""

    verifications: tuple[JsonObject, ...]
    page: int
    limit: int
    count: int
    total: int

    @property
    def is_last(self) -> bool:
        return not self.verifications or (self.page + 1) * self.limit >= self.total


@dataclass(frozen=True)
class WriteResponse:
    """The answer to a write call: HTTP status and JSON body."""

    status_code: int
    body: JsonObject


def parse_datetime(value: Any) -> dt.datetime | None:
    """An RFC 3339 date-time as an aware datetime (UTC when it has no offset)."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def parse_date(value: Any) -> dt.date | None:
    """An RFC 3339 full-date (``YYYY-MM-DD``)."""
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        return None


def format_datetime(value: dt.datetime) -> str:
    """RFC 3339 in UTC with milliseconds and ``Z``, as LE-KO writes them."""
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _errors(response: httpx.Response) -> list[JsonObject]:
    body = json_or_none(response)
    errors = body.get("errors") if isinstance(body, dict) else None
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def error_message(response: httpx.Response) -> str:
    """LE-KO's ``errors[].message`` (joined), else the HTTP reason phrase."""
    messages = [
        e["message"].strip()
        for e in _errors(response)
        if isinstance(e.get("message"), str) and e["message"].strip()
    ]
    if messages:
        return "; ".join(messages)
    return reason_phrase(response.status_code)


def _request_id(response: httpx.Response) -> str:
    for error in _errors(response):
        if isinstance(error.get("requestId"), str):
            return error["requestId"][:80]
    return response.headers.get("x-request-id", "")[:80]


def _segment(value: str) -> str:
    """One path segment: an id or file key can never reach another path."""
    return quote(value, safe="")


class LekoClient(ProviderHTTPClient):
    """Typed calls to the LE-KO KYC API; one method per endpoint kycdash uses."""

    provider = PROVIDER
    log_name = "leko"
    _logger = logger

    def __init__(
        self,
        base_url: str,
        *,
        token: str,
        user_id: str,
        **options: Unpack[TransportOptions],
    ):
        words = token.split()
        if words and words[0].lower() == "bearer":  # pasted with its scheme
            words = words[1:]
        token = " ".join(words)
        if not token:
            raise ProviderAuthError("the connection has no token credential", provider=PROVIDER)
        try:
            user_id = str(uuid.UUID(user_id.strip()))
        except (AttributeError, ValueError):
            raise ProviderAuthError(
                "the connection's user_id credential is not a UUID", provider=PROVIDER
            ) from None
        self.user_id = user_id
        super().__init__(
            base_url,
            headers={
                "Authorization": f"Bearer {token}",
                USER_ID_HEADER: user_id,
                "Accept": "application/json",
                "User-Agent": "kycdash-leko/1",
            },
            **options,
        )

    @classmethod
    def connection_arguments(cls, connection: ProviderConnection) -> dict[str, Any]:
        credentials = connection.credentials or {}
        return {
            "token": str(credentials.get("token") or ""),
            "user_id": str(credentials.get("user_id") or ""),
        }

    # ------------------------------------------------------------ transport

    def _error_message(self, answer: httpx.Response) -> str:
        return error_message(answer)

    def _log_note(self, answer: httpx.Response) -> str:
        """A failed answer's line carries LE-KO's ``requestId`` (or ``-``)."""
        return f", requestId {_request_id(answer) or '-'}" if answer.status_code >= 400 else ""

    # ------------------------------------------------------------ reads

    def list_verifications(
        self, *, number: int = 0, limit: int = LIST_PAGE_SIZE, coach_id: str | None = None
    ) -> VerificationPage:
        """One page of ``GET /verifications?number=&limit=&coachId=``."""
        if not 1 <= limit <= PAGE_LIMIT_MAX:
            raise ValueError(f"limit must be between 1 and {PAGE_LIMIT_MAX}")
        params: dict[str, Any] = {"number": number, "limit": limit}
        if coach_id:
            params["coachId"] = coach_id
        body = self._json(self._request("GET", "/verifications", params=params))
        rows = body.get("data", [])
        if not isinstance(rows, list):
            raise ProviderError(
                "the verification listing's data is not an array",
                status_code=200,
                provider=PROVIDER,
            )
        verifications = []
        for row in rows:
            if not isinstance(row, dict) or not isinstance(row.get("id"), str) or not row["id"]:
                logger.warning("leko listing: skipped a row without an id")
                continue
            verifications.append(row)

        def number_field(key: str, default: int) -> int:
            value = body.get(key)
            return value if isinstance(value, int) and not isinstance(value, bool) else default

        page_limit = number_field("limit", limit)
        return VerificationPage(
            verifications=tuple(verifications),
            page=number_field("page", number),
            limit=page_limit if page_limit >= 1 else limit,
            count=number_field("count", len(rows)),
            total=number_field("total", 0),
        )

    def iter_verifications(self, *, limit: int = LIST_PAGE_SIZE) -> Iterator[JsonObject]:
        """Every row of the listing, page after page until ``total`` is reached."""
        for number in range(MAX_LIST_PAGES):
            page = self.list_verifications(number=number, limit=limit)
            yield from page.verifications
            if page.is_last:
                return

    def verification(self, verification_id: str) -> JsonObject:
        """``GET /verifications/{verificationId}``: the whole verification."""
        return self._json(
            self._request(
                "GET",
                f"/verifications/{_segment(verification_id)}",
                route="/verifications/{id}",
            )
        )

    def file(self, file_key: str) -> bytes:
        """``GET /files/{fileKey}`` (choice (b)): the image bytes of a file key."""
        response = self._request(
            "GET",
            f"/files/{_segment(file_key)}",
            route="/files/{fileKey}",
            headers={"Accept": "*/*"},
        )
        return response.content

    # ------------------------------------------------------------ writes

    def admin_decision(
        self,
        verification_id: str,
        *,
        approved: bool,
        reason: str | None = None,
        notes: str | None = None,
        reviewer_id: str | None = None,
    ) -> WriteResponse:
        """``PUT /verifications/{verificationId}/admin`` with an ``AdminApproval`` body."""
        body = admin_approval_body(
            approved=approved, reason=reason, notes=notes, reviewer_id=reviewer_id
        )
        response = self._request(
            "PUT",
            f"/verifications/{_segment(verification_id)}/admin",
            route="/verifications/{id}/admin",
            json=body,
        )
        return WriteResponse(response.status_code, self._json(response))


def admin_approval_body(
    *,
    approved: bool,
    reason: str | None = None,
    notes: str | None = None,
    reviewer_id: str | None = None,
) -> JsonObject:
    """An ``AdminApproval`` as the document defines it; ValueError for what it forbids."""
    if reason is not None and reason not in REJECTION_REASONS:
        raise ValueError(f"reason must be one of {', '.join(REJECTION_REASONS)}")
    if notes is not None and len(notes) > NOTES_MAX_LENGTH:
        raise ValueError(f"notes must be at most {NOTES_MAX_LENGTH} characters")
    body: JsonObject = {"approved": approved}
    if reason:
        body["reason"] = reason
    if notes:
        body["notes"] = notes
    if reviewer_id:
        body["reviewerId"] = reviewer_id
    return body
