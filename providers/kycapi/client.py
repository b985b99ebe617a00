"""HTTP client of the KYC API 2.10.15 (IDV and IDA).

Follows ``docs/providers/kyc-api-2.10.15.txt`` (the KYC API reference page). That page
documents operations, request and response bodies and an ``oauth2`` authorization,
but no URL paths, no token endpoint, no error body, no webhook delivery and few enum
values. The choices below fill those gaps; the sandbox in ``providers/kycapi/sandbox``
implements exactly them.

Credentials (the keys of ``ProviderConnection.credentials``):

- ``client_id``: the OAuth2 client id issued by KYC API. It is also the API's "client"
  (the ``client_id`` of sessions and webhooks), so it is sent as ``X-Client-Id``.
- ``client_secret``: the OAuth2 client secret. Used only at the token endpoint.

Choices made where the document is silent:

(a) Paths. Every operation whose entry has a JSON request body is
    ``POST /<group>/<resource>/<action>`` with exactly the documented fields as its
    JSON body: ids travel in bodies, never in URLs, so access logs hold no ids or
    personal data. Reads are POSTs too, because the document gives them bodies.
    Utility endpoints are GETs without authentication. The operations kycdash uses,
    which are exactly what the sandbox serves:

    ======  ========================  ================================================
    method  path                      document operation
    ======  ========================  ================================================
    POST    /oauth/token              none (the "oauth2" authorization): choice (b)
    GET     /health                   Utility: Health check (test connection)
    POST    /idv/sessions/list        IDV: session list (sync)
    POST    /idv/sessions/read        IDV: session read
    POST    /idv/session-tests/read   IDV: session test read (fraud signals, DMV)
    POST    /idv/documents/read       IDV: document read
    POST    /idv/documents/list       IDV: document list
    POST    /idv/documents/download   IDV: document download (evidence; binary answer)
    POST    /idv/sessions/anonymize   IDV: session anonymize (retention)
    POST    /idv/sessions/delete      IDV: session delete (retention)
    POST    /ida/sessions/list        IDA: session list (re-authentications)
    POST    /webhooks/create          Webhook: webhook create
    POST    /webhooks/list            Webhook: webhook list
    POST    /webhooks/delete          Webhook: webhook delete
    ======  ========================  ================================================

    Reads and deletes answer 200; ``/webhooks/create`` answers 201 with ``{}`` (the
    document's sample: no id comes back, so kycdash finds its webhook by name in the
    list). Any other path, or a wrong method, answers 404 ``Cannot <METHOD> <path>``.
    The document's root, ping, status, metrics, liveness, readiness and version
    endpoints are not used, so the sandbox's root serves its human page instead.

(b) Token. ``POST /oauth/token`` (RFC 6749 section 4.4), form-encoded
    ``grant_type=client_credentials``, client authenticated with HTTP Basic (the
    sandbox also takes ``client_id``/``client_secret`` form fields, not both). Answer:
    ``{"access_token", "token_type": "Bearer", "expires_in": <seconds>}``; errors are
    RFC 6749 bodies ``{"error", "error_description"}`` (401 ``invalid_client``).
    Every API call then carries ``Authorization: Bearer <token>`` and
    ``X-Client-Id: <client_id>`` (the document requires the header on its SDK
    endpoints only; sending it everywhere is harmless and the sandbox checks that it
    matches the token's client when present: 403 otherwise). The token is cached in
    Django's cache under a key of the connection (and a digest of its base URL and
    credentials, so new credentials never reuse an old token) until 30 s before it
    expires; a 401 on an API call drops it, fetches a new one and repeats the call
    once (that repeat is not counted as a retry); a second 401 is a
    ``ProviderAuthError``.

(c) Errors. Error answers are ``{"statusCode", "message", "error"}`` where
    ``message`` is a string or a list of validation messages (joined with "; ").
    A missing, unknown, expired or revoked token answers 401 with
    ``WWW-Authenticate: Bearer``; unknown ids answer 404 ``Session not found``;
    bodies failing validation, or carrying properties the operation does not
    document, answer 400; a body that is not JSON 415.

(d) Lists. ``take`` is 1..100 (default 10), ``skip`` >= 0. Rows are ordered by
    ``created_at`` ascending, then id, so a walk by offset never skips a row when
    new ones arrive. ``meta_counts`` is ``{"total": <rows matching the filters>,
    "by_status": {<status_e>: <count>}}`` (webhook list: ``statistics: {"total"}``).
    A session row is the session read body without ``metadata``, ``webhook_url`` and
    ``settings`` (``history`` stays: it dates the changes that have no timestamp
    field, such as blocking or expiry); ``start_date``/``end_date`` (ISO 8601) bound
    ``created_at`` (start inclusive, end exclusive). Document list counts are
    ``{"total"}``. kycdash stops at an empty page, when ``skip`` reaches ``total``, or
    (without a total) at a short page.

(e) Values. Timestamps (``*_at``) are ISO 8601 UTC (``2025-03-01T12:00:00.000Z``);
    ``birth_date``, ``issued_at`` and ``expires_at`` of documents are dates
    (``YYYY-MM-DD``). ``score`` is 0..100 (null until scored). ``dmv_status_e`` is
    one of ``unknown pending not_applicable match no_match not_found``;
    ``ofac_status_e`` one of ``unknown pending clear on_sanction_list`` (the name
    the SDK finalization uses for a hit); ``gender_e`` one of ``unknown male female
    x``; ``data_source_e`` one of ``unknown ocr barcode mrz``. The string results of
    the session test read (``doc_*_image_manipulation``, ``_is_identity_document``,
    ``_online_duplication``, ``_suspicious_words``) are likelihoods: ``unknown
    very_unlikely unlikely possible likely very_likely``; the ``dmv_*_match`` and
    ``*_crosscheck`` booleans are null when not checked. History entries are
    ``{"event", "status_e", "created_at"}``.

(f) Document download answers the file's bytes with its ``Content-Type``; a session
    without a file of that type answers 404. The document's sample answer is
    ``null``, so a 200 with an empty or ``null`` body is read as "no such file" too.

(g) Webhooks. ``/webhooks/create`` takes ``{"name", "url", "secret"}``: ``secret`` is
    kycdash's extension (the document has no signing and no secret field). The
    sandbox sends it back on every delivery in ``X-Webhook-Secret``, which kycdash
    compares with the connection's webhook secret in constant time. If the real API
    ignores the field, its deliveries carry no secret and are refused (401): confirm
    with the vendor before relying on webhooks; sync works either way. A delivery is
    ``POST <url>`` with ``{"event_id", "event_type", "created_at", "session_id",
    "identity_id", "status_e"}``; event types are ``idv.session.status_changed`` (re-read
    the session) and ``ida.session.status_changed`` (stored and ignored). kycdash
    names its webhook ``kycdash-<connection id>``; registering deletes any webhook of
    that name first (the secret may have been rotated, and the list never shows
    secrets), then creates it.

(h) No idempotency keys: the document has none, and kycdash writes no decisions to
    KYC API. Anonymize is idempotent by nature; a second delete answers 404, which
    ``delete_session`` reports as ``already_gone`` instead of raising.

Retries, the error mapping and logging are ``providers/http.py``'s, with the API's
``message`` (else an OAuth2 ``error_description``/``error``) as the message; the token
refresh of (b) on a 401 is an immediate repeat, not a retry.

Logs carry method, path and status only (ids travel in bodies, and bodies are never
logged): no personal data, no credentials, no tokens.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Unpack

import httpx
from django.core.cache import cache

from providers.base import ProviderAuthError, ProviderError, ProviderNotFound, ProviderUnavailable
from providers.http import (
    JsonObject,
    ProviderHTTPClient,
    TransportOptions,
    json_or_none,
    reason_phrase,
)

if TYPE_CHECKING:
    from providers.models import ProviderConnection

logger = logging.getLogger(__name__)

PROVIDER: Final = "KYC API"
LIST_PAGE_SIZE: Final = 100
MAX_LIST_PAGES: Final = 100_000  # a guard against a listing that never ends
TOKEN_EXPIRY_MARGIN_SECONDS: Final = 30
DEFAULT_TOKEN_LIFETIME_SECONDS: Final = 300  # when the token answer has no expires_in
HEALTHY_WORDS: Final = frozenset({"ok", "healthy", "up", "pass"})

TOKEN_PATH: Final = "/oauth/token"  # noqa: S105 (a path, not a secret)
HEALTH_PATH: Final = "/health"
IDV_SESSIONS_LIST: Final = "/idv/sessions/list"
IDV_SESSIONS_READ: Final = "/idv/sessions/read"
IDV_SESSION_TESTS_READ: Final = "/idv/session-tests/read"
IDV_DOCUMENTS_READ: Final = "/idv/documents/read"
IDV_DOCUMENTS_LIST: Final = "/idv/documents/list"
IDV_DOCUMENTS_DOWNLOAD: Final = "/idv/documents/download"
IDV_SESSIONS_ANONYMIZE: Final = "/idv/sessions/anonymize"
IDV_SESSIONS_DELETE: Final = "/idv/sessions/delete"
IDA_SESSIONS_LIST: Final = "/ida/sessions/list"
WEBHOOKS_CREATE: Final = "/webhooks/create"
WEBHOOKS_LIST: Final = "/webhooks/list"
WEBHOOKS_DELETE: Final = "/webhooks/delete"

SESSION_STATUSES: Final = (
    "unknown",
    "in_progress",
    "complete",
    "temporarily_blocked",
    "temporarily_complete",
    "expired",
)
STORAGE_FILE_TYPES: Final = (
    "unknown",
    "driver_license_front",
    "driver_license_back",
    "state_id_card_front",
    "state_id_card_back",
    "passport_front",
    "passport_card_front",
    "passport_card_back",
    "selfie",
    "liveness_passive",
    "liveness_active_step_1",
    "liveness_active_step_2",
    "liveness_active_step_3",
    "liveness_active_step_4",
)


@dataclass(frozen=True)
class Page:
    """One page of a KYC API list: its rows and the total the API reports."""

    rows: tuple[JsonObject, ...]
    total: int | None
    counts: JsonObject  # meta_counts (or statistics) as sent
    sent: int = 0  # rows in the answer, counting any that were not objects


@dataclass(frozen=True)
class WriteResponse:
    """The answer to a write call: HTTP status and JSON body."""

    status_code: int
    body: JsonObject
    already_gone: bool = False  # a delete of something the API no longer has


def iso(value: dt.datetime) -> str:
    """A datetime as the API writes them: ISO 8601 UTC with milliseconds and ``Z``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_datetime(value: Any) -> dt.datetime | None:
    """An API timestamp (or date) as an aware datetime; None when absent or unreadable."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def parse_date(value: Any) -> dt.date | None:
    """An API date (``YYYY-MM-DD``, or a timestamp whose date is meant)."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def _error_message(response: httpx.Response) -> str:
    """The API's ``message`` (a string or a list), else an OAuth2 ``error_description``
    or ``error``, else the HTTP reason phrase."""
    body = json_or_none(response)
    if isinstance(body, dict):
        message = body.get("message")
        if isinstance(message, list):
            parts = [str(part) for part in message if isinstance(part, str | int | float)]
            if parts:
                return "; ".join(parts)
        if isinstance(message, str) and message:
            return message
        description = body.get("error_description")
        error = body.get("error")
        if isinstance(description, str) and description:
            return f"{error}: {description}" if isinstance(error, str) and error else description
        if isinstance(error, str) and error:
            return error
    return reason_phrase(response.status_code)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def token_cache_key(*, scope: str, base_url: str, client_id: str, client_secret: str) -> str:
    """The cache key of one connection's token; changes when its URL or credentials do."""
    digest = hashlib.sha256(
        "\x1f".join((base_url.rstrip("/"), client_id, client_secret)).encode()
    ).hexdigest()[:24]
    return f"kycapi:token:{scope}:{digest}"


