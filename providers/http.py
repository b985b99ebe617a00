"""The HTTP machinery every provider client shares: retries, error mapping, logging.

A provider client subclasses ``ProviderHTTPClient`` and adds one typed method per
endpoint; what is particular to a provider (its paths, its auth, its error body) stays
in its own ``client.py`` as a hook override. This docstring is the one description
of the policy the clients refer to.

Retries. 429, 5xx, timeouts and network errors (``httpx.TransportError``) are retried
up to ``max_retries`` times (default ``settings.PROVIDER_MAX_RETRIES``) with
full-jitter exponential backoff: before retry ``n + 1`` the client sleeps
``random.uniform(0, min(cap, base * 2**n))``, ``base`` = ``backoff_base`` (default
``settings.PROVIDER_BACKOFF_BASE_SECONDS``), ``cap`` = ``backoff_cap`` (30 s). When
the answer has a ``Retry-After`` (seconds or an HTTP date) the client waits exactly
that long instead; a ``Retry-After`` longer than the cap ends the call at once, since
waiting it out belongs to the caller's outbox rather than to a blocked worker. When
the retries are spent the last failure is raised: ``ProviderUnavailable``.

Errors. An answer below 400 is returned. Otherwise the provider's message is taken
from the error body (``_error_message``: by default its ``message``, else its
``error``, else the HTTP reason phrase) and mapped by status (``_error``): 401/403
``ProviderAuthError``, 404 ``ProviderNotFound``, any other 4xx ``ProviderRejected``
(never retried), 429/5xx ``ProviderUnavailable`` (retried), each with the HTTP status,
the message and the provider's name. A client whose API has its own codes overrides
``_error``; a client that must repeat a call once on some answer (a token refresh on
a 401) passes ``repeat`` to ``_call``: that repeat is immediate and not a retry.

Write calls may carry an ``Idempotency-Key`` header; ``_request`` sends the same key
on every retry of one call, which is what makes retrying a write safe.

Logs go to the provider client's own logger (``_logger``), prefixed with its
``log_name``: the method, the route (a path template where the path holds ids; never
a query string, a body or a credential), the status, the time and the attempt. A
success is logged at DEBUG, a failed answer or a network error at WARNING.

Timeouts are ``settings.PROVIDER_TIMEOUT_SECONDS`` unless given. ``transport`` and
``sleep`` are injectable, for tests (``httpx.MockTransport`` and a list's ``append``).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, ClassVar, Final, Protocol, Self, TypedDict, TypeVar

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

BACKOFF_CAP_SECONDS: Final = 30.0
IDEMPOTENCY_HEADER: Final = "Idempotency-Key"

JsonObject = dict[str, Any]


class Answer(Protocol):
    """What the retry loop reads of an answer: an ``httpx.Response`` or a client's own."""

    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> httpx.Headers: ...


A = TypeVar("A", bound=Answer)
C = TypeVar("C", bound="ProviderHTTPClient")


class TransportOptions(TypedDict, total=False):
    """The transport settings every client's constructor takes as keyword arguments."""

    timeout: float | None
    max_retries: int | None
    backoff_base: float | None
    backoff_cap: float
    transport: httpx.BaseTransport | None
    sleep: Callable[[float], None]


# ---------------------------------------------------------------- helpers


def is_retryable_status(status: int) -> bool:
    return status == 429 or status >= 500


def reason_phrase(status: int) -> str:
    """The HTTP reason phrase of ``status``, or ``HTTP <status>`` for an unknown one."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """``Retry-After`` as seconds from now (0 or more); None when absent or unreadable."""
    raw = headers.get("Retry-After", "").strip()
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


def json_or_none(response: httpx.Response) -> Any:
    """The response's JSON body, or None when it has none."""
    try:
        return response.json()
    except ValueError:
        return None


@contextmanager
def client_session(client: C | None, make: Callable[[], C]) -> Iterator[C]:
    """An adapter's client for one piece of work: the injected ``client`` as it is (its
    owner closes it), else a fresh one from ``make``, closed when the work is done."""
    if client is not None:
        yield client
        return
    with make() as fresh:
        yield fresh


# ---------------------------------------------------------------- the client


