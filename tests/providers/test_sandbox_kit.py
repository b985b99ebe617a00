"""The sandboxes' shared kit: faults, the received-call log, control endpoints."""

from __future__ import annotations

import json
import threading
import time

import pytest
from django.db import connection
from django.http import Http404
from django.test import RequestFactory

from providers.flonk.sandbox.models import Account as FlonkAccount
from providers.incode.sandbox.models import Account, ReceivedCall
from providers.sandbox_kit import control, faults, recording


@pytest.fixture
def account(db):
    return Account.objects.create(api_key="kit-key", admin_token="kit-token", name="Kit")


@pytest.fixture
def flonk_account(db):
    return FlonkAccount.objects.create(secret_key="sk_test_kitkitkitkit", name="Kit")


def fresh(account):
    account.refresh_from_db()
    return account


def test_fail_next_is_taken_once_per_request_and_counted(account):
    faults.set_faults(account, fail_next=2)
    assert [faults.take_fault(account) for _ in range(3)] == [503, 503, None]
    assert fresh(account).fault_next == 0
    assert account.faults_served == 2


def test_down_answers_503_until_cleared_and_counts(account):
    faults.set_faults(account, down=True, retry_after=7)
    assert [faults.take_fault(account) for _ in range(3)] == [503, 503, 503]
    assert fresh(account).faults_served == 3 and account.fault_retry_after == 7
    faults.clear_faults(account)
    assert faults.take_fault(fresh(account)) is None
    assert account.healthy and account.fault_retry_after is None


def test_a_fault_status_where_the_account_has_one(account, flonk_account):
    faults.set_faults(flonk_account, fail_next=1, status=429)
    assert faults.take_fault(flonk_account) == 429
    assert faults.take_fault(flonk_account) is None
    faults.set_faults(flonk_account, down=True)
    assert faults.take_fault(flonk_account) == 503  # down is always 503
    with pytest.raises(ValueError, match="status must be 503 or 429"):
        faults.set_faults(flonk_account, status=500)
    with pytest.raises(ValueError, match="status must be one of 503"):
        faults.set_faults(account, status=429)  # Incode has no fault_status
    faults.clear_faults(flonk_account)
    assert fresh(flonk_account).fault_status == 503
    assert faults.faults_dict(flonk_account)["status"] == 503
    assert "status" not in faults.faults_dict(account)


@pytest.mark.parametrize(
    "kwargs", [{"fail_next": -1}, {"delay_ms": -1}, {"delay_ms": 10**6}, {"retry_after": -1}]
)
def test_bad_fault_settings_are_refused(account, kwargs):
    with pytest.raises(ValueError):
        faults.set_faults(account, **kwargs)


def test_delay_waits_the_injected_time(account):
    faults.set_faults(account, delay_ms=80)
    started = time.monotonic()
    faults.delay(account)
    assert time.monotonic() - started >= 0.08
    faults.delay(None)  # no account, no wait


@pytest.mark.django_db(transaction=True)
def test_concurrent_takes_share_the_count():
    account = Account.objects.create(api_key="kit-race", admin_token="t")
    faults.set_faults(account, fail_next=5)
    taken: list[int | None] = []

    def take() -> None:
        try:
            for _ in range(5):
                taken.append(faults.take_fault(Account.objects.get(pk=account.pk)))
        finally:
            connection.close()

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert taken.count(503) == 5 and taken.count(None) == 15
    assert fresh(account).faults_served == 5 and account.fault_next == 0


def test_record_call_keeps_what_the_model_has(account):
    request = RequestFactory().put(
        "/sandbox/incode/omni/manual-review?interviewId=abc",
        data=json.dumps({"image": "x" * 500, "secret": "s3", "ok": 1}),
        content_type="application/json",
        HTTP_USER_AGENT="kit",
    )
    call = recording.record_call(
        ReceivedCall,
        request,
        path="/omni/manual-review",
        account=account,
        outcome=ReceivedCall.Outcome.APPLIED,
        status=200,
        response_body={"success": True},
        headers=recording.recorded_headers(request, ("User-Agent", "Idempotency-Key")),
        body=recording.loggable_body(request, masked={"secret"}),
        subject="abc",
        idempotency_key="k1",
    )
    assert call.headers == {"User-Agent": "kit"}
    assert call.body["image"] == f"{'x' * 40}… (500 characters)"
    assert call.body["secret"] == "…" and call.body["ok"] == 1
    assert call.query == {"interviewId": "abc"} and call.interview_id == "abc"
    (listed,) = recording.received_calls(ReceivedCall, subject="abc", outcome="applied")
    entry = recording.call_as_dict(listed)
    assert list(entry) == [
        "id", "received_at", "method", "path", "query", "headers", "body",
        "idempotency_key", "interview_id", "outcome", "response_status", "response_body",
    ]  # fmt: skip
    assert entry["method"] == "PUT" and entry["idempotency_key"] == "k1"
    assert not recording.received_calls(ReceivedCall, subject="other").exists()


def test_loggable_body_of_what_is_not_json():
    factory = RequestFactory()
    assert recording.loggable_body(factory.post("/", data=b"", content_type="text/plain")) is None
    body = recording.loggable_body(factory.post("/", data=b"not json", content_type="text/plain"))
    assert body == {"unparsed": "not json"}


def _faults_endpoint():
    return control.faults_view(
        lambda data: Account.objects.get(api_key=data["api_key"]),
        lambda account: {"faults": faults.faults_dict(account)},
        "test",
    )


def test_the_faults_control_view(account):
    view = _faults_endpoint()
    post = RequestFactory().post
    body = {"api_key": "kit-key", "fail_next": 2, "down": True, "retry_after": 3}
    response = view(post("/", data=json.dumps(body), content_type="application/json"))
    assert response.status_code == 200
    assert json.loads(response.content)["faults"] == {
        "fail_next": 2, "down": True, "delay_ms": 0, "retry_after": 3, "served": 0,
    }  # fmt: skip
    response = view(post("/", data=b"{nope", content_type="application/json"))
    assert response.status_code == 400 and json.loads(response.content) == {
        "error": "malformed JSON"
    }
    bad = {"api_key": "kit-key", "fail_next": True}  # JSON's true is no count
    response = view(post("/", data=json.dumps(bad), content_type="application/json"))
    assert response.status_code == 400
    assert view(RequestFactory().get("/")).status_code == 405
    response = view(
        post(
            "/",
            data=json.dumps({"api_key": "kit-key", "clear": True}),
            content_type="application/json",
        )
    )
    assert json.loads(response.content)["faults"]["down"] is False


def test_control_is_off_when_sandboxes_are_disabled(account, settings):
    settings.SANDBOXES_ENABLED = False
    request = RequestFactory().post("/", data=b"{}", content_type="application/json")
    with pytest.raises(Http404):
        _faults_endpoint()(request)
    with pytest.raises(Http404):
        control.require_enabled()


def test_control_endpoints_404_over_http_when_disabled(client, settings):
    settings.SANDBOXES_ENABLED = False
    for name in ("incode", "flonk", "finwave", "kycapi", "leko"):
        assert client.post(f"/sandbox/{name}/_control/faults", data={}).status_code == 404
