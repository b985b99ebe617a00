"""FlonkClient: headers, retries with backoff, error codes, paging (HTTP mocked)."""

from __future__ import annotations

import datetime as dt
import json
import logging

import httpx
import pytest

from providers import http as provider_http
from providers.base import (
    ProviderAuthError,
    ProviderError,
    ProviderNotFound,
    ProviderRejected,
    ProviderUnavailable,
)
from providers.flonk.client import FlonkClient, error_code, format_datetime, parse_datetime
from tests.factories import ConnectionFactory
from tests.providers.flonk.conftest import SECRET_KEY, flonk_error, tiny_jpeg

SESSION = {"id": "cm5abc123def456", "status": "completed", "updatedAt": "2025-01-02T03:04:05.678Z"}


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


def make_client(script, *, sleeps=None, secret_key: str = SECRET_KEY, **kwargs) -> FlonkClient:
    kwargs.setdefault("max_retries", 3)
    kwargs.setdefault("backoff_base", 0.25)
    return FlonkClient(
        "http://flonk.test/base/",
        secret_key=secret_key,
        transport=httpx.MockTransport(script),
        sleep=(sleeps.append if sleeps is not None else lambda s: None),
        **kwargs,
    )


def test_every_call_carries_the_bearer_key_and_flonk_version():
    script = Script(httpx.Response(200, json=SESSION))
    assert make_client(script).get_session("cm5abc123def456") == SESSION
    sent = script.requests[0]
    assert sent.headers["Authorization"] == f"Bearer {SECRET_KEY}"
    assert sent.headers["Flonk-Version"] == "1.9.1"
    assert sent.headers["Accept"] == "application/json"
    assert str(sent.url) == "http://flonk.test/base/v1/sessions/cm5abc123def456"


def test_the_api_version_is_a_connection_option(db):
    connection = ConnectionFactory(
        provider="flonk",
        base_url="http://flonk.test",
        credentials={"secret_key": SECRET_KEY},
        options={"api_version": "1.8.2"},
    )
    script = Script(httpx.Response(200, json=SESSION))
    client = FlonkClient.from_connection(connection, transport=httpx.MockTransport(script))
    client.get_session("x")
    assert script.requests[0].headers["Flonk-Version"] == "1.8.2"


def test_timeout_comes_from_settings(settings):
    settings.PROVIDER_TIMEOUT_SECONDS = 7.5
    client = FlonkClient("http://flonk.test", secret_key=SECRET_KEY)
    assert client._http.timeout == httpx.Timeout(7.5)


@pytest.mark.parametrize(
    ("key", "test_mode"), [("sk_test_abc123", True), ("sk_live_abc123", False)]
)
def test_the_key_prefix_says_test_or_live_mode(key, test_mode):
    assert FlonkClient("http://flonk.test", secret_key=key).test_mode is test_mode


@pytest.mark.parametrize("key", ["", "pk_test_abc123", "abc123", "sk_abc"])
def test_a_missing_or_non_secret_key_is_refused_before_any_call(key):
    with pytest.raises(ProviderAuthError) as raised:
        FlonkClient("http://flonk.test", secret_key=key)
    assert key not in raised.value.message or not key  # the key is never echoed


def test_session_ids_are_percent_encoded_into_one_path_segment():
    script = Script(httpx.Response(200, json=SESSION))
    make_client(script).get_session("../admin/x y")
    assert script.requests[0].url.raw_path == b"/base/v1/sessions/..%2Fadmin%2Fx%20y"


def test_5xx_is_retried_with_full_jitter_exponential_backoff(monkeypatch):
    bounds = []

    def fake_uniform(low, high):
        bounds.append((low, high))
        return high / 2

    monkeypatch.setattr(provider_http.random, "uniform", fake_uniform)
    script = Script(
        flonk_error(503, "api_error", "down"),
        flonk_error(502, "api_error", "bad gateway"),
        httpx.Response(200, json=SESSION),
    )
    sleeps: list[float] = []
    assert make_client(script, sleeps=sleeps, backoff_base=0.25).get_session("x") == SESSION
    assert len(script.requests) == 3
    assert bounds == [(0, 0.25), (0, 0.5)]  # base * 2**attempt
    assert sleeps == [0.125, 0.25]


def test_exhausted_retries_raise_unavailable_with_the_code_and_message():
    script = Script(flonk_error(503, "api_error", "Service temporarily unavailable."))
    sleeps: list[float] = []
    with pytest.raises(ProviderUnavailable) as raised:
        make_client(script, sleeps=sleeps, max_retries=2).get_session("x")
    assert len(script.requests) == 3 and len(sleeps) == 2
    assert raised.value.status_code == 503
    assert raised.value.message == "api_error: Service temporarily unavailable."
    assert error_code(raised.value) == "api_error"
    assert raised.value.provider == "Flonk" and raised.value.retryable


