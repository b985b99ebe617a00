"""HTTP client of the Flonk KYC REST API.

Follows ``docs/providers/flonk-kyc-sdk-1.9.1.txt``: the diff of Flonk's server SDK type
declarations 1.8.2 → 1.9.1. It gives the DTOs (sessions, verification, proof of
address, webhook events), the error codes (``FlonkErrorCode``), the ``Flonk-Version``
header, the ``Idempotency-Key`` of creates, and full-jitter retries on 429/5xx/network
errors; it gives no URL paths except ``/kyc/poa-status/:jobId`` (the widget's).

Credentials (the keys of ``ProviderConnection.credentials``):

- ``secret_key``: the project's secret key. ``sk_test_…`` is test mode (sessions are
  marked ``test_mode``), ``sk_live_…`` live mode; any other key is refused before a
  call is made (a publishable ``pk_…`` key cannot call server endpoints).

Options (``ProviderConnection.options``, not secret):

- ``api_version``: the ``Flonk-Version`` to pin; default ``1.9.1``, the SDK this follows.
- ``accept_legacy_signature``: read by the adapter's webhook verification.

Choices made where the document is silent (the sandbox in ``providers/flonk/sandbox``
implements exactly these):

(a) Paths and auth. Every path below is relative to the connection's base URL and
    starts with ``/v1``. Every call sends ``Authorization: Bearer <secret key>`` and
    ``Flonk-Version``; a version Flonk does not know is answered 400
    ``validation_error``. JSON bodies are camelCase like the SDK's DTOs, except the
    verification object, which is the webhooks' snake_case ``data.object``.

        GET  /v1/sessions?updatedSince=&limit=&cursor=     sync listing, see (c)
        POST /v1/sessions                                  CreateSessionDto (and
                                                           CreateSessionRequestDto's
                                                           optional documentType) ->
                                                           201 SessionResponseDto
        GET  /v1/sessions/{id}                             SessionDetailsDto
        GET  /v1/sessions/{id}/verification                WebhookEventObjectDto, every
                                                           field Flonk has; 409
                                                           session_invalid_state while
                                                           the session has none
        GET  /v1/sessions/{id}/poa                         PoaStatusResponseDto plus
                                                           PoaUploadResponseDto's
                                                           confidenceBreakdown; status
                                                           "not_found" without a PoA
        GET  /v1/sessions/{id}/images                      {"data": [{"type",
                                                           "contentType", "size",
                                                           "createdAt"}]}
        GET  /v1/sessions/{id}/images/{type}               the image's bytes
        POST /v1/sessions/{id}/verification/status         UpdateStatusDto, see (d)
        POST /v1/sessions/{id}/notes                       AddNoteDto, see (d)
        POST /v1/sessions/{id}/poa/status                  PoA decision, see (d)

    Image types are UploadDocumentImageDto's ``front``, ``back`` and ``main`` (a
    passport's data page), ``face`` (UploadFaceImageDto) and ``poa``
    (UploadPoaImageDto).

(b) Error body. NestJS-shaped, with the stable code the SDK documents:
    ``{"statusCode": 404, "code": "session_not_found", "message": "…", "error":
    "Not Found"}``; ``message`` is a list of strings for ``validation_error`` (one per
    invalid field). Codes map to kycdash's errors: ``authentication_error`` and
    ``invalid_publishable_key`` -> ProviderAuthError; ``session_not_found`` ->
    ProviderNotFound; ``session_expired``, ``session_invalid_state``,
    ``validation_error`` and codes Flonk adds later on a 4xx -> ProviderRejected (404 ->
    ProviderNotFound, 401/403 -> ProviderAuthError); ``rate_limited``, ``api_error``
    and any 429/5xx -> ProviderUnavailable. The message is ``"<code>: <message>"`` and
    the code is kept on the error as ``.code`` (``error_code(exc)``).

(c) Listing for sync. ``GET /v1/sessions`` answers ``{"data": [SessionDetailsDto…],
    "hasMore": bool, "nextCursor": str | null}`` ordered by ``updatedAt`` then ``id``,
    holding sessions updated at or after ``updatedSince`` (ISO 8601), at most ``limit``
    (1..100, default 20). The cursor is opaque and keyset-based: a session updated
    during a walk moves behind the cursor and is met again before the walk ends,
    never skipped.

(d) Writes. ``verification/status`` takes ``{"status": "approved" | "rejected",
    "reason"?, "reviewedBy"?}``, answers the updated verification object, and makes
    Flonk send ``verification.status_changed`` (``previous_status``,
    ``rejection_reason``, ``reviewed_by``). ``poa/status`` takes the same body with the
    PoA statuses ``approved`` / ``rejected``, answers the PoA read, and makes Flonk
    send ``verification.updated`` (``updated_by``). ``notes`` takes ``{"content",
    "author"?}`` (content 1..5000 characters) and answers 201 ``{"id", "content",
    "author", "createdAt"}``. Writing a status before the session has a verification,
    or a PoA decision without a PoA, is 409 ``session_invalid_state``; writing to an
    expired session is 410 ``session_expired``.

(e) Verification statuses (``status`` of the verification object, a plain string in
    the document): ``processing``, ``approved``, ``rejected``, ``manual_review`` (Flonk's
    automated check asks for a person), ``failed``.

(f) Idempotency. Every POST carries an ``Idempotency-Key`` (1..255 characters; the
    sandbox refuses a POST without one, 400 ``validation_error``), the same on every
    retry. Keys are scoped to the secret key; a repeated key gets the first answer
    again with ``Idempotent-Replayed: true`` and is not applied twice; a key reused
    for a different request is 422 ``idempotency_error``. A write-back sends its
    decision with the WriteBackRequest's key and its note with ``<key>:note``.

(g) Ids. ``data.object.id`` of a webhook event and ``id`` of the verification object are
    the session id (a session has one verification; its attempts are
    ``verificationAttemptId``); ``duplicate_verification.previous_verification_id`` is
    therefore the earlier session's id. ``reuse_source.original_attempt_id`` is an
    attempt id of another project and is kept as such.

Retries, the error mapping and logging are ``providers/http.py``'s, with Flonk's codes
from (b): ``rate_limited`` and ``api_error`` are retried like 429/5xx.

Logs carry the method, the route with ``{id}`` in place of session ids, the status and
the time, never a session id, a query string, a body or a credential; successes are
logged at DEBUG.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Unpack
from urllib.parse import quote

import httpx

from providers.base import (
    ProviderAuthError,
    ProviderError,
    ProviderNotFound,
    ProviderRejected,
    ProviderUnavailable,
)
from providers.http import (
    JsonObject,
    ProviderHTTPClient,
    TransportOptions,
    is_retryable_status,
    json_or_none,
    reason_phrase,
)

if TYPE_CHECKING:
    from providers.models import ProviderConnection

logger = logging.getLogger(__name__)

PROVIDER: Final = "Flonk"
API_VERSION: Final = "1.9.1"  # the SDK version the document describes
API_PREFIX: Final = "/v1"
TEST_KEY_PREFIX: Final = "sk_test_"
LIVE_KEY_PREFIX: Final = "sk_live_"
LIST_PAGE_SIZE: Final = 100
MAX_LIST_PAGES: Final = 100_000  # a guard against a listing that never ends
NOTE_MAX_CHARS: Final = 5000
REASON_MAX_CHARS: Final = 500

IMAGE_TYPES: Final = ("front", "back", "main", "face", "poa")
DECISION_STATUSES: Final = ("approved", "rejected")

# FlonkErrorCode -> kycdash's error type (4xx answers); 429/5xx are always retried.
CODE_ERRORS: Final[dict[str, type[ProviderError]]] = {
    "authentication_error": ProviderAuthError,
    "invalid_publishable_key": ProviderAuthError,
    "session_not_found": ProviderNotFound,
    "session_expired": ProviderRejected,
    "session_invalid_state": ProviderRejected,
    "validation_error": ProviderRejected,
    "rate_limited": ProviderUnavailable,
    "api_error": ProviderUnavailable,
}
RETRYABLE_CODES: Final = frozenset({"rate_limited", "api_error"})


@dataclass(frozen=True)
class SessionSummary:
    """One row of the session listing."""

    session_id: str
    status: str
    updated_at: dt.datetime | None


@dataclass(frozen=True)
class SessionPage:
    """One page of the session listing."""

    sessions: tuple[SessionSummary, ...]
    rows: tuple[JsonObject, ...]
    has_more: bool
    next_cursor: str | None


@dataclass(frozen=True)
class ImageInfo:
    """One image a session holds, as the image listing describes it."""

    image_type: str
    content_type: str
    size: int | None


@dataclass(frozen=True)
class WriteResponse:
    """The answer to a write call: HTTP status, JSON body, and whether it was a replay."""

    status_code: int
    body: JsonObject
    replayed: bool = False


def parse_datetime(value: Any) -> dt.datetime | None:
    """Flonk's ISO 8601 timestamps (``2024-10-25T14:30:00.000Z``) as aware datetimes."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = f"{text[:-1]}+00:00"
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def format_datetime(value: dt.datetime) -> str:
    """An aware datetime as Flonk writes it: UTC, milliseconds, ``Z``."""
    utc = value.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def is_test_key(secret_key: str) -> bool:
    return secret_key.startswith(TEST_KEY_PREFIX)


