"""HTTP client of the Finwave Digital Onboarding API (the integrations API).

Follows ``docs/providers/finwave-digital-onboarding.txt`` (a copy of
``shared/providers/finwave-digital-onboarding.txt``): every call carries the client's
token in ``gestok-client-token``; the API lives under the base path ``/management`` of the
host. kycdash uses three calls:
``POST /integrations`` (create an onboarding), ``GET /integrations/:onboardingId/result``
and ``/integrations/:onboardingId/evidences`` (a ZIP of the evidence files).

Credentials (the keys of ``ProviderConnection.credentials``):

- ``client_token``: the customer's unique authorization token, sent as
  ``gestok-client-token`` on every call.

Choices made where the document is silent or contradicts itself (the sandbox in
``providers/finwave/sandbox`` implements exactly these):

(0) The base URL. The document gives the host and the base path apart, so a
    connection's base URL may be either the host (``https://idgateway-dev.finwave.com``,
    or the sandbox's ``<site>/sandbox/finwave``) or the host with the base path
    (``…/management``): the client adds ``/management`` when the URL does not end
    with it.

(a) Error bodies. The document describes none. The sandbox answers every error with
    ``{"statusCode": <int>, "message": "<text>", "error": "<HTTP reason phrase>"}``;
    the client takes ``message`` (a list of messages is joined with "; "), else
    ``error``, else the HTTP reason phrase, so any JSON or non-JSON error body works.

(b) Authentication failures. A missing or unknown ``gestok-client-token`` is 401; an
    onboarding of another client is 404, exactly like an unknown one (no leak of
    which ids exist).

(c) Listing. Finwave documents no way to list onboardings, and kycdash invents none:
    the adapter has no SYNC capability. Sessions arrive by webhook or are imported by
    id (``manage.py import_session``).

(d) The webhook. The document's notification ``{"onboardingId", "customId", "result"}``
    is unsigned and has no event id. The connection's webhook URL carries the secret
    in its path, ``<SITE_URL>/webhooks/<connection id>/<webhook secret>/``; it is what
    the customer passes as ``webhook`` in ``POST /integrations``. kycdash compares the
    secret in constant time, takes a SHA-256 of the raw body as the event id (the same
    delivery twice is one event) and re-reads the onboarding through
    ``GET /integrations/:id/result``: nothing in the body but ``onboardingId`` is used.
    The sandbox sends CREATED right after an onboarding is created (the document says
    so) and one delivery per later status change; it does not retry a failed delivery
    (the document promises no retries).

(e) A repeated ``POST /integrations`` for the same ``customId`` creates nothing. The
    answer is 200 (a creation is 201) with the same ``onboardingId``; while the
    onboarding is still CREATED it carries the same ``url`` and ``CREATED``, once the
    user has started it ``url`` is null and ``status`` the current one, as documented.
    This is what makes a retried creation safe, so the client retries it like a read.

(f) ``lang``. The prose says only ``ENG`` is allowed; the example shows ``ESP``. The
    prose wins: the client sends ``ENG`` unless told otherwise and the sandbox answers
    400 to anything else. ``customId`` is required (1-100 characters: it is what a
    repeat is matched on); ``webhook``, when given, must be an http(s) URL;
    ``phoneStep: true`` needs ``phoneCountryCode`` (``+`` and 1-4 digits) and ``phone``
    (6-15 digits); ``redirectUrl.type`` is 1-4 and, as documented, has no effect in
    the test version.

(g) The evidence download. The section's heading says ``GET`` and its details say
    ``Method: POST``. The client sends GET and, if the server answers 405, repeats the
    call once with POST; the sandbox answers both. The ZIP's members are named by the
    values of the result's ``evidences`` object (``idDocumentFront``,
    ``idDocumentReverse``, ``biometryTargetImage``, ``biometryBlink``,
    ``biometrySmile``, ``fullVideo``); the sandbox also adds an OCR JSON that the result
    does not name, which kycdash ignores. An onboarding without files answers an empty
    ZIP. The download is capped at ``ZIP_MAX_DOWNLOAD_BYTES`` (it may hold the full
    video) and spooled to a temporary file past 8 MiB; ``providers/finwave/archive.py``
    unpacks only the named images, with member-count, size, compression-ratio,
    traversal and symlink checks: an unsafe archive is ``EvidenceArchiveRejected`` (a
    non-retryable ``ProviderRejected``) and nothing of the session is stored.

(h) The OCR part of the result points at an "OCR API documentation" that is not part
    of the contract. kycdash reads these field names (first present wins):
    ``NAME``/``GIVEN_NAMES``/``FIRST_NAME``, ``SURNAME``/``LAST_NAME``, ``FULL_NAME``,
    ``DOCUMENT_NUMBER``, ``DATE_OF_BIRTH``/``BIRTH_DATE``, ``DATE_OF_EXPIRY``/
    ``EXPIRY_DATE``, ``SEX``/``GENDER``, ``NATIONALITY``, ``ISSUING_STATE``/
    ``ISSUING_COUNTRY``, ``ADDRESS``; dates as ``DD/MM/YYYY`` (what the sandbox sends),
    ``DD.MM.YYYY``, ``DD-MM-YYYY`` or ISO ``YYYY-MM-DD``. A field's confidence is its
    best source ``probability``. ``ocr.images`` entries are base64 JPEG/PNG (the
    example's ``PORTRAIT``).

(i) Numbers and times. ``processStatus.score`` and ``biometry.score`` are read on a
    0-100 scale (the example's biometry score is 99.78), clamped. Times are taken from
    ``timestamp`` (epoch milliseconds, UTC); a ``date`` string alone is read as UTC.

(j) Onboarding ids are opaque: each is percent-encoded into the path, and an id that
    is empty, longer than 200 characters, ``.``/``..`` or holds whitespace or control
    characters is refused (``ProviderRejected``) before any call is made.

(k) Connection test. There is no call without an onboarding id, so ``test_connection``
    reads the result of a random probe id: 404 means the token was accepted; 401/403
    raise ``ProviderAuthError``.

Retries, the error mapping and logging are ``providers/http.py``'s, with Finwave's
message of (a); an answer's body is streamed and spooled (see (g)), so the client
feeds its own answers to the shared retry loop.

Logs carry method, the route template (``/integrations/{id}/result``: no onboarding id,
no customId, which may be the customer's own reference to a person), status and time
only: no personal data, no credentials. Successes log at DEBUG.
"""

