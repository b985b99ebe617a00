"""providers.http: the retry loop, error mapping and logging every provider client shares."""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
from typing import Any

import httpx
import pytest

from providers import http as http_module
from providers.base import (
    ProviderAuthError,
    ProviderError,
    ProviderNotFound,
    ProviderRejected,
    ProviderUnavailable,
    file_extension,
    header,
    secrets_match,
)
from providers.http import ProviderHTTPClient, client_session, retry_after_seconds

logger = logging.getLogger("tests.providers.test_http")


class Script:
    """A MockTransport handler answering with the given responses (or raising), in order."""

    def __init__(self, *answers: httpx.Response | Exception):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


class DemoClient(ProviderHTTPClient):
    provider = "Demo"
    log_name = "demo"
    _logger = logger

    @classmethod
    def connection_arguments(cls, connection: Any) -> dict[str, Any]:
        return {"headers": {"X-Key": connection.credentials["key"]}}

    def item(self, item_id: str) -> dict[str, Any]:
        return self._json(self._request("GET", f"/items/{item_id}", route="/items/{id}"))

    def put(self, item_id: str, *, idempotency_key: str) -> httpx.Response:
        return self._request(
            "PUT",
            f"/items/{item_id}",
            route="/items/{id}",
            json={"a": 1},
            idempotency_key=idempotency_key,
        )


def make_client(script, *, sleeps=None, **kwargs) -> DemoClient:
    kwargs.setdefault("max_retries", 3)
    kwargs.setdefault("backoff_base", 0.5)
    return DemoClient(
        "http://demo.test/base/",
        headers={"X-Key": "secret-key"},
        transport=httpx.MockTransport(script),
        sleep=(sleeps.append if sleeps is not None else lambda s: None),
        **kwargs,
    )


def answer(status: int, body: Any = None, **headers: str) -> httpx.Response:
    return httpx.Response(
        status, json={"message": "nope"} if body is None else body, headers=headers
    )


OK = httpx.Response(200, json={"id": "a1"})


# ---------------------------------------------------------------- construction


def test_defaults_come_from_settings(settings):
    settings.PROVIDER_TIMEOUT_SECONDS = 7.5
    settings.PROVIDER_MAX_RETRIES = 5
    settings.PROVIDER_BACKOFF_BASE_SECONDS = 0.25
    client = DemoClient("http://demo.test/", headers={})
    assert client._http.timeout == httpx.Timeout(7.5)
    assert (client.max_retries, client.backoff_base, client.backoff_cap) == (5, 0.25, 30.0)


def test_base_url_and_default_headers_are_sent():
    script = Script(OK)
    assert make_client(script).item("a1") == {"id": "a1"}
    sent = script.requests[0]
    assert str(sent.url) == "http://demo.test/base/items/a1"
    assert sent.headers["X-Key"] == "secret-key"


def test_from_connection_reads_the_connection_and_passes_transport_options():
    class Connection:
        base_url = "http://demo.test/"
        credentials = {"key": "k2"}

    script = Script(OK)
    with DemoClient.from_connection(Connection(), transport=httpx.MockTransport(script)) as c:
        c.item("a1")
        http = c._http
    assert script.requests[0].headers["X-Key"] == "k2"
    assert http.is_closed


# ---------------------------------------------------------------- retries


def test_a_503_is_retried_then_the_success_returned():
    sleeps: list[float] = []
    script = Script(answer(503), OK)
    assert make_client(script, sleeps=sleeps).item("a1") == {"id": "a1"}
    assert len(script.requests) == 2
    assert len(sleeps) == 1


def test_backoff_is_full_jitter_exponential_and_capped(monkeypatch):
    bounds: list[tuple[float, float]] = []
    monkeypatch.setattr(http_module.random, "uniform", lambda a, b: bounds.append((a, b)) or 0.1)
    sleeps: list[float] = []
    script = Script(answer(500), answer(502), answer(503), OK)
    make_client(script, sleeps=sleeps, backoff_base=1, backoff_cap=3).item("a1")
    assert bounds == [(0, 1), (0, 2), (0, 3)]
    assert sleeps == [0.1, 0.1, 0.1]