def test_429_rate_limited_honours_retry_after():
    script = Script(
        httpx.Response(
            429,
            headers={"Retry-After": "2"},
            json={"statusCode": 429, "code": "rate_limited", "message": "slow down"},
        ),
        httpx.Response(200, json=SESSION),
    )
    sleeps: list[float] = []
    make_client(script, sleeps=sleeps).get_session("x")
    assert sleeps == [2.0]


@pytest.mark.parametrize(
    "exc",
    [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("eof")],
)
def test_network_errors_and_timeouts_are_retried(exc):
    script = Script(exc, httpx.Response(200, json=SESSION))
    assert make_client(script).get_session("x") == SESSION
    assert len(script.requests) == 2


def test_network_errors_exhausted_raise_unavailable_without_status():
    script = Script(httpx.ConnectError("refused"))
    with pytest.raises(ProviderUnavailable) as raised:
        make_client(script, max_retries=1).get_session("x")
    assert raised.value.status_code is None
    assert "ConnectError" in raised.value.message
    assert len(script.requests) == 2


@pytest.mark.parametrize(
    ("status", "code", "exc_type"),
    [
        (401, "authentication_error", ProviderAuthError),
        (401, "invalid_publishable_key", ProviderAuthError),
        (404, "session_not_found", ProviderNotFound),
        (410, "session_expired", ProviderRejected),
        (409, "session_invalid_state", ProviderRejected),
        (400, "validation_error", ProviderRejected),
        (422, "idempotency_error", ProviderRejected),  # a code Flonk added: by status
        (403, "brand_new_code", ProviderAuthError),
        (404, "image_not_found", ProviderNotFound),
    ],
)
def test_error_codes_map_to_typed_errors_without_retry(status, code, exc_type):
    script = Script(flonk_error(status, code, f"message for {status}"))
    sleeps: list[float] = []
    with pytest.raises(exc_type) as raised:
        make_client(script, sleeps=sleeps).get_session("x")
    assert raised.value.status_code == status
    assert raised.value.message == f"{code}: message for {status}"
    assert error_code(raised.value) == code
    assert len(script.requests) == 1 and sleeps == []


def test_a_retryable_code_on_a_4xx_is_retried():
    script = Script(flonk_error(400, "rate_limited", "slow"), httpx.Response(200, json=SESSION))
    assert make_client(script).get_session("x") == SESSION
    assert len(script.requests) == 2


def test_validation_messages_are_joined():
    script = Script(flonk_error(400, "validation_error", ["status should not be empty", "x"]))
    with pytest.raises(ProviderRejected) as raised:
        make_client(script).get_session("x")
    assert raised.value.message == "validation_error: status should not be empty; x"


def test_a_stripe_style_nested_error_body_is_read_too():
    script = Script(
        httpx.Response(404, json={"error": {"code": "session_not_found", "message": "gone"}})
    )
    with pytest.raises(ProviderNotFound) as raised:
        make_client(script).get_session("x")
    assert raised.value.message == "session_not_found: gone"


def test_an_error_without_json_uses_the_reason_phrase_and_no_code():
    script = Script(httpx.Response(400, text="<html>nope</html>"))
    with pytest.raises(ProviderRejected) as raised:
        make_client(script).get_session("x")
    assert raised.value.message == "Bad Request"
    assert error_code(raised.value) == ""


def test_a_200_that_is_not_a_json_object_is_an_error():
    script = Script(httpx.Response(200, json=["not", "an", "object"]))
    with pytest.raises(ProviderError, match="not a JSON object"):
        make_client(script).get_session("x")


def test_verification_is_none_while_the_session_has_none():
    script = Script(flonk_error(409, "session_invalid_state", "no verification yet"))
    assert make_client(script).get_verification("x") is None
    other = Script(flonk_error(409, "something_else", "no"))
    with pytest.raises(ProviderRejected):
        make_client(other).get_verification("x")


def test_images_are_listed_then_downloaded_as_bytes():
    jpeg = tiny_jpeg()
    script = Script(
        httpx.Response(
            200,
            json={
                "data": [
                    {"type": "front", "contentType": "image/jpeg", "size": len(jpeg)},
                    {"type": "face", "contentType": "image/jpeg", "size": True},
                    {"kind": "nonsense"},
                ]
            },
        ),
        httpx.Response(200, content=jpeg, headers={"Content-Type": "image/jpeg"}),
    )
    client = make_client(script)
    listed = client.list_images("x")
    assert [(i.image_type, i.size) for i in listed] == [("front", len(jpeg)), ("face", None)]
    assert client.download_image("x", "front") == jpeg
    assert script.requests[1].url.path == "/base/v1/sessions/x/images/front"
    with pytest.raises(ValueError):
        client.download_image("x", "../secret")


