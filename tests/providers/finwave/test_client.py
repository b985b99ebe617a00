"""FinwaveClient: headers, base path, retries with backoff, error mapping, limits (HTTP mocked)."""

from __future__ import annotations

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
from providers.finwave.client import EvidenceArchiveRejected, FinwaveClient, api_root
from tests.providers.finwave.conftest import TOKEN

RESULT = {"status": "FINISHED", "onboardingId": "abc", "customId": "c1"}


def error(status: int, message) -> httpx.Response:
    return httpx.Response(
        status, json={"statusCode": status, "message": message, "error": "whatever"}
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


def make_client(script, *, sleeps=None, base_url="http://finwave.test/base", **kwargs):
    kwargs.setdefault("max_retries", 3)
    kwargs.setdefault("backoff_base", 0.5)
    return FinwaveClient(
        base_url,
        client_token=TOKEN,
        transport=httpx.MockTransport(script),
        sleep=(sleeps.append if sleeps is not None else lambda s: None),
        **kwargs,
    )


def test_every_call_carries_the_token_and_the_base_path():
    script = Script(httpx.Response(200, json=RESULT))
    assert make_client(script).result("abc") == RESULT
    sent = script.requests[0]
    assert sent.headers["gestok-client-token"] == TOKEN
    assert sent.method == "GET"
    assert str(sent.url) == "http://finwave.test/base/management/integrations/abc/result"


@pytest.mark.parametrize(
    ("base_url", "root"),
    [
        ("https://idgateway-dev.finwave.com", "https://idgateway-dev.finwave.com/management"),
        ("https://idgateway-dev.finwave.com/", "https://idgateway-dev.finwave.com/management"),
        (
            "https://idgateway-dev.finwave.com/management/",
            "https://idgateway-dev.finwave.com/management",
        ),
        ("http://h/sandbox/finwave", "http://h/sandbox/finwave/management"),
    ],
)
def test_the_base_path_is_added_when_missing(base_url, root):
    assert api_root(base_url) == root


def test_timeout_comes_from_settings(settings):
    settings.PROVIDER_TIMEOUT_SECONDS = 7.5
    client = FinwaveClient("http://finwave.test", client_token="t")
    assert client._http.timeout == httpx.Timeout(7.5)


def test_a_missing_token_is_an_auth_error():
    with pytest.raises(ProviderAuthError, match="client_token"):
        FinwaveClient("http://finwave.test", client_token="")


@pytest.mark.parametrize("bad_id", ["", ".", "..", "a b", "a\nb", "x" * 201])
def test_an_unsafe_onboarding_id_is_refused_before_any_call(bad_id):
    script = Script(httpx.Response(200, json=RESULT))
    with pytest.raises(ProviderRejected, match="not a valid"):
        make_client(script).result(bad_id)
    assert script.requests == []


def test_an_onboarding_id_is_percent_encoded_into_the_path():
    script = Script(httpx.Response(404, json={"message": "nope"}))
    with pytest.raises(ProviderNotFound):
        make_client(script).result("a/../../b?c")
    assert (
        script.requests[0].url.raw_path
        == b"/base/management/integrations/a%2F..%2F..%2Fb%3Fc/result"
    )


def test_exhausted_retries_raise_unavailable_with_the_providers_status_and_message():
    script = Script(error(503, "Service temporarily unavailable."))
    sleeps: list[float] = []
    with pytest.raises(ProviderUnavailable) as raised:
        make_client(script, sleeps=sleeps, max_retries=2).result("abc")
    assert len(script.requests) == 3 and len(sleeps) == 2
    assert raised.value.status_code == 503
    assert raised.value.message == "Service temporarily unavailable."
    assert raised.value.provider == "Finwave"
    assert raised.value.retryable


@pytest.mark.parametrize(
    "exc",
    [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("eof")],
)
def test_network_errors_and_timeouts_are_retried(exc):
    script = Script(exc, httpx.Response(200, json=RESULT))
    assert make_client(script).result("abc") == RESULT
    assert len(script.requests) == 2


def test_network_errors_exhausted_raise_unavailable_without_status():
    with pytest.raises(ProviderUnavailable) as raised:
        make_client(Script(httpx.ConnectError("refused")), max_retries=1).result("abc")
    assert raised.value.status_code is None
    assert "ConnectError" in raised.value.message


@pytest.mark.parametrize(
    ("status", "exc_type"),
    [
        (401, ProviderAuthError),
        (403, ProviderAuthError),
        (404, ProviderNotFound),
        (400, ProviderRejected),
        (409, ProviderRejected),
        (422, ProviderRejected),
    ],
)
def test_4xx_map_to_typed_errors_without_retry(status, exc_type):
    script = Script(error(status, f"message for {status}"))
    sleeps: list[float] = []
    with pytest.raises(exc_type) as raised:
        make_client(script, sleeps=sleeps).result("abc")
    assert raised.value.status_code == status
    assert raised.value.message == f"message for {status}"
    assert raised.value.provider == "Finwave"
    assert not raised.value.retryable
    assert len(script.requests) == 1 and sleeps == []


def test_a_list_of_validation_messages_is_joined():
    script = Script(error(400, ["customId must be a non-empty string", "lang must be ENG"]))
    with pytest.raises(ProviderRejected) as raised:
        make_client(script).create_onboarding(custom_id="")
    assert raised.value.message == "customId must be a non-empty string; lang must be ENG"


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (httpx.Response(400, text="<html>nope</html>"), "Bad Request"),
        (httpx.Response(404, json={"error": "Not Found"}), "Not Found"),
        (httpx.Response(401, json={"message": ""}), "Unauthorized"),
    ],
)
def test_error_bodies_without_a_message(response, message):
    with pytest.raises(ProviderError) as raised:
        make_client(Script(response)).result("abc")
    assert raised.value.message == message


