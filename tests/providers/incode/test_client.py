"""IncodeClient: headers, retries with backoff, error mapping, paging (HTTP mocked)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging

import httpx
import pytest

from providers.base import (
    ProviderAuthError,
    ProviderError,
    ProviderNotFound,
    ProviderRejected,
    ProviderUnavailable,
)
from providers.incode.client import IncodeClient
from tests.providers.incode.conftest import ADMIN_TOKEN, API_KEY, tiny_png

OK_STATUS = {"onboardingStatus": "ONBOARDING_FINISHED"}


def error(status: int, message: str, path: str = "/omni/get/onboarding/status") -> httpx.Response:
    return httpx.Response(
        status,
        json={
            "timestamp": 1584639032757,
            "status": status,
            "error": "whatever",
            "message": message,
            "path": path,
        },
    )


class Script:
    """A MockTransport handler answering from a list of responses (or exceptions)."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def make_client(script, *, sleeps=None, **kwargs) -> IncodeClient:
    kwargs.setdefault("max_retries", 3)
    kwargs.setdefault("backoff_base", 0.5)
    return IncodeClient(
        "http://incode.test/base/",
        api_key=API_KEY,
        admin_token=ADMIN_TOKEN,
        transport=httpx.MockTransport(script),
        sleep=(sleeps.append if sleeps is not None else lambda s: None),
        **kwargs,
    )


def test_every_call_carries_the_three_auth_headers_and_the_base_path():
    script = Script(httpx.Response(200, json=OK_STATUS))
    client = make_client(script)
    assert client.onboarding_status("abc") == OK_STATUS
    sent = script.requests[0]
    assert sent.headers["api-version"] == "1.0"
    assert sent.headers["x-api-key"] == API_KEY
    assert sent.headers["X-Incode-Hardware-Id"] == ADMIN_TOKEN
    assert str(sent.url) == "http://incode.test/base/omni/get/onboarding/status?id=abc"


def test_timeout_comes_from_settings(settings):
    settings.PROVIDER_TIMEOUT_SECONDS = 7.5
    client = IncodeClient("http://incode.test", api_key="k", admin_token="t")
    assert client._http.timeout == httpx.Timeout(7.5)


@pytest.mark.parametrize("missing", ["api_key", "admin_token"])
def test_missing_credentials_are_an_auth_error(missing):
    credentials = {"api_key": "k", "admin_token": "t", missing: ""}
    with pytest.raises(ProviderAuthError, match=missing):
        IncodeClient("http://incode.test", **credentials)


def test_exhausted_retries_raise_unavailable_with_the_providers_status_and_message():
    script = Script(error(503, "Service temporarily unavailable."))
    sleeps: list[float] = []
    client = make_client(script, sleeps=sleeps, max_retries=2)
    with pytest.raises(ProviderUnavailable) as raised:
        client.ocr_data("abc")
    assert len(script.requests) == 3
    assert len(sleeps) == 2
    assert raised.value.status_code == 503
    assert raised.value.message == "Service temporarily unavailable."
    assert raised.value.provider == "Incode"
    assert raised.value.retryable


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("eof"),
    ],
)
def test_network_errors_and_timeouts_are_retried(exc):
    script = Script(exc, httpx.Response(200, json=OK_STATUS))
    assert make_client(script).onboarding_status("abc") == OK_STATUS
    assert len(script.requests) == 2


def test_network_errors_exhausted_raise_unavailable_without_status():
    script = Script(httpx.ConnectError("refused"))
    with pytest.raises(ProviderUnavailable) as raised:
        make_client(script, max_retries=1).onboarding_status("abc")
    assert raised.value.status_code is None
    assert "ConnectError" in raised.value.message
    assert len(script.requests) == 2


@pytest.mark.parametrize(
    ("status", "exc_type"),
    [
        (401, ProviderAuthError),
        (403, ProviderAuthError),
        (404, ProviderNotFound),
        (400, ProviderRejected),
        (405, ProviderRejected),
        (422, ProviderRejected),
    ],
)
def test_4xx_map_to_typed_errors_without_retry(status, exc_type):
    script = Script(error(status, f"message for {status}"))
    sleeps: list[float] = []
    with pytest.raises(exc_type) as raised:
        make_client(script, sleeps=sleeps).score("abc")
    assert raised.value.status_code == status
    assert raised.value.message == f"message for {status}"
    assert raised.value.provider == "Incode"
    assert len(script.requests) == 1 and sleeps == []


def test_error_without_json_body_uses_the_reason_phrase():
    script = Script(httpx.Response(400, text="<html>nope</html>"))
    with pytest.raises(ProviderRejected) as raised:
        make_client(script).score("abc")
    assert raised.value.message == "Bad Request"


def test_a_200_that_is_not_a_json_object_is_an_error():
    script = Script(httpx.Response(200, json=["not", "an", "object"]))
    with pytest.raises(ProviderError, match="not a JSON object"):
        make_client(script).score("abc")