def test_writes_keep_one_idempotency_key_across_retries():
    script = Script(
        flonk_error(503, "api_error", "down"),
        httpx.ReadTimeout("slow"),
        httpx.Response(200, json={"status": "approved"}),
    )
    response = make_client(script).update_verification_status(
        "x", "approved", reason="verified", reviewed_by="alice", idempotency_key="key-123"
    )
    assert response.status_code == 200 and response.body == {"status": "approved"}
    assert [r.headers["Idempotency-Key"] for r in script.requests] == ["key-123"] * 3
    sent = script.requests[0]
    assert (sent.method, sent.url.path) == ("POST", "/base/v1/sessions/x/verification/status")
    assert json.loads(sent.content) == {
        "status": "approved",
        "reason": "verified",
        "reviewedBy": "alice",
    }


def test_a_replay_is_reported():
    script = Script(
        httpx.Response(200, json={"poaStatus": "approved"}, headers={"Idempotent-Replayed": "true"})
    )
    response = make_client(script).update_poa_status("x", "approved", idempotency_key="k")
    assert response.replayed
    assert script.requests[0].url.path == "/base/v1/sessions/x/poa/status"
    assert json.loads(script.requests[0].content) == {"status": "approved"}


def test_a_create_without_a_key_generates_one_and_keeps_it():
    script = Script(flonk_error(500, "api_error", "boom"), httpx.Response(201, json=SESSION))
    response = make_client(script).create_session(
        idempotency_key=None, document_type="id_card", expiry_minutes=30, language="de"
    )
    assert response.status_code == 201
    keys = {r.headers["Idempotency-Key"] for r in script.requests}
    assert len(keys) == 1 and keys.pop()
    assert json.loads(script.requests[0].content) == {
        "documentType": "id_card",
        "expiryMinutes": 30,
        "language": "de",
    }


def test_notes_are_trimmed_and_refused_when_empty():
    script = Script(httpx.Response(201, json={"id": "note_1"}))
    client = make_client(script)
    client.add_note("x", "  " + "n" * 6000, author="alice", idempotency_key="k:note")
    body = json.loads(script.requests[0].content)
    assert len(body["content"]) == 5000 and body["author"] == "alice"
    with pytest.raises(ValueError):
        client.add_note("x", "   ", idempotency_key="k2")
    with pytest.raises(ValueError):
        client.update_verification_status("x", "maybe", idempotency_key="k3")
    assert len(script.requests) == 1


def test_reads_send_no_idempotency_key():
    script = Script(httpx.Response(200, json=SESSION))
    make_client(script).get_session("x")
    assert "Idempotency-Key" not in script.requests[0].headers


def test_iter_sessions_follows_the_cursor_with_updated_since():
    pages = [
        {
            "data": [{**SESSION, "id": "a"}, {**SESSION, "id": "b"}],
            "hasMore": True,
            "nextCursor": "c1",
        },
        {"data": [{**SESSION, "id": "c"}, {"no": "id"}], "hasMore": True, "nextCursor": "c2"},
        {"data": [{**SESSION, "id": "d"}], "hasMore": False, "nextCursor": None},
    ]
    script = Script(*(httpx.Response(200, json=p) for p in pages))
    since = dt.datetime(2025, 1, 1, 12, 0, 0, 123456, tzinfo=dt.UTC)
    rows = list(make_client(script).iter_sessions(updated_since=since, limit=2))
    assert [r.session_id for r in rows] == ["a", "b", "c", "d"]
    assert rows[0].updated_at == dt.datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=dt.UTC)
    params = [dict(r.url.params) for r in script.requests]
    assert params[0] == {"limit": "2", "updatedSince": "2025-01-01T12:00:00.123Z"}
    assert [p.get("cursor") for p in params] == [None, "c1", "c2"]


def test_iter_sessions_stops_on_a_repeated_cursor():
    page = {"data": [{**SESSION, "id": "a"}], "hasMore": True, "nextCursor": "same"}
    script = Script(httpx.Response(200, json=page))
    assert [r.session_id for r in make_client(script).iter_sessions()] == ["a", "a"]
    assert len(script.requests) == 2


def test_a_listing_without_data_is_an_error():
    script = Script(httpx.Response(200, json={"sessions": []}))
    with pytest.raises(ProviderError, match="no data array"):
        make_client(script).list_sessions()


def test_datetimes_round_trip():
    moment = dt.datetime(2024, 10, 25, 14, 30, 0, 5000, tzinfo=dt.UTC)
    assert format_datetime(moment) == "2024-10-25T14:30:00.005Z"
    assert parse_datetime("2024-10-25T14:30:00.005Z") == moment
    assert parse_datetime("2024-10-25T14:30:00") == moment.replace(microsecond=0)
    assert parse_datetime("yesterday") is None and parse_datetime(None) is None


def test_logs_carry_no_key_session_id_query_or_personal_data(caplog):
    caplog.set_level(logging.DEBUG, logger="providers.flonk")
    script = Script(
        flonk_error(503, "api_error", "down"),
        httpx.Response(200, json={"extracted_data": {"full_name": "Anna Weber"}}),
    )
    make_client(script).get_verification("cm5secretsession0001")
    text = caplog.text
    assert "/v1/sessions/{id}/verification" in text and "503" in text
    for secret in (SECRET_KEY, "Anna", "cm5secretsession0001", "Bearer"):
        assert secret not in text