class ProviderHTTPClient:
    """Base of the provider clients: an ``httpx.Client`` plus the policy described above.

    Subclasses set ``provider`` (the name in errors), ``log_name`` and ``_logger``, and
    implement ``connection_arguments`` (what ``from_connection`` reads of a connection).
    """

    provider: ClassVar[str] = ""
    log_name: ClassVar[str] = "provider"
    _logger: ClassVar[logging.Logger] = logging.getLogger(__name__)

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str],
        timeout: float | None = None,
        max_retries: int | None = None,
        backoff_base: float | None = None,
        backoff_cap: float = BACKOFF_CAP_SECONDS,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
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
            headers=dict(headers),
        )

    @classmethod
    def connection_arguments(cls, connection: ProviderConnection) -> dict[str, Any]:
        """The constructor's keyword arguments taken from a connection's credentials."""
        raise NotImplementedError

    @classmethod
    def from_connection(cls, connection: ProviderConnection, **options: Any) -> Self:
        return cls(connection.base_url, **cls.connection_arguments(connection), **options)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------ hooks

    def _error_message(self, answer: Any) -> str:
        """The provider's message in an error answer: ``message``, else ``error``, else the
        HTTP reason phrase. Override for another error body."""
        body = json_or_none(answer)
        if isinstance(body, dict):
            for key in ("message", "error"):
                if isinstance(body.get(key), str) and body[key]:
                    return body[key]
        return reason_phrase(answer.status_code)

    def _error(self, answer: Any) -> ProviderError:
        """The typed error of an answer of 400 or more (retried when ``.retryable``)."""
        return self._status_error(answer.status_code, self._error_message(answer))

    def _status_error(self, status: int, message: str) -> ProviderError:
        """The error for ``status``: 429/5xx unavailable, 401/403 auth, 404 not found, or
        rejected."""
        if is_retryable_status(status):
            cls: type[ProviderError] = ProviderUnavailable
        elif status in (401, 403):
            cls = ProviderAuthError
        elif status == 404:
            cls = ProviderNotFound
        else:
            cls = ProviderRejected
        return cls(message, status_code=status, provider=self.provider)

    def _log_note(self, answer: Any) -> str:
        """Something of the answer to add to its log line after the attempt (no PII)."""
        return ""

    # ------------------------------------------------------------ transport

    def _backoff(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds to wait before retry ``attempt + 1``; None: do not retry in-process."""
        if retry_after is not None:
            return retry_after if retry_after <= self.backoff_cap else None
        return random.uniform(0, min(self.backoff_cap, self.backoff_base * 2**attempt))

    def _call(
        self,
        method: str,
        route: str,
        send: Callable[[], A],
        *,
        repeat: Callable[[A], bool] | None = None,
    ) -> A:
        """``send()`` (one HTTP exchange) with retries; ``route`` is the path as logged.

        ``repeat(answer)`` is asked about every failed answer first: True repeats the
        call at once, not counted as a retry (the caller bounds how often it says so).
        """
        attempt = 0
        while True:
            started = time.monotonic()
            retry_after: float | None = None
            try:
                answer = send()
            except httpx.TransportError as exc:
                self._logger.warning(
                    "%s %s %s failed: %s (attempt %d)",
                    self.log_name,
                    method,
                    route,
                    type(exc).__name__,
                    attempt + 1,
                )
                failure: ProviderError = ProviderUnavailable(
                    f"{type(exc).__name__} while calling {route}", provider=self.provider
                )
            else:
                status = answer.status_code
                # Successes are routine (debug); failed answers are worth a line.
                self._logger.log(
                    logging.DEBUG if status < 400 else logging.WARNING,
                    "%s %s %s -> %s in %.0f ms (attempt %d%s)",
                    self.log_name,
                    method,
                    route,
                    status,
                    (time.monotonic() - started) * 1000,
                    attempt + 1,
                    self._log_note(answer),
                )
                if status < 400:
                    return answer
                if repeat is not None and repeat(answer):
                    continue
                failure = self._error(answer)
                if not failure.retryable:
                    raise failure
                retry_after = retry_after_seconds(answer.headers)
            if attempt >= self.max_retries:
                raise failure
            delay = self._backoff(attempt, retry_after)
            if delay is None:
                raise failure
            self._sleep(delay)
            attempt += 1

    def _request(
        self,
        method: str,
        path: str,
        *,
        route: str | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        **request_options: Any,
    ) -> httpx.Response:
        """One request with retries; ``route`` (default: ``path``) is what is logged, so
        give a template whenever ``path`` holds an id. ``idempotency_key`` is sent as
        ``Idempotency-Key`` on every attempt; other keywords go to ``httpx``."""
        sent = dict(headers or {})
        if idempotency_key:
            sent[IDEMPOTENCY_HEADER] = idempotency_key
        return self._call(
            method,
            route or path,
            lambda: self._http.request(
                method, path, params=params, json=json, headers=sent, **request_options
            ),
        )

    def _json(self, response: httpx.Response) -> JsonObject:
        """The response's body, which must be a JSON object."""
        return self._json_object(json_or_none(response), response.status_code)

    def _json_object(self, body: Any, status_code: int) -> JsonObject:
        if not isinstance(body, dict):
            raise ProviderError(
                f"{self.provider} answered with a body that is not a JSON object",
                status_code=status_code,
                provider=self.provider,
            )
        return body