class KycApiClient(ProviderHTTPClient):
    """Typed calls to the KYC API; one method per operation kycdash uses."""

    provider = PROVIDER
    log_name = "kycapi"
    _logger = logger

    def __init__(
        self,
        base_url: str,
        *,
        client_id: str,
        client_secret: str,
        cache_scope: str = "default",
        **options: Unpack[TransportOptions],
    ):
        if not client_id:
            raise ProviderAuthError("the connection has no client_id credential", provider=PROVIDER)
        if not client_secret:
            raise ProviderAuthError(
                "the connection has no client_secret credential", provider=PROVIDER
            )
        self.client_id = client_id
        self._client_secret = client_secret
        self.token_key = token_cache_key(
            scope=cache_scope,
            base_url=base_url,
            client_id=client_id,
            client_secret=client_secret,
        )
        super().__init__(
            base_url,
            headers={"Accept": "application/json", "User-Agent": "kycdash-kycapi/1"},
            **options,
        )

    @classmethod
    def connection_arguments(cls, connection: ProviderConnection) -> dict[str, Any]:
        credentials = connection.credentials or {}
        return {
            "client_id": str(credentials.get("client_id") or ""),
            "client_secret": str(credentials.get("client_secret") or ""),
            "cache_scope": str(connection.pk),
        }

    # ------------------------------------------------------------ token

    def access_token(self) -> str:
        """The cached bearer token, or a new one from the token endpoint."""
        token = cache.get(self.token_key)
        if isinstance(token, str) and token:
            return token
        return self._fetch_token()

    def forget_token(self) -> None:
        cache.delete(self.token_key)

    def _fetch_token(self) -> str:
        response = self._send(
            "POST",
            TOKEN_PATH,
            data={"grant_type": "client_credentials"},
            auth=httpx.BasicAuth(self.client_id, self._client_secret),
            authenticated=False,
        )
        body = self._json(response)
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise ProviderError(
                "the token answer has no access_token",
                status_code=response.status_code,
                provider=PROVIDER,
            )
        token_type = body.get("token_type")
        if isinstance(token_type, str) and token_type.lower() != "bearer":
            raise ProviderError(
                f"the token answer has an unsupported token_type {token_type[:20]!r}",
                status_code=response.status_code,
                provider=PROVIDER,
            )
        lifetime = _int(body.get("expires_in"))
        if lifetime is None or lifetime <= 0:
            lifetime = DEFAULT_TOKEN_LIFETIME_SECONDS
        # Expire it from the cache before the API does; a very short token gets half its life.
        margin = (
            TOKEN_EXPIRY_MARGIN_SECONDS
            if lifetime > 2 * TOKEN_EXPIRY_MARGIN_SECONDS
            else lifetime // 2
        )
        cache.set(self.token_key, token, timeout=max(1, lifetime - margin))
        logger.debug("kycapi token fetched, valid for %d s", lifetime)
        return token

    # ------------------------------------------------------------ transport

    def _error_message(self, answer: httpx.Response) -> str:
        return _error_message(answer)

    def _send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        auth: httpx.Auth | None = None,
        authenticated: bool = True,
    ) -> httpx.Response:
        """One call with retries; for API calls, one token refresh on a 401 (choice (b))."""
        if not authenticated:
            return self._request(method, path, json=json, data=data, auth=auth)
        refreshed = False

        def send() -> httpx.Response:
            headers = {
                "Authorization": f"Bearer {self.access_token()}",
                "X-Client-Id": self.client_id,
            }
            return self._http.request(method, path, json=json, data=data, headers=headers)

        def refresh_once(response: httpx.Response) -> bool:
            nonlocal refreshed
            if response.status_code != 401 or refreshed:
                return False
            # The cached token expired or was revoked early: one new token, one repeat.
            refreshed = True
            self.forget_token()
            logger.info("kycapi %s %s: token refused, fetching a new one", method, path)
            return True

        return self._call(method, path, send, repeat=refresh_once)

    def _post(self, path: str, body: Mapping[str, Any]) -> JsonObject:
        return self._json(self._send("POST", path, json=dict(body)))

    def _write(self, path: str, body: Mapping[str, Any]) -> WriteResponse:
        response = self._send("POST", path, json=dict(body))
        # The document's write answers are ``{}``; an empty body is as good.
        parsed = self._json(response) if response.content.strip() else {}
        return WriteResponse(response.status_code, parsed)

    def _page(self, path: str, body: Mapping[str, Any], rows_key: str, counts_key: str) -> Page:
        answer = self._post(path, body)
        rows = answer.get(rows_key)
        if not isinstance(rows, list):
            raise ProviderError(
                f"the list answer has no {rows_key} array", status_code=200, provider=PROVIDER
            )
        kept = tuple(row for row in rows if isinstance(row, dict))
        if len(kept) != len(rows):
            logger.warning(
                "kycapi %s: skipped %d rows that are not objects", path, len(rows) - len(kept)
            )
        counts = answer.get(counts_key)
        counts = counts if isinstance(counts, dict) else {}
        return Page(rows=kept, total=_int(counts.get("total")), counts=counts, sent=len(rows))

    def _walk(
        self,
        fetch: Callable[[int, int], Page],
        *,
        take: int,
    ) -> Iterator[JsonObject]:
        """Every row of a list, page by page, by take/skip."""
        skip = 0
        for _ in range(MAX_LIST_PAGES):
            page = fetch(take, skip)
            yield from page.rows
            # Counting the rows sent (not only those kept) keeps the offset right.
            sent = max(page.sent, len(page.rows))
            skip += sent
            if not sent:
                return
            if page.total is not None:
                # The API may cap ``take`` lower than asked: trust the total over page sizes.
                if skip >= page.total:
                    return
            elif sent < take:
                return

    # ------------------------------------------------------------ utility

    def health(self) -> JsonObject:
        """GET /health (no authentication): the service and its dependencies."""
        return self._json(self._send("GET", HEALTH_PATH, authenticated=False))

    def check_health(self) -> JsonObject:
        """``health()``, raising ProviderUnavailable unless its ``status`` says healthy."""
        body = self.health()
        status = str(body.get("status") or "").strip().lower()
        if status not in HEALTHY_WORDS:
            detail = body.get("error") if isinstance(body.get("error"), str) else ""
            raise ProviderUnavailable(
                detail or f"the health check says {status or 'nothing'}",
                status_code=200,
                provider=PROVIDER,
            )
        return body

    # ------------------------------------------------------------ IDV

    def list_sessions(
        self,
        *,
        take: int = LIST_PAGE_SIZE,
        skip: int = 0,
        status: str | None = None,
        start_date: dt.datetime | None = None,
        end_date: dt.datetime | None = None,
        identity_id: str | None = None,
    ) -> Page:
        """One page of POST /idv/sessions/list (``meta_counts`` in ``Page.counts``)."""
        if status is not None and status not in SESSION_STATUSES:
            raise ValueError(f"status must be one of {SESSION_STATUSES}")
        body: JsonObject = {"take": take, "skip": skip}
        if status is not None:
            body["status"] = status
        if start_date is not None:
            body["start_date"] = iso(start_date)
        if end_date is not None:
            body["end_date"] = iso(end_date)
        if identity_id:
            body["identity_id"] = identity_id
        return self._page(IDV_SESSIONS_LIST, body, "sessions", "meta_counts")

    def iter_sessions(
        self,
        *,
        status: str | None = None,
        start_date: dt.datetime | None = None,
        take: int = LIST_PAGE_SIZE,
    ) -> Iterator[JsonObject]:
        """Every session row matching the filters, oldest first."""
        return self._walk(
            lambda t, s: self.list_sessions(take=t, skip=s, status=status, start_date=start_date),
            take=take,
        )

    def read_session(self, session_id: str) -> JsonObject:
        """POST /idv/sessions/read: names, statuses, DMV, OFAC, score, history."""
        return self._post(IDV_SESSIONS_READ, {"session_id": session_id})

    def read_session_tests(self, session_id: str) -> JsonObject:
        """POST /idv/session-tests/read: fraud signals and DMV field matches."""
        return self._post(IDV_SESSION_TESTS_READ, {"session_id": session_id})

    def read_document(self, session_id: str) -> JsonObject:
        """POST /idv/documents/read: the session's identity document as read."""
        return self._post(IDV_DOCUMENTS_READ, {"session_id": session_id})

    def list_documents(self, session_id: str, *, take: int = LIST_PAGE_SIZE, skip: int = 0) -> Page:
        """One page of POST /idv/documents/list."""
        body = {"session_id": session_id, "take": take, "skip": skip}
        return self._page(IDV_DOCUMENTS_LIST, body, "documents", "meta_counts")

    def iter_documents(
        self, session_id: str, *, take: int = LIST_PAGE_SIZE
    ) -> Iterator[JsonObject]:
        return self._walk(lambda t, s: self.list_documents(session_id, take=t, skip=s), take=take)

    def download_document(self, session_id: str, storage_file_type: str) -> bytes | None:
        """POST /idv/documents/download: the file's bytes, or None for an empty answer.

        A session without that file answers 404 (``ProviderNotFound``).
        """
        if storage_file_type not in STORAGE_FILE_TYPES:
            raise ValueError(f"storage_file_type must be one of {STORAGE_FILE_TYPES}")
        response = self._send(
            "POST",
            IDV_DOCUMENTS_DOWNLOAD,
            json={"session_id": session_id, "storage_file_type_e": storage_file_type},
        )
        content = response.content
        if not content.strip() or content.strip() == b"null":
            return None
        if "json" in response.headers.get("Content-Type", "").lower():
            # Never hand JSON (an error the API sent with a 200) on as an evidence file.
            raise ProviderError(
                f"the {storage_file_type} download is JSON, not a file",
                status_code=response.status_code,
                provider=PROVIDER,
            )
        return content

    def anonymize_session(self, session_id: str) -> WriteResponse:
        """POST /idv/sessions/anonymize: personal data removed, the session kept."""
        return self._write(IDV_SESSIONS_ANONYMIZE, {"session_id": session_id})

    def delete_session(self, session_id: str) -> WriteResponse:
        """POST /idv/sessions/delete; a session already gone (404) is not an error."""
        try:
            return self._write(IDV_SESSIONS_DELETE, {"session_id": session_id})
        except ProviderNotFound as exc:
            # A retried delete whose first answer was lost lands here: the goal is met.
            return WriteResponse(404, {"message": exc.message}, already_gone=True)

    # ------------------------------------------------------------ IDA

    def list_ida_sessions(
        self, *, identity_id: str, take: int = LIST_PAGE_SIZE, skip: int = 0
    ) -> Page:
        """One page of POST /ida/sessions/list for one identity."""
        body = {"identity_id": identity_id, "take": take, "skip": skip}
        return self._page(IDA_SESSIONS_LIST, body, "sessions", "meta_counts")

    def iter_ida_sessions(
        self, *, identity_id: str, take: int = LIST_PAGE_SIZE
    ) -> Iterator[JsonObject]:
        return self._walk(
            lambda t, s: self.list_ida_sessions(identity_id=identity_id, take=t, skip=s),
            take=take,
        )

    # ------------------------------------------------------------ webhooks

    def create_webhook(self, *, name: str, url: str, secret: str = "") -> WriteResponse:
        """POST /webhooks/create with kycdash's ``secret`` extension (choice (g))."""
        body: JsonObject = {"name": name, "url": url}
        if secret:
            body["secret"] = secret
        return self._write(WEBHOOKS_CREATE, body)

    def list_webhooks(
        self, *, search_term: str | None = None, take: int = LIST_PAGE_SIZE, skip: int = 0
    ) -> Page:
        body: JsonObject = {"take": take, "skip": skip}
        if search_term:
            body["search_term"] = search_term
        return self._page(WEBHOOKS_LIST, body, "webhooks", "statistics")

    def iter_webhooks(
        self, *, search_term: str | None = None, take: int = LIST_PAGE_SIZE
    ) -> Iterator[JsonObject]:
        return self._walk(
            lambda t, s: self.list_webhooks(search_term=search_term, take=t, skip=s), take=take
        )

    def delete_webhook(self, webhook_id: str) -> WriteResponse:
        return self._write(WEBHOOKS_DELETE, {"id": webhook_id})
