"""LekoClient: auth headers, retries with backoff, error mapping, paging (HTTP mocked).

Requests the client builds are validated against the OpenAPI document, every one.
"""

from __future__ import annotations

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
from providers.leko.client import LekoClient, admin_approval_body, error_message
from tests.providers.leko import contract
from tests.providers.leko.conftest import (
    BASE_PATH,
    BASE_URL,
    TOKEN,
    USER_ID,
    FakeLeko,
    errors,
    load_payload,
    status_body,
    tiny_jpeg,
)

REVIEW = load_payload("admin_review")
REVIEW_ID = REVIEW["id"]
PAGE = {"data": [], "count": 0, "page": 0, "limit": 100, "total": 0}


class Script:
    """A MockTransport handler answering from a list of responses (or exceptions).

    Each request is checked against the document before it is answered.
    """

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        contract_request, _ = contract.from_httpx(request, base_path=BASE_PATH)
        contract.validate_request(contract_request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def make_client(handler, *, sleeps=None, **kwargs) -> LekoClient:
    kwargs.setdefault("max_retries", 3)
    kwargs.setdefault("backoff_base", 0.5)
    return LekoClient(
        BASE_URL + "/",
        token=kwargs.pop("token", TOKEN),
        user_id=kwargs.pop("user_id", USER_ID),
        transport=httpx.MockTransport(handler),
        sleep=(sleeps.append if sleeps is not None else lambda s: None),
        **kwargs,
    )


# ---------------------------------------------------------------- auth and settings


def test_every_call_carries_the_bearer_token_and_current_user_and_the_base_path():
    script = Script(httpx.Response(200, json=REVIEW))
    assert make_client(script).verification(REVIEW_ID) == REVIEW
    sent = script.requests[0]
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["x-current-user-id"] == USER_ID
    assert sent.headers["Accept"] == "application/json"
    assert str(sent.url) == f"http://leko.test/v1/verifications/{REVIEW_ID}"


def test_a_token_pasted_with_its_bearer_prefix_is_sent_once():
    script = Script(httpx.Response(200, json=REVIEW))
    make_client(script, token=f"  Bearer {TOKEN} ").verification(REVIEW_ID)
    assert script.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_the_user_id_is_sent_in_canonical_form():
    script = Script(httpx.Response(200, json=REVIEW))
    make_client(script, user_id=USER_ID.upper()).verification(REVIEW_ID)
    assert script.requests[0].headers["x-current-user-id"] == USER_ID


@pytest.mark.parametrize(
    ("credentials", "fragment"),
    [
        ({"token": "", "user_id": USER_ID}, "token"),
        ({"token": "Bearer ", "user_id": USER_ID}, "token"),
        ({"token": TOKEN, "user_id": ""}, "user_id"),
        ({"token": TOKEN, "user_id": "admin-123"}, "user_id"),
    ],
)
def test_missing_or_malformed_credentials_are_an_auth_error(credentials, fragment):
    with pytest.raises(ProviderAuthError, match=fragment) as raised:
        LekoClient(BASE_URL, **credentials)
    assert TOKEN not in str(raised.value)


def test_timeout_comes_from_settings(settings):
    settings.PROVIDER_TIMEOUT_SECONDS = 7.5
    client = LekoClient(BASE_URL, token=TOKEN, user_id=USER_ID)
    assert client._http.timeout == httpx.Timeout(7.5)


def test_retries_and_backoff_come_from_settings(settings):
    settings.PROVIDER_MAX_RETRIES = 5
    settings.PROVIDER_BACKOFF_BASE_SECONDS = 0.25
    client = LekoClient(BASE_URL, token=TOKEN, user_id=USER_ID)
    assert (client.max_retries, client.backoff_base) == (5, 0.25)


# ---------------------------------------------------------------- retries


def test_5xx_and_429_are_retried_with_full_jitter_exponential_backoff(monkeypatch):
    bounds = []

    def fake_uniform(low, high):
        bounds.append((low, high))
        return high / 2

    monkeypatch.setattr(provider_http.random, "uniform", fake_uniform)
    script = Script(
        errors(503, "unexpected", "down"),
        errors(429, "tooManyRequests", "slow down"),
        errors(500, "internal", "boom"),
        httpx.Response(200, json=REVIEW),
    )
    sleeps: list[float] = []
    client = make_client(script, sleeps=sleeps, backoff_base=0.5)
    assert client.verification(REVIEW_ID) == REVIEW
    assert len(script.requests) == 4
    assert bounds == [(0, 0.5), (0, 1.0), (0, 2.0)]  # base * 2**attempt
    assert sleeps == [0.25, 0.5, 1.0]


def test_after_the_last_retry_the_providers_status_and_message_surface():
    script = Script(errors(503, "unexpected", "Service temporarily unavailable."))
    with pytest.raises(ProviderUnavailable) as raised:
        make_client(script, max_retries=2).verification(REVIEW_ID)
    assert len(script.requests) == 3
    assert raised.value.status_code == 503
    assert raised.value.message == "Service temporarily unavailable."
    assert raised.value.retryable


@pytest.mark.parametrize(
    "retry_after",
    ["2", None],
)
def test_retry_after_seconds_is_honoured(retry_after):
    headers = {"Retry-After": retry_after} if retry_after else {}
    first = httpx.Response(
        429, headers=headers, json=errors(429, "tooManyRequests", "later").json()
    )
    sleeps: list[float] = []
    client = make_client(Script(first, httpx.Response(200, json=REVIEW)), sleeps=sleeps)
    client.verification(REVIEW_ID)
    if retry_after:
        assert sleeps == [2.0]
    else:
        assert len(sleeps) == 1 and 0 <= sleeps[0] <= 0.5


def test_network_errors_and_timeouts_are_retried_then_unavailable():
    script = Script(
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.Response(200, json=REVIEW),
    )
    assert make_client(script).verification(REVIEW_ID) == REVIEW
    script = Script(httpx.ConnectTimeout("never"))
    with pytest.raises(ProviderUnavailable) as raised:
        make_client(script, max_retries=1).verification(REVIEW_ID)
    assert raised.value.status_code is None
    assert "ConnectTimeout" in raised.value.message
    assert "{id}" in raised.value.message and REVIEW_ID not in raised.value.message


def test_the_admin_decision_is_retried_on_5xx_too():
    verification = dict(REVIEW)
    script = Script(
        errors(503, "unexpected", "down"), httpx.Response(200, json=status_body(verification))
    )
    answer = make_client(script).admin_decision(REVIEW_ID, approved=True, reviewer_id="alice")
    assert answer.status_code == 200
    assert [r.method for r in script.requests] == ["PUT", "PUT"]
    assert script.requests[0].content == script.requests[1].content


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("status", "code", "error_class"),
    [
        (400, "validation", ProviderRejected),
        (401, "unauthorized", ProviderAuthError),
        (403, "forbidden", ProviderAuthError),
        (404, "notFound", ProviderNotFound),
        (409, "validation", ProviderRejected),
    ],
)
def test_4xx_are_typed_not_retried_and_carry_lekos_message(status, code, error_class):
    script = Script(errors(status, code, f"message for {status}"))
    with pytest.raises(error_class) as raised:
        make_client(script).verification(REVIEW_ID)
    assert len(script.requests) == 1
    assert raised.value.status_code == status
    assert raised.value.message == f"message for {status}"
    assert raised.value.provider == "LE-KO"
    assert not raised.value.retryable