def test_retries_spent_raise_provider_unavailable_with_the_status():
    sleeps: list[float] = []
    script = Script(*(answer(503, {"message": "down"}) for _ in range(3)))
    with pytest.raises(ProviderUnavailable) as caught:
        make_client(script, sleeps=sleeps, max_retries=2).item("a1")
    assert caught.value.status_code == 503
    assert caught.value.message == "down"
    assert caught.value.provider == "Demo"
    assert len(script.requests) == 3 and len(sleeps) == 2


def test_retry_after_seconds_is_honoured():
    sleeps: list[float] = []
    script = Script(answer(429, **{"Retry-After": "7"}), OK)
    make_client(script, sleeps=sleeps).item("a1")
    assert sleeps == [7.0]


def test_retry_after_as_an_http_date_is_honoured():
    sleeps: list[float] = []
    when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=20)
    script = Script(answer(503, **{"Retry-After": email.utils.format_datetime(when)}), OK)
    make_client(script, sleeps=sleeps).item("a1")
    assert len(sleeps) == 1 and 15 <= sleeps[0] <= 20


def test_retry_after_beyond_the_cap_ends_the_call_at_once():
    sleeps: list[float] = []
    script = Script(answer(429, **{"Retry-After": "120"}), OK)
    with pytest.raises(ProviderUnavailable) as caught:
        make_client(script, sleeps=sleeps, backoff_cap=30).item("a1")
    assert caught.value.status_code == 429
    assert sleeps == [] and len(script.requests) == 1


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [("", None), ("3", 3.0), ("-4", 0.0), ("soon", None), ("Mon, 01 Jan 2001 00:00:00 GMT", 0.0)],
)
def test_retry_after_parsing(raw, seconds):
    assert retry_after_seconds(httpx.Headers({"Retry-After": raw})) == seconds


def test_a_transport_error_is_retried_then_provider_unavailable():
    sleeps: list[float] = []
    script = Script(httpx.ConnectError("refused"), httpx.ReadTimeout("slow"))
    with pytest.raises(ProviderUnavailable) as caught:
        make_client(script, sleeps=sleeps, max_retries=1).item("a1")
    assert caught.value.status_code is None
    assert caught.value.message == "ReadTimeout while calling /items/{id}"
    assert len(sleeps) == 1


def test_a_transport_error_then_success_returns_the_success():
    script = Script(httpx.ConnectError("refused"), OK)
    assert make_client(script).item("a1") == {"id": "a1"}


# ---------------------------------------------------------------- 4xx


@pytest.mark.parametrize(
    ("status", "exc_type"),
    [
        (400, ProviderRejected),
        (401, ProviderAuthError),
        (403, ProviderAuthError),
        (404, ProviderNotFound),
        (409, ProviderRejected),
        (422, ProviderRejected),
    ],
)
def test_4xx_map_to_typed_errors_without_retry(status, exc_type):
    sleeps: list[float] = []
    script = Script(answer(status, {"message": "the reason"}), OK)
    with pytest.raises(exc_type) as caught:
        make_client(script, sleeps=sleeps).item("a1")
    assert type(caught.value) is exc_type
    assert not caught.value.retryable
    assert (caught.value.status_code, caught.value.message) == (status, "the reason")
    assert len(script.requests) == 1 and sleeps == []


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (httpx.Response(400, json={"error": "Bad thing"}), "Bad thing"),
        (httpx.Response(400, json={"message": "", "error": "Bad thing"}), "Bad thing"),
        (httpx.Response(400, text="<html>oops</html>"), "Bad Request"),
        (httpx.Response(499, text=""), "HTTP 499"),
    ],
)
def test_the_default_message_falls_back_to_error_then_the_reason_phrase(response, message):
    with pytest.raises(ProviderError) as caught:
        make_client(Script(response)).item("a1")
    assert caught.value.message == message


def test_a_provider_hook_maps_its_own_codes():
    class CodeClient(DemoClient):
        def _error(self, answer):
            if answer.json().get("code") == "busy":
                return ProviderUnavailable("busy", status_code=answer.status_code)
            return super()._error(answer)

    sleeps: list[float] = []
    script = Script(answer(409, {"code": "busy"}), OK)
    client = CodeClient(
        "http://demo.test",
        headers={},
        transport=httpx.MockTransport(script),
        sleep=sleeps.append,
        max_retries=2,
        backoff_base=0.5,
    )
    assert client.item("a1") == {"id": "a1"}
    assert len(sleeps) == 1


