"""KycApiClient: OAuth2 token and its cache, retries, error mapping, lists, files (HTTP
mocked with httpx.MockTransport)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
from urllib.parse import parse_qs

import httpx
import pytest
from django.core.cache import cache

from providers.base import (
    ProviderAuthError,
    ProviderError,
    ProviderNotFound,
    ProviderRejected,
    ProviderUnavailable,
)
from providers.kycapi import client as client_module
from providers.kycapi.client import KycApiClient, iso, parse_date, parse_datetime
from tests.providers.kycapi.conftest import CLIENT_ID, CLIENT_SECRET, api_error, tiny_jpeg

SESSION = {"session_id": "s-1", "status_e": "complete"}


class Script:
    """A MockTransport handler: token requests get a token (or ``tokens`` in turn);
    API requests get ``answers`` in turn (the last one repeats); exceptions are raised."""

    def __init__(self, *answers, tokens=None):
        self.answers = list(answers)
        self.tokens = list(tokens or [])
        self.requests: list[httpx.Request] = []
        self.token_requests: list[httpx.Request] = []
        self.issued = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth/token"):
            self.token_requests.append(request)
            if self.tokens:
                answer = self.tokens.pop(0) if len(self.tokens) > 1 else self.tokens[0]
                if isinstance(answer, Exception):
                    raise answer
                return answer
            self.issued += 1
            return httpx.Response(
                200,
                json={
                    "access_token": f"tok-{self.issued}",
                    "token_type": "Bearer",
                    "expires_in": 3600,
                },
            )
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def make_client(script, *, sleeps=None, **kwargs) -> KycApiClient:
    kwargs.setdefault("max_retries", 3)
    kwargs.setdefault("backoff_base", 0.5)
    return KycApiClient(
        "http://kycapi.test/base/",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        transport=httpx.MockTransport(script),
        sleep=(sleeps.append if sleeps is not None else lambda s: None),
        **kwargs,
    )


def ok(body=None) -> httpx.Response:
    return httpx.Response(200, json=SESSION if body is None else body)


# ---------------------------------------------------------------- token


def test_the_token_request_is_client_credentials_with_basic_auth():
    script = Script(ok())
    make_client(script).read_session("s-1")
    (sent,) = script.token_requests
    assert sent.method == "POST"
    assert str(sent.url) == "http://kycapi.test/base/oauth/token"
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(sent.content.decode()) == {"grant_type": ["client_credentials"]}
    expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert sent.headers["Authorization"] == f"Basic {expected}"
    assert "X-Client-Id" not in sent.headers


def test_every_api_call_carries_the_bearer_token_and_x_client_id_and_a_json_body():
    script = Script(ok())
    assert make_client(script).read_session("s-1") == SESSION
    (sent,) = script.requests
    assert sent.method == "POST"
    assert str(sent.url) == "http://kycapi.test/base/idv/sessions/read"
    assert sent.headers["Authorization"] == "Bearer tok-1"
    assert sent.headers["X-Client-Id"] == CLIENT_ID
    assert json.loads(sent.content) == {"session_id": "s-1"}


def test_the_token_is_cached_in_djangos_cache_across_clients():
    script = Script(ok())
    make_client(script).read_session("s-1")
    make_client(script).read_session("s-2")  # another client object, as another process would
    assert len(script.token_requests) == 1
    assert [r.headers["Authorization"] for r in script.requests] == ["Bearer tok-1"] * 2
    assert cache.get(make_client(script).token_key) == "tok-1"


def test_the_cache_key_changes_with_the_connection_and_its_credentials():
    def key(base="http://a.test", secret=CLIENT_SECRET, scope="conn-1") -> str:
        return KycApiClient(
            base, client_id=CLIENT_ID, client_secret=secret, cache_scope=scope
        ).token_key

    keys = {key(), key(scope="conn-2"), key(secret="rotated-secret"), key(base="http://b.test")}
    assert len(keys) == 4
    assert key() == key(base="http://a.test/")
    assert not any(CLIENT_SECRET in k or "rotated-secret" in k for k in keys)


def test_the_token_expires_from_the_cache_before_it_expires_at_the_api(monkeypatch):
    timeouts = []
    real_set = cache.set
    monkeypatch.setattr(
        client_module.cache,
        "set",
        lambda key, value, timeout: timeouts.append(timeout) or real_set(key, value, timeout),
    )
    script = Script(
        ok(),
        tokens=[
            httpx.Response(
                200, json={"access_token": "a", "token_type": "Bearer", "expires_in": 3600}
            ),
        ],
    )
    make_client(script).read_session("s-1")
    cache.clear()
    script.tokens = [
        httpx.Response(200, json={"access_token": "b", "token_type": "bearer", "expires_in": 40})
    ]
    make_client(script).read_session("s-1")
    cache.clear()
    script.tokens = [httpx.Response(200, json={"access_token": "c", "token_type": "Bearer"})]
    make_client(script).read_session("s-1")
    assert timeouts == [3570, 20, 270]  # 30 s early; half of a short life; default 300 s


def test_a_401_refreshes_the_token_once_and_repeats_the_call():
    script = Script(api_error(401, "The access token expired or was revoked"), ok())
    cache.set(make_client(script).token_key, "stale", 600)
    assert make_client(script).read_session("s-1") == SESSION
    assert [r.headers["Authorization"] for r in script.requests] == ["Bearer stale", "Bearer tok-1"]
    assert len(script.token_requests) == 1
    assert cache.get(make_client(script).token_key) == "tok-1"


def test_a_second_401_is_an_auth_error_without_more_retries():
    script = Script(api_error(401, "Unauthorized"))
    sleeps: list[float] = []
    with pytest.raises(ProviderAuthError) as raised:
        make_client(script, sleeps=sleeps).read_session("s-1")
    assert raised.value.status_code == 401
    assert raised.value.message == "Unauthorized"
    assert len(script.requests) == 2 and len(script.token_requests) == 2
    assert sleeps == []


def test_a_403_is_an_auth_error_and_keeps_the_token():
    script = Script(api_error(403, "X-Client-Id does not match the access token's client"))
    with pytest.raises(ProviderAuthError) as raised:
        make_client(script).read_session("s-1")
    assert raised.value.status_code == 403
    assert len(script.requests) == 1
    assert cache.get(make_client(script).token_key) == "tok-1"


def test_wrong_client_credentials_are_an_auth_error_with_the_oauth_description():
    refused = httpx.Response(
        401,
        json={"error": "invalid_client", "error_description": "Client authentication failed."},
    )
    script = Script(ok(), tokens=[refused])
    with pytest.raises(ProviderAuthError) as raised:
        make_client(script).read_session("s-1")
    assert raised.value.status_code == 401
    assert raised.value.message == "invalid_client: Client authentication failed."
    assert script.requests == []


def test_the_token_endpoint_is_retried_when_down():
    script = Script(ok(), tokens=[api_error(503, "Service Unavailable"), api_error(502, "x"), None])
    script.tokens[-1] = httpx.Response(
        200, json={"access_token": "late", "token_type": "Bearer", "expires_in": 60}
    )
    assert make_client(script).read_session("s-1") == SESSION
    assert len(script.token_requests) == 3
    assert script.requests[0].headers["Authorization"] == "Bearer late"


@pytest.mark.parametrize(
    "answer",
    [
        {"token_type": "Bearer", "expires_in": 60},
        {"access_token": "", "expires_in": 60},
        {"access_token": "x", "token_type": "mac", "expires_in": 60},
    ],
)
def test_a_token_answer_without_a_usable_bearer_token_is_an_error(answer):
    script = Script(ok(), tokens=[httpx.Response(200, json=answer)])
    with pytest.raises(ProviderError):
        make_client(script).read_session("s-1")
    assert script.requests == []


@pytest.mark.parametrize("missing", ["client_id", "client_secret"])
def test_missing_credentials_are_an_auth_error(missing):
    credentials = {"client_id": "c", "client_secret": "s", missing: ""}
    with pytest.raises(ProviderAuthError, match=missing):
        KycApiClient("http://kycapi.test", **credentials)


def test_timeout_comes_from_settings(settings):
    settings.PROVIDER_TIMEOUT_SECONDS = 7.5
    client = KycApiClient("http://kycapi.test", client_id="c", client_secret="s")
    assert client._http.timeout == httpx.Timeout(7.5)


# ---------------------------------------------------------------- retries and errors


def test_exhausted_retries_raise_unavailable_with_the_apis_status_and_message():
    script = Script(api_error(503, "Service Unavailable"))
    sleeps: list[float] = []
    with pytest.raises(ProviderUnavailable) as raised:
        make_client(script, sleeps=sleeps, max_retries=2).read_session_tests("s-1")
    assert len(script.requests) == 3 and len(sleeps) == 2
    assert raised.value.status_code == 503
    assert raised.value.message == "Service Unavailable"
    assert raised.value.provider == "KYC API"
    assert raised.value.retryable


@pytest.mark.parametrize(
    "exc",
    [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("x")],
)
def test_network_errors_and_timeouts_are_retried(exc):
    script = Script(exc, ok())
    assert make_client(script).read_session("s-1") == SESSION
    assert len(script.requests) == 2


def test_network_errors_exhausted_raise_unavailable_without_status():
    script = Script(httpx.ConnectError("refused"))
    with pytest.raises(ProviderUnavailable) as raised:
        make_client(script, max_retries=1).read_session("s-1")
    assert raised.value.status_code is None
    assert "ConnectError" in raised.value.message
    assert len(script.requests) == 2


@pytest.mark.parametrize(
    ("status", "exc_type"),
    [
        (403, ProviderAuthError),
        (404, ProviderNotFound),
        (400, ProviderRejected),
        (409, ProviderRejected),
        (415, ProviderRejected),
        (422, ProviderRejected),
    ],
)
def test_4xx_map_to_typed_errors_without_retry(status, exc_type):
    script = Script(api_error(status, f"message for {status}"))
    sleeps: list[float] = []
    with pytest.raises(exc_type) as raised:
        make_client(script, sleeps=sleeps).read_session("s-1")
    assert raised.value.status_code == status
    assert raised.value.message == f"message for {status}"
    assert not raised.value.retryable
    assert len(script.requests) == 1 and sleeps == []


def test_a_list_of_validation_messages_is_joined():
    script = Script(api_error(400, ["session_id must be a string", "take must not be less than 1"]))
    with pytest.raises(ProviderRejected) as raised:
        make_client(script).read_session("s-1")
    assert raised.value.message == "session_id must be a string; take must not be less than 1"


def test_error_without_json_body_uses_the_reason_phrase():
    script = Script(httpx.Response(400, text="<html>nope</html>"))
    with pytest.raises(ProviderRejected) as raised:
        make_client(script).read_session("s-1")
    assert raised.value.message == "Bad Request"


def test_a_200_that_is_not_a_json_object_is_an_error():
    script = Script(httpx.Response(200, json=["not", "an", "object"]))
    with pytest.raises(ProviderError, match="not a JSON object"):
        make_client(script).read_session("s-1")


# ---------------------------------------------------------------- lists


def page(rows_key: str, rows: list, total: int | None, counts_key: str = "meta_counts"):
    counts = {} if total is None else {"total": total}
    return httpx.Response(200, json={rows_key: rows, counts_key: counts})


def test_iter_sessions_walks_take_and_skip_until_the_total_with_filters():
    rows = [{"session_id": f"s{i}"} for i in range(5)]
    script = Script(
        page("sessions", rows[0:2], 5),
        page("sessions", rows[2:4], 5),
        page("sessions", rows[4:], 5),
    )
    since = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    found = list(make_client(script).iter_sessions(status="complete", start_date=since, take=2))
    assert [r["session_id"] for r in found] == ["s0", "s1", "s2", "s3", "s4"]
    sent = [json.loads(r.content) for r in script.requests]
    assert [(b["take"], b["skip"]) for b in sent] == [(2, 0), (2, 2), (2, 4)]
    assert {b["status"] for b in sent} == {"complete"}
    assert {b["start_date"] for b in sent} == {"2025-01-01T00:00:00.000Z"}
    assert all(r.url.path.endswith("/idv/sessions/list") for r in script.requests)


def test_iter_sessions_trusts_the_total_when_the_api_caps_take():
    rows = [{"session_id": f"s{i}"} for i in range(4)]
    script = Script(page("sessions", rows[0:2], 4), page("sessions", rows[2:4], 4))
    found = list(make_client(script).iter_sessions(take=100))
    assert len(found) == 4
    assert [json.loads(r.content)["skip"] for r in script.requests] == [0, 2]


def test_without_a_total_a_short_page_ends_the_walk():
    script = Script(page("sessions", [{"session_id": "a"}], None))
    assert len(list(make_client(script).iter_sessions(take=10))) == 1
    assert len(script.requests) == 1


def test_an_empty_page_ends_the_walk_whatever_the_total_says():
    script = Script(page("sessions", [], 99))
    assert list(make_client(script).iter_sessions()) == []
    assert len(script.requests) == 1


def test_rows_that_are_not_objects_are_skipped_but_counted_for_the_offset():
    script = Script(
        page("sessions", [{"session_id": "a"}, "junk"], 3),
        page("sessions", [{"session_id": "b"}], 3),
    )
    found = list(make_client(script).iter_sessions(take=2))
    assert [r["session_id"] for r in found] == ["a", "b"]
    assert [json.loads(r.content)["skip"] for r in script.requests] == [0, 2]


def test_a_list_answer_without_its_array_is_an_error():
    script = Script(ok({"meta_counts": {"total": 1}}))
    with pytest.raises(ProviderError, match="no sessions array"):
        make_client(script).list_sessions()


def test_list_sessions_rejects_an_unknown_status_before_calling():
    script = Script(ok())
    with pytest.raises(ValueError):
        make_client(script).list_sessions(status="done")
    assert script.requests == []


def test_documents_and_ida_sessions_and_webhooks_use_their_paths_and_bodies():
    script = Script(
        page("documents", [{"document_id": "d"}], 1),
        page("sessions", [{"session_id": "ida"}], 1),
        page("webhooks", [{"id": "w"}], 1, "statistics"),
    )
    client = make_client(script)
    assert [d["document_id"] for d in client.iter_documents("s-1")] == ["d"]
    assert [s["session_id"] for s in client.iter_ida_sessions(identity_id="i-1")] == ["ida"]
    assert [w["id"] for w in client.iter_webhooks(search_term="kycdash-x")] == ["w"]
    paths = [r.url.path.removeprefix("/base") for r in script.requests]
    assert paths == ["/idv/documents/list", "/ida/sessions/list", "/webhooks/list"]
    bodies = [json.loads(r.content) for r in script.requests]
    assert bodies == [
        {"session_id": "s-1", "take": 100, "skip": 0},
        {"identity_id": "i-1", "take": 100, "skip": 0},
        {"take": 100, "skip": 0, "search_term": "kycdash-x"},
    ]


# ---------------------------------------------------------------- reads, files, writes


def test_reads_use_their_paths():
    script = Script(ok({"a": 1}))
    client = make_client(script)
    client.read_session("s-1")
    client.read_session_tests("s-1")
    client.read_document("s-1")
    paths = [r.url.path.removeprefix("/base") for r in script.requests]
    assert paths == ["/idv/sessions/read", "/idv/session-tests/read", "/idv/documents/read"]
    assert {r.content for r in script.requests} == {b'{"session_id":"s-1"}'}


def test_download_returns_the_files_bytes():
    jpeg = tiny_jpeg()
    script = Script(httpx.Response(200, content=jpeg, headers={"Content-Type": "image/jpeg"}))
    assert make_client(script).download_document("s-1", "selfie") == jpeg
    assert json.loads(script.requests[0].content) == {
        "session_id": "s-1",
        "storage_file_type_e": "selfie",
    }


@pytest.mark.parametrize("content", [b"", b"null", b"  null\n"])
def test_an_empty_or_null_download_is_no_file(content):
    script = Script(
        httpx.Response(200, content=content, headers={"Content-Type": "application/json"})
    )
    assert make_client(script).download_document("s-1", "selfie") is None


def test_a_json_download_is_never_taken_for_a_file():
    script = Script(httpx.Response(200, json={"message": "queued"}))
    with pytest.raises(ProviderError, match="is JSON, not a file"):
        make_client(script).download_document("s-1", "selfie")


def test_a_missing_file_is_not_found():
    script = Script(api_error(404, "No selfie file for this session"))
    with pytest.raises(ProviderNotFound):
        make_client(script).download_document("s-1", "selfie")


def test_download_rejects_an_unknown_file_type_before_calling():
    script = Script(ok())
    with pytest.raises(ValueError):
        make_client(script).download_document("s-1", "portrait")
    assert script.requests == []


def test_anonymize_and_delete():
    script = Script(ok({}))
    client = make_client(script)
    assert client.anonymize_session("s-1").status_code == 200
    deleted = client.delete_session("s-1")
    assert (deleted.status_code, deleted.body, deleted.already_gone) == (200, {}, False)
    paths = [r.url.path.removeprefix("/base") for r in script.requests]
    assert paths == ["/idv/sessions/anonymize", "/idv/sessions/delete"]
    assert all(json.loads(r.content) == {"session_id": "s-1"} for r in script.requests)


def test_a_delete_of_a_session_already_gone_is_not_an_error():
    script = Script(api_error(404, "Session not found"))
    deleted = make_client(script).delete_session("s-1")
    assert deleted.already_gone and deleted.status_code == 404
    assert deleted.body == {"message": "Session not found"}


def test_a_delete_that_times_out_is_retried_and_then_found_gone():
    script = Script(httpx.ReadTimeout("slow"), api_error(404, "Session not found"))
    assert make_client(script).delete_session("s-1").already_gone


def test_an_empty_write_answer_is_an_empty_body():
    script = Script(httpx.Response(200, content=b""))
    assert make_client(script).anonymize_session("s-1").body == {}


def test_webhook_create_sends_the_secret_extension_and_delete_the_id():
    script = Script(httpx.Response(201, json={}), ok({}))
    client = make_client(script)
    created = client.create_webhook(name="kycdash-1", url="https://k.test/webhooks/1/", secret="s3")
    assert created.status_code == 201
    client.delete_webhook("w-1")
    bodies = [json.loads(r.content) for r in script.requests]
    assert bodies == [
        {"name": "kycdash-1", "url": "https://k.test/webhooks/1/", "secret": "s3"},
        {"id": "w-1"},
    ]


def test_webhook_create_without_a_secret_sends_none():
    script = Script(httpx.Response(201, json={}))
    make_client(script).create_webhook(name="n", url="https://k.test/")
    assert json.loads(script.requests[0].content) == {"name": "n", "url": "https://k.test/"}


# ---------------------------------------------------------------- health


def test_health_is_a_get_without_authentication():
    script = Script(ok({"status": "ok", "version": "2.10.15"}))
    assert make_client(script).check_health()["version"] == "2.10.15"
    (sent,) = script.requests
    assert sent.method == "GET" and sent.url.path == "/base/health"
    assert "Authorization" not in sent.headers
    assert script.token_requests == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"status": "error", "error": "database unreachable"}, "database unreachable"),
        ({"status": "degraded"}, "the health check says degraded"),
        ({}, "the health check says nothing"),
    ],
)
def test_an_unhealthy_answer_is_unavailable(body, message):
    with pytest.raises(ProviderUnavailable) as raised:
        make_client(Script(ok(body))).check_health()
    assert raised.value.message == message


# ---------------------------------------------------------------- helpers and logs


def test_dates_and_times():
    assert iso(dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)) == "2025-03-01T12:00:00.000Z"
    assert iso(dt.datetime(2025, 3, 1, 12, 0)) == "2025-03-01T12:00:00.000Z"
    assert parse_datetime("2025-03-01T12:00:00.250Z") == dt.datetime(
        2025, 3, 1, 12, 0, 0, 250000, tzinfo=dt.UTC
    )
    assert parse_datetime("2025-03-01T12:00:00") == dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC)
    assert parse_datetime("soon") is None and parse_datetime(None) is None
    assert parse_date("1990-12-28") == dt.date(1990, 12, 28)
    assert parse_date("1990-12-28T00:00:00Z") == dt.date(1990, 12, 28)
    assert parse_date("28/12/1990") is None and parse_date("") is None


def test_logs_carry_no_credentials_tokens_ids_or_personal_data(caplog):
    caplog.set_level(logging.DEBUG, logger="providers.kycapi")
    script = Script(
        api_error(401, "expired"),
        api_error(503, "down"),
        ok({"session_id": "3018d03e", "first_name": "GRACE", "birth_date": "1968-11-17"}),
    )
    make_client(script).read_session("3018d03e")
    text = caplog.text
    assert "/idv/sessions/read" in text and "503" in text and "401" in text
    for secret in (CLIENT_SECRET, "tok-1", "tok-2", "GRACE", "1968", "3018d03e", CLIENT_ID):
        assert secret not in text