def error_code(error: BaseException) -> str:
    """The FlonkErrorCode a ProviderError of this client carries ("" if none)."""
    code = getattr(error, "code", "")
    return code if isinstance(code, str) else ""


def _error_parts(response: httpx.Response) -> tuple[str, str]:
    """(code, message) of a Flonk error body; the HTTP reason when there is no message."""
    body = json_or_none(response)
    code, message = "", ""
    if isinstance(body, dict):
        # Tolerate a Stripe-style nested {"error": {...}} as well as the flat body.
        source = body["error"] if isinstance(body.get("error"), dict) else body
        if isinstance(source.get("code"), str):
            code = source["code"].strip()[:100]
        raw = source.get("message")
        if isinstance(raw, list):
            message = "; ".join(str(part) for part in raw if str(part).strip())
        elif isinstance(raw, str):
            message = raw.strip()
        if not message and isinstance(source.get("error"), str):
            message = source["error"].strip()
    if not message:
        message = reason_phrase(response.status_code)
    return code, message[:1000]


def _session_path(session_id: str, *rest: str) -> str:
    if not isinstance(session_id, str) or not session_id.strip():
        raise ProviderRejected("a session id is required", provider=PROVIDER)
    # Percent-encode the whole id: nothing in it may become a path separator.
    return "/".join((API_PREFIX, "sessions", quote(session_id.strip(), safe=""), *rest))


