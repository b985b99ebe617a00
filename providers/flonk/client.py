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

Retries: 429, 5xx, ``rate_limited``/``api_error``, timeouts and network errors are
retried up to ``settings.PROVIDER_MAX_RETRIES`` times with full-jitter exponential
backoff (``random.uniform(0, min(cap, base * 2**attempt))``, ``base`` =
``settings.PROVIDER_BACKOFF_BASE_SECONDS``, ``cap`` = 30 s), or after ``Retry-After``
when the answer has one; a ``Retry-After`` longer than the cap ends the call at once,
since waiting it out belongs to the caller's outbox rather than to a blocked worker.

Logs carry the method, the route with ``{id}`` in place of session ids, the status and
the time, never a session id, a query string, a body or a credential; successes are
logged at DEBUG.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import random
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

import httpx
from django.conf import settings

from providers.base import (
    ProviderAuthError,
    ProviderError,
    ProviderNotFound,
    ProviderRejected,
    ProviderUnavailable,
)

if TYPE_CHECKING:
    from providers.models import ProviderConnection

logger = logging.getLogger(__name__)

PROVIDER: Final = "Flonk"
API_VERSION: Final = "1.9.1"  # the SDK version the document describes
API_PREFIX: Final = "/v1"
TEST_KEY_PREFIX: Final = "sk_test_"
LIVE_KEY_PREFIX: Final = "sk_live_"
BACKOFF_CAP_SECONDS: Final = 30.0
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

JsonObject = dict[str, Any]


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


def _retry_after_seconds(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After", "").strip()
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def _error_parts(response: httpx.Response) -> tuple[str, str]:
    """(code, message) of a Flonk error body; the HTTP reason when there is no message."""
    try:
        body = response.json()
    except ValueError:
        body = None
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
        try:
            message = HTTPStatus(response.status_code).phrase
        except ValueError:
            message = f"HTTP {response.status_code}"
    return code, message[:1000]


def _is_retryable(status: int, code: str) -> bool:
    return status == 429 or status >= 500 or code in RETRYABLE_CODES


def _typed_error(status: int | None, code: str, message: str) -> ProviderError:
    if status is not None and _is_retryable(status, code):
        cls: type[ProviderError] = ProviderUnavailable
    elif code in CODE_ERRORS:
        cls = CODE_ERRORS[code]
    elif status in (401, 403):
        cls = ProviderAuthError
    elif status == 404:
        cls = ProviderNotFound
    else:
        cls = ProviderRejected
    error = cls(f"{code}: {message}" if code else message, status_code=status, provider=PROVIDER)
    error.code = code  # type: ignore[attr-defined]  # the API's stable code, for callers
    return error


def _session_path(session_id: str, *rest: str) -> str:
    if not isinstance(session_id, str) or not session_id.strip():
        raise ProviderRejected("a session id is required", provider=PROVIDER)
    # Percent-encode the whole id: nothing in it may become a path separator.
    return "/".join((API_PREFIX, "sessions", quote(session_id.strip(), safe=""), *rest))


def _route(*rest: str) -> str:
    """The path as logged: ``{id}`` in place of the session id."""
    return "/".join((API_PREFIX, "sessions", "{id}", *rest))


class FlonkClient:
    """Typed calls to the Flonk KYC API; one method per endpoint kycdash uses."""

    def __init__(
        self,
        base_url: str,
        *,
        secret_key: str,
        api_version: str = API_VERSION,
        timeout: float | None = None,
        max_retries: int | None = None,
        backoff_base: float | None = None,
        backoff_cap: float = BACKOFF_CAP_SECONDS,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
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
        self.max_retries = settings.PROVIDER_MAX_RETRIES if max_retries is None else max_retries
        self.backoff_base = (
            settings.PROVIDER_BACKOFF_BASE_SECONDS if backoff_base is None else backoff_base
        )
        self.backoff_cap = backoff_cap
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=settings.PROVIDER_TIMEOUT_SECONDS if timeout is None else timeout,
            transport=transport,
            headers={
                "Authorization": f"Bearer {secret_key}",
                "Flonk-Version": self.api_version,
                "Accept": "application/json",
                "User-Agent": "kycdash-flonk/1",
            },
        )

    @classmethod
    def from_connection(cls, connection: ProviderConnection, **kwargs: Any) -> FlonkClient:
        credentials = connection.credentials or {}
        options = connection.options or {}
        version = options.get("api_version")
        return cls(
            connection.base_url,
            secret_key=str(credentials.get("secret_key") or ""),
            api_version=version if isinstance(version, str) and version else API_VERSION,
            **kwargs,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> FlonkClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------ transport

    def _backoff(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds to wait before retry ``attempt + 1``; None: do not retry in-process."""
        if retry_after is not None:
            return retry_after if retry_after <= self.backoff_cap else None
        return random.uniform(0, min(self.backoff_cap, self.backoff_base * 2**attempt))

    def _request(
        self,
        method: str,
        path: str,
        *,
        route: str,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        idempotency_key: str | None = None,
    ) -> httpx.Response:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        attempt = 0
        while True:
            started = time.monotonic()
            retry_after: float | None = None
            try:
                response = self._http.request(
                    method, path, params=params, json=json, headers=headers
                )
            except httpx.TransportError as exc:
                logger.warning(
                    "flonk %s %s failed: %s (attempt %d)",
                    method,
                    route,
                    type(exc).__name__,
                    attempt + 1,
                )
                failure: ProviderError = ProviderUnavailable(
                    f"{type(exc).__name__} while calling {route}", provider=PROVIDER
                )
            else:
                elapsed_ms = (time.monotonic() - started) * 1000
                status = response.status_code
                # Successes are routine (debug); failed answers are worth a line.
                logger.log(
                    logging.DEBUG if status < 400 else logging.WARNING,
                    "flonk %s %s -> %s in %.0f ms (attempt %d)",
                    method,
                    route,
                    status,
                    elapsed_ms,
                    attempt + 1,
                )
                if status < 400:
                    return response
                code, message = _error_parts(response)
                failure = _typed_error(status, code, message)
                if not failure.retryable:
                    raise failure
                retry_after = _retry_after_seconds(response)
            if attempt >= self.max_retries:
                raise failure
            delay = self._backoff(attempt, retry_after)
            if delay is None:
                raise failure
            self._sleep(delay)
            attempt += 1

    @staticmethod
    def _json(response: httpx.Response) -> JsonObject:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ProviderError(
                "Flonk answered with a body that is not a JSON object",
                status_code=response.status_code,
                provider=PROVIDER,
            )
        return body

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