def test_several_errors_are_joined():
    response = httpx.Response(
        400,
        json={
            "errors": [
                {"code": "validation", "message": "limit too big", "endpoint": "", "requestId": ""},
                {"code": "validation", "message": "number < 0", "endpoint": "", "requestId": ""},
            ]
        },
    )
    assert error_message(response) == "limit too big; number < 0"


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(400, text="<html>bad</html>"),
        httpx.Response(400, json={"message": 3}),
        httpx.Response(400, json={"errors": "nope"}),
        httpx.Response(400, json=[1, 2]),
    ],
)
def test_a_body_without_lekos_errors_falls_back_to_the_reason_phrase(response):
    assert error_message(response) == "Bad Request"


def test_a_success_that_is_not_a_json_object_is_a_provider_error():
    with pytest.raises(ProviderError, match="not a JSON object"):
        make_client(Script(httpx.Response(200, text="ok"))).verification(REVIEW_ID)


def test_logs_carry_the_path_template_status_and_request_id_not_ids_or_secrets(caplog):
    caplog.set_level(logging.DEBUG, logger="providers.leko.client")
    script = Script(errors(404, "notFound", "Verification x not found."))
    with pytest.raises(ProviderNotFound):
        make_client(script).verification(REVIEW_ID)
    fake = FakeLeko([REVIEW], {"k/secret-name.jpg": tiny_jpeg()})
    make_client(fake).file("k/secret-name.jpg")

    text = caplog.text
    assert "GET /verifications/{id} -> 404" in text and "requestId req-1" in text
    assert "GET /files/{fileKey} -> 200" in text
    for secret in (REVIEW_ID, TOKEN, USER_ID, "secret-name"):
        assert secret not in text
    assert all(r.levelno == logging.DEBUG for r in caplog.records if "-> 200" in r.message)


# ---------------------------------------------------------------- endpoints


def test_list_verifications_sends_number_and_limit_and_reads_the_page():
    body = {"data": [REVIEW, {"no": "id"}], "count": 2, "page": 3, "limit": 2, "total": 9}
    script = Script(httpx.Response(200, json=body))
    page = make_client(script).list_verifications(number=3, limit=2)
    assert dict(script.requests[0].url.params) == {"number": "3", "limit": "2"}
    assert page.verifications == (REVIEW,)  # the row without an id is skipped
    assert (page.page, page.limit, page.count, page.total) == (3, 2, 2, 9)
    assert not page.is_last