def _route(*rest: str) -> str:
    """The path as logged: ``{id}`` in place of the session id."""
    return "/".join((API_PREFIX, "sessions", "{id}", *rest))


class FlonkClient(ProviderHTTPClient):
    """Typed calls to the Flonk KYC API; one method per endpoint kycdash uses."""

    provider = PROVIDER
    log_name = "flonk"
    _logger = logger

    def __init__(
        self,
        base_url: str,
        *,
        secret_key: str,
        api_version: str = API_VERSION,
        **options: Unpack[TransportOptions],
    ):
        if not secret_key:
            raise ProviderAuthError(
                "the connection has no secret_key credential", provider=PROVIDER
            )
        if not secret_key.startswith((TEST_KEY_PREFIX, LIVE_KEY_PREFIX)):
            # Never echo the key itself: only what kind it looks like.
            raise ProviderAuthError(
                "secret_key must be a Flonk secret key (sk_test_… or sk_live_…)",
                provider=PROVIDER,
            )
        self.test_mode = is_test_key(secret_key)
        self.api_version = api_version or API_VERSION
        super().__init__(
            base_url,
            headers={
                "Authorization": f"Bearer {secret_key}",
                "Flonk-Version": self.api_version,
                "Accept": "application/json",
                "User-Agent": "kycdash-flonk/1",
            },
            **options,
        )

    @classmethod
    def connection_arguments(cls, connection: ProviderConnection) -> dict[str, Any]:
        credentials = connection.credentials or {}
        version = (connection.options or {}).get("api_version")
        return {
            "secret_key": str(credentials.get("secret_key") or ""),
            "api_version": version if isinstance(version, str) and version else API_VERSION,
        }

    # ------------------------------------------------------------ transport

    def _error(self, answer: httpx.Response) -> ProviderError:
        """Choice (b): the FlonkErrorCode decides before the status; kept as ``.code``."""
        code, message = _error_parts(answer)
        status = answer.status_code
        text = f"{code}: {message}" if code else message
        if code in RETRYABLE_CODES:
            error: ProviderError = ProviderUnavailable(text, status_code=status, provider=PROVIDER)
        elif code in CODE_ERRORS and not is_retryable_status(status):
            error = CODE_ERRORS[code](text, status_code=status, provider=PROVIDER)
        else:
            error = self._status_error(status, text)
        error.code = code  # type: ignore[attr-defined]  # the API's stable code, for callers
        return error

    def _get(self, path: str, *, route: str, params: Mapping[str, Any] | None = None) -> JsonObject:
        return self._json(self._request("GET", path, route=route, params=params))

    def _post(
        self, path: str, body: JsonObject, *, route: str, idempotency_key: str | None
    ) -> WriteResponse:
        # One key for every retry of this call: that is what makes the retries safe.
        key = idempotency_key or str(uuid.uuid4())
        response = self._request("POST", path, route=route, json=body, idempotency_key=key)
        return WriteResponse(
            response.status_code,
            self._json(response),
            replayed=response.headers.get("Idempotent-Replayed", "").lower() == "true",
        )

    # ------------------------------------------------------------ reads

    def list_sessions(
        self,
        *,
        updated_since: dt.datetime | None = None,
        limit: int = LIST_PAGE_SIZE,
        cursor: str | None = None,
    ) -> SessionPage:
        """One page of GET /v1/sessions (choice (c) above)."""
        params: dict[str, Any] = {"limit": limit}
        if updated_since is not None:
            params["updatedSince"] = format_datetime(updated_since)
        if cursor:
            params["cursor"] = cursor
        route = f"{API_PREFIX}/sessions"
        body = self._get(route, route=route, params=params)
        rows = body.get("data")
        if not isinstance(rows, list):
            raise ProviderError(
                "the session listing has no data array", status_code=200, provider=PROVIDER
            )
        sessions, kept = [], []
        for row in rows:
            if not isinstance(row, dict) or not isinstance(row.get("id"), str) or not row["id"]:
                logger.warning("flonk listing: skipped a row without an id")
                continue
            kept.append(row)
            sessions.append(
                SessionSummary(
                    session_id=row["id"],
                    status=str(row.get("status") or ""),
                    updated_at=parse_datetime(row.get("updatedAt")),
                )
            )
        next_cursor = body.get("nextCursor")
        return SessionPage(
            sessions=tuple(sessions),
            rows=tuple(kept),
            has_more=body.get("hasMore") is True,
            next_cursor=next_cursor if isinstance(next_cursor, str) and next_cursor else None,
        )

    def iter_sessions(
        self, *, updated_since: dt.datetime | None = None, limit: int = LIST_PAGE_SIZE
    ) -> Iterator[SessionSummary]:
        """Every session updated at or after ``updated_since``, all pages, oldest first."""
        cursor: str | None = None
        seen_cursors: set[str] = set()
        for _ in range(MAX_LIST_PAGES):
            page = self.list_sessions(updated_since=updated_since, limit=limit, cursor=cursor)
            yield from page.sessions
            if not page.has_more or not page.next_cursor or page.next_cursor in seen_cursors:
                return
            seen_cursors.add(page.next_cursor)
            cursor = page.next_cursor

    def get_session(self, session_id: str) -> JsonObject:
        """GET /v1/sessions/{id} -> SessionDetailsDto."""
        return self._get(_session_path(session_id), route=_route())

    def get_verification(self, session_id: str) -> JsonObject | None:
        """GET /v1/sessions/{id}/verification; None while the session has no verification."""
        try:
            return self._get(
                _session_path(session_id, "verification"), route=_route("verification")
            )
        except ProviderRejected as exc:
            if error_code(exc) == "session_invalid_state":
                return None
            raise

    def get_poa(self, session_id: str) -> JsonObject:
        """GET /v1/sessions/{id}/poa -> the PoA read (``status`` "not_found" without one)."""
        return self._get(_session_path(session_id, "poa"), route=_route("poa"))

    def list_images(self, session_id: str) -> tuple[ImageInfo, ...]:
        """GET /v1/sessions/{id}/images -> which images the session holds."""
        body = self._get(_session_path(session_id, "images"), route=_route("images"))
        rows = body.get("data")
        if not isinstance(rows, list):
            raise ProviderError(
                "the image listing has no data array", status_code=200, provider=PROVIDER
            )
        images = []
        for row in rows:
            if not isinstance(row, dict) or not isinstance(row.get("type"), str):
                continue
            size = row.get("size")
            images.append(
                ImageInfo(
                    image_type=row["type"],
                    content_type=str(row.get("contentType") or ""),
                    size=size if isinstance(size, int) and not isinstance(size, bool) else None,
                )
            )
        return tuple(images)

    def download_image(self, session_id: str, image_type: str) -> bytes:
        """GET /v1/sessions/{id}/images/{type} -> the image's bytes."""
        if image_type not in IMAGE_TYPES:
            raise ValueError(f"image type must be one of {IMAGE_TYPES}")
        response = self._request(
            "GET",
            _session_path(session_id, "images", image_type),
            route=_route("images", image_type),
        )
        return response.content

    # ------------------------------------------------------------ writes

    def create_session(
        self,
        *,
        idempotency_key: str | None,
        document_type: str | None = None,
        client_metadata: Mapping[str, Any] | None = None,
        server_metadata: Mapping[str, Any] | None = None,
        expiry_minutes: int | None = None,
        language: str | None = None,
    ) -> WriteResponse:
        """POST /v1/sessions (CreateSessionDto) -> 201 SessionResponseDto."""
        body: JsonObject = {}
        if document_type:
            body["documentType"] = document_type
        if client_metadata:
            body["clientMetadata"] = dict(client_metadata)
        if server_metadata:
            body["serverMetadata"] = dict(server_metadata)
        if expiry_minutes is not None:
            body["expiryMinutes"] = expiry_minutes
        if language:
            body["language"] = language
        route = f"{API_PREFIX}/sessions"
        return self._post(route, body, route=route, idempotency_key=idempotency_key)

    def _decision_body(self, status: str, reason: str, reviewed_by: str) -> JsonObject:
        if status not in DECISION_STATUSES:
            raise ValueError(f"status must be one of {DECISION_STATUSES}")
        body: JsonObject = {"status": status}
        if reason:
            body["reason"] = reason[:REASON_MAX_CHARS]
        if reviewed_by:
            body["reviewedBy"] = reviewed_by[:200]
        return body

    def update_verification_status(
        self,
        session_id: str,
        status: str,
        *,
        reason: str = "",
        reviewed_by: str = "",
        idempotency_key: str | None,
    ) -> WriteResponse:
        """POST /v1/sessions/{id}/verification/status: approve or reject the verification."""
        return self._post(
            _session_path(session_id, "verification", "status"),
            self._decision_body(status, reason, reviewed_by),
            route=_route("verification", "status"),
            idempotency_key=idempotency_key,
        )

    def update_poa_status(
        self,
        session_id: str,
        status: str,
        *,
        reason: str = "",
        reviewed_by: str = "",
        idempotency_key: str | None,
    ) -> WriteResponse:
        """POST /v1/sessions/{id}/poa/status: approve or reject the proof of address."""
        return self._post(
            _session_path(session_id, "poa", "status"),
            self._decision_body(status, reason, reviewed_by),
            route=_route("poa", "status"),
            idempotency_key=idempotency_key,
        )

    def add_note(
        self, session_id: str, content: str, *, author: str = "", idempotency_key: str | None
    ) -> WriteResponse:
        """POST /v1/sessions/{id}/notes (AddNoteDto)."""
        text = content.strip()[:NOTE_MAX_CHARS]
        if not text:
            raise ValueError("a note needs content")
        body: JsonObject = {"content": text}
        if author:
            body["author"] = author[:200]
        return self._post(
            _session_path(session_id, "notes"),
            body,
            route=_route("notes"),
            idempotency_key=idempotency_key,
        )