def test_write_retries_keep_one_idempotency_key():
    script = Script(
        error(503, "down"), httpx.ReadTimeout("slow"), httpx.Response(200, json={"success": True})
    )
    response = make_client(script).manual_review(
        "abc", "APPROVED", new_reason="verified", idempotency_key="key-123"
    )
    assert response.status_code == 200 and response.body == {"success": True}
    assert [r.headers["Idempotency-Key"] for r in script.requests] == ["key-123"] * 3
    assert json.loads(script.requests[0].content) == {
        "manualReviewStatus": "APPROVED",
        "newReason": "verified",
    }
    assert script.requests[0].method == "PUT"
    assert script.requests[0].url.params["interviewId"] == "abc"


def test_write_without_a_key_generates_one_and_keeps_it():
    script = Script(error(500, "boom"), httpx.Response(200, json={"success": True}))
    make_client(script).resolve_antifraud("abc", reason="twins", idempotency_key=None)
    keys = {r.headers["Idempotency-Key"] for r in script.requests}
    assert len(keys) == 1 and keys.pop()
    assert script.requests[0].url.params["reason"] == "twins"


def test_reads_send_no_idempotency_key():
    script = Script(httpx.Response(200, json=OK_STATUS))
    make_client(script).onboarding_status("abc")
    assert "Idempotency-Key" not in script.requests[0].headers


def test_manual_review_rejects_an_unknown_status_before_calling():
    script = Script(httpx.Response(200, json={"success": True}))
    with pytest.raises(ValueError):
        make_client(script).manual_review("abc", "MAYBE", idempotency_key="k")
    assert script.requests == []


def test_images_decode_base64_and_tolerate_a_data_uri_prefix():
    png = tiny_png()
    encoded = base64.b64encode(png).decode()
    script = Script(
        httpx.Response(200, json={"selfie": encoded}),
        httpx.Response(200, json={"selfie": f"data:image/png;base64,{encoded}"}),
        httpx.Response(200, json={}),
        httpx.Response(200, json={"selfie": "***"}),
    )
    client = make_client(script)
    assert client.images("abc", "selfie") == png
    assert client.images("abc", "selfie") == png
    assert client.images("abc", "selfie") is None
    with pytest.raises(ProviderError, match="not valid base64"):
        client.images("abc", "selfie")
    assert json.loads(script.requests[0].content) == {"images": ["selfie"]}


def test_watchlist_record_body():
    script = Script(httpx.Response(200, json={"success": True}))
    make_client(script).add_watchlist_record(
        name="ANNA WEBER",
        birth_date=dt.date(1990, 12, 28),
        id_number="ZYW503007",
        idempotency_key="k",
    )
    assert json.loads(script.requests[0].content) == {
        "watchlistType": "BLACKLIST",
        "name": "ANNA WEBER",
        "birthDate": "662342400000",
        "idNumber": "ZYW503007",
    }


def test_iter_interviews_walks_every_page_with_from():
    pages = [
        {
            "interviews": [
                {"interviewId": f"id{page}{i}", "onboardingStatus": "UNKNOWN", "updatedAt": 1000}
                for i in range(2 if page < 2 else 1)
            ],
            "page": page,
            "totalPages": 3,
            "totalElements": 5,
        }
        for page in range(3)
    ]
    script = Script(*(httpx.Response(200, json=p) for p in pages))
    since = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    rows = list(make_client(script).iter_interviews(since=since, size=2))
    assert [r.interview_id for r in rows] == ["id00", "id01", "id10", "id11", "id20"]
    assert rows[0].updated_at == dt.datetime(1970, 1, 1, 0, 0, 1, tzinfo=dt.UTC)
    assert [r.url.params["page"] for r in script.requests] == ["0", "1", "2"]
    assert {r.url.params["from"] for r in script.requests} == {"1735689600000"}
    assert {r.url.params["size"] for r in script.requests} == {"2"}


def test_iter_interviews_stops_on_an_empty_page_whatever_totalpages_says():
    script = Script(
        httpx.Response(
            200, json={"interviews": [], "page": 0, "totalPages": 99, "totalElements": 0}
        )
    )
    assert list(make_client(script).iter_interviews()) == []
    assert len(script.requests) == 1


def test_logs_carry_no_credentials_query_or_personal_data(caplog):
    caplog.set_level(logging.DEBUG, logger="providers.incode")
    script = Script(
        error(503, "down"),
        httpx.Response(200, json={"name": {"fullName": "ANNA WEBER"}, "documentNumber": "Z1"}),
    )
    make_client(script).ocr_data("65f1aa00000000000000abcd")
    text = caplog.text
    assert "/omni/get/ocr-data" in text and "503" in text
    for secret in (API_KEY, ADMIN_TOKEN, "ANNA", "Z1", "65f1aa00000000000000abcd", "id="):
        assert secret not in text