from __future__ import annotations

import datetime as dt
import json as jsonlib
import logging
import re
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, Final, Unpack
from urllib.parse import quote

import httpx

from providers.base import ProviderAuthError, ProviderError, ProviderNotFound, ProviderRejected
from providers.http import JsonObject, ProviderHTTPClient, TransportOptions, reason_phrase

if TYPE_CHECKING:
    from providers.models import ProviderConnection

logger = logging.getLogger(__name__)

PROVIDER: Final = "Finwave"
TOKEN_HEADER: Final = "gestok-client-token"  # noqa: S105 (a header name, not a secret)
# The result JSON carries a base64 portrait at most; anything bigger is not a result.
RESULT_MAX_BYTES: Final = 16 * 1024 * 1024
# The evidence ZIP may hold the onboarding's full video next to the images.
ZIP_MAX_DOWNLOAD_BYTES: Final = 128 * 1024 * 1024
SPOOL_MEMORY_BYTES: Final = 8 * 1024 * 1024
ERROR_BODY_MAX_BYTES: Final = 64 * 1024
ONBOARDING_ID_MAX_CHARS: Final = 200
_UNSAFE_ID = re.compile(r"[\s\x00-\x1f\x7f]")
STATUSES: Final = ("CREATED", "INPROCESS", "INCOMPLETED", "TIMEOUT", "FINISHED")

BASE_PATH: Final = "/management"


class EvidenceArchiveRejected(ProviderRejected):
    """The evidence ZIP is unsafe or over a limit: nothing of it may be used."""


@dataclass(frozen=True)
class OnboardingCreated:
    """The answer to ``POST /integrations``."""

    onboarding_id: str
    url: str | None  # None once the user has started the process (a repeat)
    status: str
    created: bool  # False: an onboarding for this customId already existed


