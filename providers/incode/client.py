"""HTTP client of the Incode Omni API.

Follows ``shared/providers/incode-omni.txt`` (the Incode Omni API reference): every
call carries ``api-version: 1.0``, ``x-api-key`` and ``X-Incode-Hardware-Id``; errors
come back as ``{"timestamp", "status", "error", "message", "path"}``.

Credentials (the keys of ``ProviderConnection.credentials``):

- ``api_key``: the client API key issued by Incode, sent as ``x-api-key``.
- ``admin_token``: the token of Incode's admin login, sent as ``X-Incode-Hardware-Id``.
  The write calls kycdash makes (manual review, resolve antifraud, watchlist, PII
  delete) need an admin token, so it is one token for every call.

Choices made where the document is silent (the sandbox in ``providers/incode/sandbox``
implements exactly these):

(a) Listing sessions for sync. Incode documents no listing of interviews, so kycdash
    uses ``GET /omni/search/interviews?from=<epoch ms, optional>&page=<0-based>&size=<1..100>``
    answering ``{"interviews": [{"interviewId", "onboardingStatus", "updatedAt" (epoch ms)}],
    "page", "totalPages", "totalElements"}``, ordered by ``updatedAt`` ascending, holding
    only interviews updated at or after ``from``. Against the real Incode, sync needs
    such a listing on the account; notifications work without it. Paging is by
    offset: an interview updated during a walk moves to the end, so a caller should
    start its next walk a little before the previous one started (``from`` is
    inclusive and re-reading a session is harmless).

(b) The status-change notification ("notify-status-changed", which the document names
    without describing): ``POST <notification URL>`` with the JSON body
    ``{"eventId": "<unique id>", "interviewId", "onboardingStatus", "timestamp": <ms>}``
    and the header ``X-Webhook-Secret: <the connection's webhook secret>``, configured
    on Incode's side as a custom header of the notification URL. kycdash trusts
    nothing in the body beyond ``interviewId``: it re-reads the session through the API.

(c) Idempotency. Write calls send an ``Idempotency-Key`` header, the same key on every
    retry of one decision. The sandbox (keys scoped per API key) answers a repeated key
    with the first successful answer and does not apply the call again; a key reused
    for a different request gets 422. Incode does not document this header; the
    calls kycdash makes are safe to repeat anyway (setting a manual-review status
    or resolving antifraud twice has the effect of once; a watchlist entry is keyed
    by its unique fields), so the key is a belt to those braces.

Retries, the error mapping and logging are ``providers/http.py``'s: 401/403 raise
``ProviderAuthError``, 404 ``ProviderNotFound``, other 4xx ``ProviderRejected`` and
429/5xx/network errors, once retried, ``ProviderUnavailable``, each with the HTTP status
and Incode's ``message`` (else its ``error``).

Logs carry method, path (never the query string) and status only: no personal data,
no credentials.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Unpack

from providers.base import ProviderAuthError, ProviderError
from providers.http import JsonObject, ProviderHTTPClient, TransportOptions

if TYPE_CHECKING:
    from providers.models import ProviderConnection

logger = logging.getLogger(__name__)

PROVIDER: Final = "Incode"
API_VERSION: Final = "1.0"
LIST_PAGE_SIZE: Final = 100
MAX_LIST_PAGES: Final = 100_000  # a guard against a listing that never ends

# Image types kycdash downloads; the sandbox and Incode know many more.
IMAGE_TYPES: Final = ("croppedFrontID", "croppedBackID", "selfie", "croppedFace", "document")
MANUAL_REVIEW_STATUSES: Final = ("REQUIRED", "APPROVED", "REJECTED")


@dataclass(frozen=True)
class InterviewSummary:
    """One row of the interview listing."""

    interview_id: str
    onboarding_status: str
    updated_at_ms: int | None

    @property
    def updated_at(self) -> dt.datetime | None:
        return ms_to_datetime(self.updated_at_ms)


@dataclass(frozen=True)
class InterviewPage:
    """One page of the interview listing."""

    interviews: tuple[InterviewSummary, ...]
    page: int
    total_pages: int
    total_elements: int


@dataclass(frozen=True)
class WriteResponse:
    """The answer to a write call: HTTP status and JSON body."""

    status_code: int
    body: JsonObject


def ms_to_datetime(value: Any) -> dt.datetime | None:
    """Incode's epoch milliseconds (a number or a numeric string) as an aware datetime."""
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        return dt.datetime.fromtimestamp(int(float(value)) / 1000, tz=dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def datetime_to_ms(value: dt.datetime) -> int:
    return int(value.timestamp() * 1000)


class IncodeClient(ProviderHTTPClient):
    """Typed calls to the Incode Omni API; one method per endpoint kycdash uses."""

    provider = PROVIDER
    log_name = "incode"
    _logger = logger

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str,
        admin_token: str,
        **options: Unpack[TransportOptions],
    ):
        if not api_key:
            raise ProviderAuthError("the connection has no api_key credential", provider=PROVIDER)
        if not admin_token:
            raise ProviderAuthError(
                "the connection has no admin_token credential", provider=PROVIDER
            )
        super().__init__(
            base_url,
            headers={
                "api-version": API_VERSION,
                "x-api-key": api_key,
                "X-Incode-Hardware-Id": admin_token,
                "Accept": "application/json",
                "User-Agent": "kycdash-incode/1",
            },
            **options,
        )

    @classmethod
    def connection_arguments(cls, connection: ProviderConnection) -> dict[str, Any]:
        credentials = connection.credentials or {}
        return {
            "api_key": str(credentials.get("api_key") or ""),
            "admin_token": str(credentials.get("admin_token") or ""),
        }

    # ------------------------------------------------------------ transport

    def _get(self, path: str, params: Mapping[str, Any]) -> JsonObject:
        return self._json(self._request("GET", path, params=params))

    def _write(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        idempotency_key: str | None,
    ) -> WriteResponse:
        # One key for every retry of this call: that is what makes the retries safe.
        key = idempotency_key or uuid.uuid4().hex
        response = self._request(method, path, params=params, json=json, idempotency_key=key)
        return WriteResponse(response.status_code, self._json(response))

    # ------------------------------------------------------------ reads

    def onboarding_status(self, interview_id: str) -> JsonObject:
        """GET /omni/get/onboarding/status?id= -> ``{"onboardingStatus": ...}``."""
        return self._get("/omni/get/onboarding/status", {"id": interview_id})

    def score(self, interview_id: str) -> JsonObject:
        """GET /omni/get/score?id= -> idValidation, liveness, faceRecognition, overall…"""
        return self._get("/omni/get/score", {"id": interview_id})

    def ocr_data(self, interview_id: str) -> JsonObject:
        """GET /omni/get/ocr-data?id= -> what was read from the ID and address statement."""
        return self._get("/omni/get/ocr-data", {"id": interview_id})

    def antifraud(self, interview_id: str) -> JsonObject:
        """GET /omni/process/antifraud?id= -> ``{"result", "stepName"}``."""
        return self._get("/omni/process/antifraud", {"id": interview_id})

    def images(self, interview_id: str, image_type: str) -> bytes | None:
        """POST /omni/get/images?id= for one image type (as the document advises).

        Returns the decoded bytes, or None when the interview has no such image.
        """
        body = self._json(
            self._request(
                "POST",
                "/omni/get/images",
                params={"id": interview_id},
                json={"images": [image_type]},
            )
        )
        encoded = body.get(image_type)
        if not encoded or not isinstance(encoded, str):
            return None
        if encoded.startswith("data:") and "," in encoded:
            encoded = encoded.split(",", 1)[1]
        try:
            return base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ProviderError(
                f"image {image_type} is not valid base64", status_code=200, provider=PROVIDER
            ) from None

    def search_interviews(
        self, *, since: dt.datetime | None = None, page: int = 0, size: int = LIST_PAGE_SIZE
    ) -> InterviewPage:
        """One page of GET /omni/search/interviews (choice (a) above)."""
        params: dict[str, Any] = {"page": page, "size": size}
        if since is not None:
            params["from"] = datetime_to_ms(since)
        body = self._get("/omni/search/interviews", params)
        rows = body.get("interviews")
        if not isinstance(rows, list):
            raise ProviderError(
                "the interview listing has no interviews array", status_code=200, provider=PROVIDER
            )
        interviews = []
        for row in rows:
            if not isinstance(row, dict) or not isinstance(row.get("interviewId"), str):
                logger.warning("incode listing: skipped a row without an interviewId")
                continue
            updated = row.get("updatedAt")
            interviews.append(
                InterviewSummary(
                    interview_id=row["interviewId"],
                    onboarding_status=str(row.get("onboardingStatus") or ""),
                    updated_at_ms=int(updated)
                    if isinstance(updated, int | float) and not isinstance(updated, bool)
                    else None,
                )
            )

        def number(key: str, default: int) -> int:
            value = body.get(key)
            return value if isinstance(value, int) and not isinstance(value, bool) else default

        return InterviewPage(
            interviews=tuple(interviews),
            page=number("page", page),
            total_pages=number("totalPages", page + 1),
            total_elements=number("totalElements", len(interviews)),
        )

    def iter_interviews(
        self, *, since: dt.datetime | None = None, size: int = LIST_PAGE_SIZE
    ) -> Iterator[InterviewSummary]:
        """Every interview updated at or after ``since``, all pages, oldest first."""
        for page_number in range(MAX_LIST_PAGES):
            page = self.search_interviews(since=since, page=page_number, size=size)
            yield from page.interviews
            if not page.interviews or page_number + 1 >= page.total_pages:
                return

    # ------------------------------------------------------------ writes

    def manual_review(
        self,
        interview_id: str,
        status: str,
        *,
        new_reason: str | None = None,
        idempotency_key: str | None,
    ) -> WriteResponse:
        """PUT /omni/manual-review?interviewId= with REQUIRED, APPROVED or REJECTED."""
        if status not in MANUAL_REVIEW_STATUSES:
            raise ValueError(f"manual review status must be one of {MANUAL_REVIEW_STATUSES}")
        body: JsonObject = {"manualReviewStatus": status}
        if new_reason:
            body["newReason"] = new_reason
        return self._write(
            "PUT",
            "/omni/manual-review",
            params={"interviewId": interview_id},
            json=body,
            idempotency_key=idempotency_key,
        )

    def resolve_antifraud(
        self, interview_id: str, *, reason: str | None = None, idempotency_key: str | None
    ) -> WriteResponse:
        """PUT /omni/resolve/antifraud?interviewId=&reason="""
        params = {"interviewId": interview_id}
        if reason:
            params["reason"] = reason
        return self._write(
            "PUT", "/omni/resolve/antifraud", params=params, idempotency_key=idempotency_key
        )

    def add_watchlist_record(
        self,
        *,
        name: str | None = None,
        birth_date: dt.date | None = None,
        id_number: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        image_base64: str | None = None,
        watchlist_type: str = "BLACKLIST",
        idempotency_key: str | None,
    ) -> WriteResponse:
        """POST /omni/add/watchlist/single-record (needs one of id number, email, phone, face)."""
        body: JsonObject = {"watchlistType": watchlist_type}
        if name:
            body["name"] = name
        if birth_date is not None:
            midnight = dt.datetime(birth_date.year, birth_date.month, birth_date.day, tzinfo=dt.UTC)
            body["birthDate"] = str(datetime_to_ms(midnight))
        for key, value in (
            ("idNumber", id_number),
            ("email", email),
            ("phone", phone),
            ("imageBase64", image_base64),
        ):
            if value:
                body[key] = value
        return self._write(
            "POST",
            "/omni/add/watchlist/single-record",
            json=body,
            idempotency_key=idempotency_key,
        )

    def delete_interview(
        self,
        interview_id: str,
        *,
        keep_customer: bool = False,
        send_notification: bool = False,
        idempotency_key: str | None = None,
    ) -> WriteResponse:
        """DELETE /omni/interview?interviewId=: deletes the session's personal data."""
        params = {
            "interviewId": interview_id,
            "keepCustomer": "true" if keep_customer else "false",
            "sendNotification": "true" if send_notification else "false",
        }
        return self._write(
            "DELETE", "/omni/interview", params=params, idempotency_key=idempotency_key
        )