def test_repeat_hook_repeats_at_once_without_counting_a_retry():
    sleeps: list[float] = []
    script = Script(answer(401), answer(401), OK)
    client = make_client(script, sleeps=sleeps, max_retries=0)
    asked: list[int] = []

    def once(response: httpx.Response) -> bool:
        asked.append(response.status_code)
        return len(asked) == 1

    def send() -> httpx.Response:
        return client._http.get("/items/a1")

    with pytest.raises(ProviderAuthError):
        client._call("GET", "/items/{id}", send, repeat=once)
    assert asked == [401, 401] and len(script.requests) == 2 and sleeps == []


# ---------------------------------------------------------------- idempotency, JSON, logs


def test_the_idempotency_key_is_the_same_on_every_retry():
    script = Script(answer(503), httpx.ConnectError("refused"), OK)
    make_client(script).put("a1", idempotency_key="key-1")
    assert [r.headers["Idempotency-Key"] for r in script.requests] == ["key-1"] * 3


def test_no_idempotency_key_no_header():
    script = Script(OK)
    make_client(script).item("a1")
    assert "Idempotency-Key" not in script.requests[0].headers


@pytest.mark.parametrize("body", [b"[1, 2]", b"not json", b""])
def test_a_200_that_is_not_a_json_object_is_an_error(body):
    with pytest.raises(ProviderError) as caught:
        make_client(Script(httpx.Response(200, content=body))).item("a1")
    assert type(caught.value) is ProviderError
    assert caught.value.message == "Demo answered with a body that is not a JSON object"
    assert caught.value.status_code == 200


def test_logs_carry_the_route_status_and_attempt_not_ids_or_credentials(caplog):
    caplog.set_level(logging.DEBUG, logger=logger.name)
    script = Script(answer(503), httpx.ConnectError("refused"), OK)
    make_client(script).item("person-4711")
    lines = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert lines[0][0] == logging.WARNING
    assert lines[0][1].startswith("demo GET /items/{id} -> 503 in ")
    assert lines[0][1].endswith("(attempt 1)")
    assert lines[1] == (logging.WARNING, "demo GET /items/{id} failed: ConnectError (attempt 2)")
    assert lines[2][0] == logging.DEBUG and "-> 200" in lines[2][1]
    assert "(attempt 3)" in lines[2][1]
    for secret in ("person-4711", "secret-key"):
        assert secret not in caplog.text


# ---------------------------------------------------------------- adapter helpers


def test_client_session_keeps_an_injected_client_open_and_closes_a_fresh_one():
    injected = make_client(Script())
    with client_session(injected, lambda: pytest.fail("made a client")) as client:
        assert client is injected
    assert not injected._http.is_closed

    made: list[DemoClient] = []

    def make() -> DemoClient:
        made.append(make_client(Script()))
        return made[-1]

    with client_session(None, make) as client:
        assert client is made[0] and not client._http.is_closed
    assert made[0]._http.is_closed


def test_header_lookup_is_case_insensitive_on_a_plain_dict():
    headers = {"x-webhook-secret": "s3"}
    assert header(headers, "X-Webhook-Secret") == "s3"
    assert header(headers, "X-Other") == ""


@pytest.mark.parametrize(
    ("given", "expected", "match"),
    [("abc", "abc", True), ("abd", "abc", False), ("", "", False), ("abc", "", False)],
)
def test_secrets_match(given, expected, match):
    assert secrets_match(given, expected) is match


@pytest.mark.parametrize(
    ("content", "extension"),
    [
        (b"\xff\xd8\xff\xe0rest", "jpg"),
        (b"\x89PNG\r\n\x1a\nrest", "png"),
        (b"%PDF-1.7", "pdf"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "webp"),
        (b"GIF89a", "bin"),
    ],
)
def test_file_extension(content, extension):
    assert file_extension(content) == extension


def test_evidence_file_skips_empty_and_oversized_downloads(settings):
    from providers.base import evidence_file

    settings.EVIDENCE_MAX_BYTES = 10
    common = {"kind": "front", "external_ref": "croppedFrontID", "stem": "front", "provider": "t"}
    assert evidence_file(content=b"", **common) is None
    assert evidence_file(content=None, **common) is None
    assert evidence_file(content=b"\xff\xd8\xff" + b"x" * 20, **common) is None
    file = evidence_file(content=b"\xff\xd8\xffabc", **common)
    assert file is not None
    assert (file.kind, file.external_ref, file.filename) == ("front", "croppedFrontID", "front.jpg")