@dataclass
class _Answer:
    """One HTTP answer, its body spooled (memory, then a temporary file)."""

    status_code: int
    headers: httpx.Headers
    body: IO[bytes]

    def content(self) -> bytes:
        self.body.seek(0)
        return self.body.read()


def api_root(base_url: str) -> str:
    """The connection's base URL with Finwave's base path, added when missing (choice (0))."""
    root = base_url.rstrip("/")
    return root if root.endswith(BASE_PATH) else f"{root}{BASE_PATH}"


def valid_onboarding_id(onboarding_id: str) -> bool:
    """Whether ``onboarding_id`` may be put into a URL path (see choice (j))."""
    return (
        isinstance(onboarding_id, str)
        and 0 < len(onboarding_id) <= ONBOARDING_ID_MAX_CHARS
        and onboarding_id not in (".", "..")
        and not _UNSAFE_ID.search(onboarding_id)
    )


def ms_to_datetime(value: Any) -> dt.datetime | None:
    """Epoch milliseconds (a number or a numeric string) as an aware UTC datetime."""
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        return dt.datetime.fromtimestamp(int(float(value)) / 1000, tz=dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _error_message(status: int, content: bytes) -> str:
    """Finwave's ``message`` (joined when a list), else ``error``, else the reason phrase."""
    try:
        body = jsonlib.loads(content)
    except (UnicodeDecodeError, ValueError):
        body = None
    if isinstance(body, dict):
        message = body.get("message")
        if isinstance(message, list):
            message = "; ".join(str(m) for m in message if isinstance(m, str | int | float))
        if isinstance(message, str) and message.strip():
            return message.strip()[:500]
        error = body.get("error")
        if isinstance(error, str) and error.strip():
            return error.strip()[:500]
    return reason_phrase(status)


class FinwaveClient(ProviderHTTPClient):
    """Typed calls to the Finwave integrations API; one method per endpoint kycdash uses."""

    provider = PROVIDER
    log_name = "finwave"
    _logger = logger

    def __init__(
        self,
        base_url: str,
        *,
        client_token: str,
        zip_max_bytes: int = ZIP_MAX_DOWNLOAD_BYTES,
        result_max_bytes: int = RESULT_MAX_BYTES,
        **options: Unpack[TransportOptions],
    ):
        if not client_token:
            raise ProviderAuthError(
                "the connection has no client_token credential", provider=PROVIDER
            )
        self.zip_max_bytes = zip_max_bytes
        self.result_max_bytes = result_max_bytes
        super().__init__(
            api_root(base_url),
            headers={
                TOKEN_HEADER: client_token,
                "Accept": "application/json",
                "User-Agent": "kycdash-finwave/1",
            },
            **options,
        )

    @classmethod
    def connection_arguments(cls, connection: ProviderConnection) -> dict[str, Any]:
        credentials = connection.credentials or {}
        return {"client_token": str(credentials.get("client_token") or "")}

    # ------------------------------------------------------------ transport

    def _error_message(self, answer: _Answer) -> str:
        with answer.body:
            return _error_message(answer.status_code, answer.content())

    def _send_once(
        self,
        method: str,
        path: str,
        *,
        json: Any,
        limit: int,
        too_large: Callable[[], ProviderError],
    ) -> _Answer:
        request = self._http.build_request(method, path, json=json)
        response = self._http.send(request, stream=True)
        spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES)  # noqa: SIM115
        try:
            status = response.status_code
            # An error body is only read for its message; a success body up to its limit.
            cap = ERROR_BODY_MAX_BYTES if status >= 400 else limit
            declared = response.headers.get("Content-Length", "")
            if status < 400 and declared.isdigit() and int(declared) > cap:
                raise too_large()
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > cap:
                    if status >= 400:
                        break  # enough of an error page to find its message
                    raise too_large()
                spool.write(chunk)
            spool.seek(0)
            return _Answer(status, response.headers, spool)
        except BaseException:
            spool.close()
            raise
        finally:
            response.close()

    def _fetch(
        self,
        method: str,
        path: str,
        *,
        route: str,
        json: Any = None,
        limit: int | None = None,
        too_large: Callable[[], ProviderError] | None = None,
    ) -> _Answer:
        """One streamed call with retries; ``route`` is the path template used in log lines.

        The answer's body may be at most ``limit`` bytes (default: ``result_max_bytes``).
        """
        limit = self.result_max_bytes if limit is None else limit

        def default_too_large() -> ProviderError:
            return ProviderError(
                f"Finwave's answer to {route} is larger than {limit:,} bytes",
                status_code=200,
                provider=PROVIDER,
            )

        return self._call(
            method,
            route,
            lambda: self._send_once(
                method, path, json=json, limit=limit, too_large=too_large or default_too_large
            ),
        )

    def _json(self, answer: _Answer) -> JsonObject:
        with answer.body:
            content = answer.content()
        try:
            body = jsonlib.loads(content)
        except (UnicodeDecodeError, ValueError):
            body = None
        return self._json_object(body, answer.status_code)

    @staticmethod
    def _onboarding_path(onboarding_id: str, leaf: str) -> str:
        if not valid_onboarding_id(onboarding_id):
            raise ProviderRejected("not a valid Finwave onboarding id", provider=PROVIDER)
        return f"/integrations/{quote(onboarding_id, safe='')}/{leaf}"

    # ------------------------------------------------------------ calls

    def create_onboarding(
        self,
        *,
        custom_id: str,
        webhook: str | None = None,
        lang: str = "ENG",
        phone_country_code: str | None = None,
        phone: str | None = None,
        phone_step: bool = False,
        acceptations: Sequence[Mapping[str, Any]] = (),
        redirect_url: Mapping[str, Any] | None = None,
    ) -> OnboardingCreated:
        """POST /integrations: the URL where the user starts (choice (e) for repeats)."""
        body: JsonObject = {"customId": custom_id, "lang": lang, "phoneStep": phone_step}
        if webhook:
            body["webhook"] = webhook
        if phone_country_code:
            body["phoneCountryCode"] = phone_country_code
        if phone:
            body["phone"] = phone
        if acceptations:
            body["acceptations"] = [
                {"mandatory": bool(a.get("mandatory")), "text": str(a.get("text") or "")}
                for a in acceptations
            ]
        if redirect_url is not None:
            body["redirectUrl"] = dict(redirect_url)
        answer = self._fetch("POST", "/integrations", route="/integrations", json=body)
        status_code = answer.status_code
        payload = self._json(answer)
        onboarding_id = payload.get("onboardingId")
        if not isinstance(onboarding_id, str) or not valid_onboarding_id(onboarding_id):
            raise ProviderError(
                "the creation answer has no valid onboardingId",
                status_code=status_code,
                provider=PROVIDER,
            )
        url = payload.get("url")
        return OnboardingCreated(
            onboarding_id=onboarding_id,
            url=url if isinstance(url, str) and url else None,
            status=str(payload.get("status") or ""),
            created=status_code == 201,
        )

    def result(self, onboarding_id: str) -> JsonObject:
        """GET /integrations/:onboardingId/result: status, OCR, biometry, logs, evidences."""
        path = self._onboarding_path(onboarding_id, "result")
        return self._json(self._fetch("GET", path, route="/integrations/{id}/result"))

    @contextmanager
    def evidences(self, onboarding_id: str) -> Iterator[IO[bytes]]:
        """The evidence ZIP of /integrations/:onboardingId/evidences as an open file.

        GET first, POST after a 405 (choice (g)); capped at ``zip_max_bytes``.
        """
        path = self._onboarding_path(onboarding_id, "evidences")
        route = "/integrations/{id}/evidences"
        limit = self.zip_max_bytes

        def too_large() -> ProviderError:
            return EvidenceArchiveRejected(
                f"the evidence ZIP is larger than {limit:,} bytes",
                status_code=200,
                provider=PROVIDER,
            )

        try:
            answer = self._fetch("GET", path, route=route, limit=limit, too_large=too_large)
        except ProviderRejected as exc:
            if exc.status_code != 405:
                raise
            answer = self._fetch("POST", path, route=route, limit=limit, too_large=too_large)
        with answer.body:
            yield answer.body

    def probe(self) -> None:
        """Choice (k): a 404 for a random id proves the token is accepted."""
        try:
            self.result(f"kycdash-probe-{uuid.uuid4().hex}")
        except ProviderNotFound:
            return
