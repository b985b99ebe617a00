"""IncodeAdapter.verify_webhook: the X-Webhook-Secret status-change notification."""

from __future__ import annotations

import hashlib
import json

import pytest

from providers.base import WebhookRejected, WebhookRequest
from providers.incode.adapter import IncodeAdapter

SECRET = "the-connection-secret"


@pytest.fixture
def adapter(connection):
    connection.webhook_secret = SECRET
    return IncodeAdapter(connection)


def delivery(body, *, secret: str | None = SECRET, header: str = "X-Webhook-Secret"):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {} if secret is None else {header: secret}
    return WebhookRequest(headers=headers, body=raw, query={})


NOTIFICATION = {
    "eventId": "evt-0001",
    "interviewId": "65f1aa00000000000000abcd",
    "onboardingStatus": "MANUAL_REVIEW_APPROVED",
    "timestamp": 1741950000000,
}


def test_good_secret_is_accepted_and_the_event_id_is_incodes(adapter):
    event = adapter.verify_webhook(delivery(NOTIFICATION))
    assert event.event_id == "evt-0001"
    assert event.event_type == "onboarding.status_changed"
    assert event.external_id == "65f1aa00000000000000abcd"
    assert event.payload == NOTIFICATION


def test_header_name_is_case_insensitive(adapter):
    event = adapter.verify_webhook(delivery(NOTIFICATION, header="x-webhook-secret"))
    assert event.external_id == NOTIFICATION["interviewId"]


@pytest.mark.parametrize("secret", [None, "", "wrong", "the-connection-secret ", "ünïcode"])
def test_missing_or_wrong_secret_is_401(adapter, secret):
    with pytest.raises(WebhookRejected) as raised:
        adapter.verify_webhook(delivery(NOTIFICATION, secret=secret))
    assert raised.value.status == 401


def test_a_connection_without_a_secret_accepts_nothing(adapter):
    adapter.connection.webhook_secret = ""
    with pytest.raises(WebhookRejected) as raised:
        adapter.verify_webhook(delivery(NOTIFICATION, secret=""))
    assert raised.value.status == 401


def test_the_secret_is_checked_before_the_body_is_read(adapter):
    with pytest.raises(WebhookRejected) as raised:
        adapter.verify_webhook(delivery(b"{not json", secret="wrong"))
    assert raised.value.status == 401


@pytest.mark.parametrize("raw", [b"{not json", b"\xff\xfe", b"", b"[1, 2]", b'"text"'])
def test_malformed_body_is_400(adapter, raw):
    with pytest.raises(WebhookRejected) as raised:
        adapter.verify_webhook(delivery(raw))
    assert raised.value.status == 400


@pytest.mark.parametrize("interview_id", [None, "", "   ", 42, "x" * 201])
def test_missing_or_bad_interview_id_is_400(adapter, interview_id):
    body = {**NOTIFICATION, "interviewId": interview_id}
    if interview_id is None:
        del body["interviewId"]
    with pytest.raises(WebhookRejected) as raised:
        adapter.verify_webhook(delivery(body))
    assert raised.value.status == 400


def test_without_an_event_id_the_body_digest_is_used(adapter):
    body = {k: v for k, v in NOTIFICATION.items() if k != "eventId"}
    request = delivery(body)
    event = adapter.verify_webhook(request)
    assert event.event_id == hashlib.sha256(request.body).hexdigest()
    # the same delivery twice is the same event
    assert adapter.verify_webhook(delivery(body)).event_id == event.event_id