def test_list_verifications_filters_by_coach():
    script = Script(httpx.Response(200, json=PAGE))
    make_client(script).list_verifications(coach_id=REVIEW["coachId"])
    assert script.requests[0].url.params["coachId"] == REVIEW["coachId"]


@pytest.mark.parametrize("limit", [0, 101])
def test_list_limit_stays_within_the_documents_bounds(limit):
    with pytest.raises(ValueError, match="limit"):
        make_client(Script(httpx.Response(200, json=PAGE))).list_verifications(limit=limit)


def test_a_listing_whose_data_is_not_an_array_is_a_provider_error():
    script = Script(httpx.Response(200, json={**PAGE, "data": {"x": 1}}))
    with pytest.raises(ProviderError, match="not an array"):
        make_client(script).list_verifications()


def test_iter_verifications_follows_total_and_stops_at_an_empty_page():
    fake = FakeLeko([dict(REVIEW, id=f"3f1c2a9e-5b7d-4c1e-9a2f-{i:012d}") for i in range(5)])
    client = make_client(fake)
    assert len(list(client.iter_verifications(limit=2))) == 5
    assert len(fake.requests) == 3  # 2 + 2 + 1: the third page reaches total
    empty = Script(httpx.Response(200, json={**PAGE, "total": 50}))
    assert list(make_client(empty).iter_verifications()) == []
    assert len(empty.requests) == 1


def test_file_keys_travel_as_one_encoded_path_segment():
    key = "passports/a b/../x?.jpg"
    fake = FakeLeko([], {key: tiny_jpeg()})
    assert make_client(fake).file(key) == tiny_jpeg()
    sent = fake.requests[0]
    assert sent.url.raw_path == b"/v1/files/passports%2Fa%20b%2F..%2Fx%3F.jpg"
    assert sent.headers["Accept"] == "*/*"


def test_ids_cannot_escape_their_path_segment():
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)  # not a UUID: outside the contract on purpose
        return errors(400, "validation", "verificationId must be a UUID.")

    with pytest.raises(ProviderRejected):
        make_client(handler).verification("../admin")
    assert sent[0].url.raw_path == b"/v1/verifications/..%2Fadmin"


def test_admin_decision_sends_an_admin_approval_body():
    fake = FakeLeko([dict(REVIEW)])
    answer = make_client(fake).admin_decision(
        REVIEW_ID, approved=False, reason="fake_document", notes="n", reviewer_id="alice"
    )
    assert answer.status_code == 200 and answer.body["status"] == "rejected"
    assert fake.admin_bodies == [
        {"approved": False, "reason": "fake_document", "notes": "n", "reviewerId": "alice"}
    ]
    assert fake.requests[0].headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"reason": "verified"}, "reason must be one of"),
        ({"notes": "x" * 501}, "at most 500"),
    ],
)
def test_admin_approval_body_refuses_what_the_document_forbids(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        admin_approval_body(approved=False, **kwargs)


# ---------------------------------------------------------------- the contract itself


def test_the_package_and_docs_copies_are_the_shared_document_verbatim():
    from pathlib import Path

    from django.conf import settings

    from providers.leko.contract import OPENAPI_PATH

    packaged = OPENAPI_PATH.read_bytes()
    assert (Path(settings.BASE_DIR) / "docs/providers/leko-kyc-openapi.yaml").read_bytes() == (
        packaged
    )
    assert packaged.startswith(b"openapi: 3.0.3")


def test_the_vocabulary_comes_from_the_document():
    from providers.leko import contract as vocabulary

    assert vocabulary.STATUSES == (
        "pending",
        "avatar_verified",
        "passport_verified",
        "approved",
        "rejected",
        "admin_review_required",
    )
    assert vocabulary.REJECTION_REASONS == (
        "document_unclear",
        "identity_mismatch",
        "fake_document",
        "insufficient_quality",
        "inappropriate_content",
    )
    assert (vocabulary.NOTES_MAX_LENGTH, vocabulary.PAGE_LIMIT_MAX) == (500, 100)


def test_the_contract_check_catches_a_request_the_document_forbids():
    bad = contract.ContractRequest(
        method="PUT",
        api_path=f"/verifications/{REVIEW_ID}/admin",
        headers={"Authorization": f"Bearer {TOKEN}", "x-current-user-id": USER_ID},
        body=b'{"approved": "yes"}',
        content_type="application/json",
    )
    with pytest.raises(AssertionError, match="breaks the document"):
        contract.validate_request(bad)
    no_user = contract.ContractRequest(
        method="GET", api_path="/verifications", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    with pytest.raises(AssertionError):
        contract.validate_request(no_user)
    with pytest.raises(AssertionError, match="undocumented"):
        contract.validate_request(contract.ContractRequest(method="DELETE", api_path="/x"))