def test_a_200_that_is_not_a_json_object_is_an_error():
    with pytest.raises(ProviderError, match="not a JSON object"):
        make_client(Script(httpx.Response(200, json=["not", "an", "object"]))).result("abc")


def test_create_onboarding_sends_the_documented_body():
    script = Script(
        httpx.Response(
            201, json={"onboardingId": "i8x5CWpwU0AvQ", "url": "https://u", "status": "CREATED"}
        )
    )
    created = make_client(script).create_onboarding(
        custom_id="customer-1",
        webhook="https://kyc.example/webhooks/x/secret/",
        phone_country_code="+34",
        phone="600111222",
        phone_step=True,
        acceptations=[{"mandatory": True, "text": "Privacy policy"}],
        redirect_url={"type": 3, "url": "", "waitingTime": 0},
    )
    assert created.onboarding_id == "i8x5CWpwU0AvQ"
    assert created.url == "https://u" and created.status == "CREATED" and created.created
    sent = script.requests[0]
    assert (sent.method, sent.url.path) == ("POST", "/base/management/integrations")
    assert json.loads(sent.content) == {
        "customId": "customer-1",
        "lang": "ENG",
        "phoneStep": True,
        "webhook": "https://kyc.example/webhooks/x/secret/",
        "phoneCountryCode": "+34",
        "phone": "600111222",
        "acceptations": [{"mandatory": True, "text": "Privacy policy"}],
        "redirectUrl": {"type": 3, "url": "", "waitingTime": 0},
    }


def test_a_repeated_creation_is_200_with_no_url_once_started():
    script = Script(
        httpx.Response(200, json={"onboardingId": "abc", "url": None, "status": "INPROCESS"})
    )
    created = make_client(script).create_onboarding(custom_id="customer-1")
    assert (created.created, created.url, created.status) == (False, None, "INPROCESS")


def test_a_creation_answer_without_an_id_is_an_error():
    script = Script(httpx.Response(201, json={"url": "https://u", "status": "CREATED"}))
    with pytest.raises(ProviderError, match="onboardingId"):
        make_client(script).create_onboarding(custom_id="customer-1")


def test_evidences_downloads_the_zip_with_get():
    script = Script(httpx.Response(200, content=b"PK\x05\x06" + bytes(18)))
    with make_client(script).evidences("abc") as archive:
        assert archive.read() == b"PK\x05\x06" + bytes(18)
    assert script.requests[0].method == "GET"
    assert script.requests[0].url.path == "/base/management/integrations/abc/evidences"


def test_evidences_falls_back_to_post_on_405():
    script = Script(error(405, "Method Not Allowed"), httpx.Response(200, content=b"zip"))
    with make_client(script).evidences("abc") as archive:
        assert archive.read() == b"zip"
    assert [r.method for r in script.requests] == ["GET", "POST"]


def test_evidences_other_4xx_are_not_retried_with_post():
    script = Script(error(404, "Onboarding abc not found."))
    with pytest.raises(ProviderNotFound), make_client(script).evidences("abc"):
        pass
    assert len(script.requests) == 1


def test_a_zip_over_the_download_cap_is_refused_by_its_content_length():
    script = Script(httpx.Response(200, content=b"x" * 100, headers={"Content-Length": "100"}))
    with (
        pytest.raises(EvidenceArchiveRejected) as raised,
        make_client(script, zip_max_bytes=50).evidences("abc"),
    ):
        pass
    assert not raised.value.retryable
    assert "larger than 50 bytes" in raised.value.message


def test_a_streamed_zip_over_the_download_cap_is_refused():
    def chunks():
        for _ in range(10):
            yield b"x" * 20

    script = Script(httpx.Response(200, content=chunks()))
    with (
        pytest.raises(EvidenceArchiveRejected),
        make_client(script, zip_max_bytes=50).evidences("abc"),
    ):
        pass


def test_an_oversized_result_is_an_error():
    script = Script(httpx.Response(200, json={"status": "FINISHED", "padding": "x" * 100}))
    with pytest.raises(ProviderError, match="larger than 10 bytes"):
        make_client(script, result_max_bytes=10).result("abc")


def test_probe_takes_a_404_as_an_accepted_token():
    script = Script(error(404, "Onboarding not found."))
    make_client(script).probe()
    assert script.requests[0].url.path.startswith("/base/management/integrations/kycdash-probe-")


def test_probe_raises_an_auth_error_for_a_bad_token():
    with pytest.raises(ProviderAuthError):
        make_client(Script(error(401, "Invalid client token."))).probe()


def test_logs_carry_no_token_id_or_personal_data(caplog):
    caplog.set_level(logging.DEBUG, logger="providers.finwave")
    script = Script(
        error(503, "down"),
        httpx.Response(200, json={"status": "FINISHED", "customId": "jane@example.com"}),
    )
    make_client(script).result("Oe5HgJ1sKz7dF")
    text = caplog.text
    assert "/integrations/{id}/result" in text and "503" in text
    for secret in (TOKEN, "jane@example.com", "Oe5HgJ1sKz7dF"):
        assert secret not in text
