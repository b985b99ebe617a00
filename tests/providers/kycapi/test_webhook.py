"""KycapiAdapter.verify_webhook: the X-Webhook-Secret delivery (client.py choice (g))."""

from __future__ import annotations

import hashlib
import json

import pytest

from providers.base import WebhookRejected, WebhookRequest
from providers.kycapi.adapter import KycapiAdapter

SECRET = "the-connection-secret"


@pytest.fixture
def adapter(connection):
    connection.webhook_secret = SECRET
    return KycapiAdapter(connection)


def delivery(body, *, secret: str | None = SECRET, header: str = "X-Webhook-Secret"):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {} if secret is None else {header: secret}
    return WebhookRequest(headers=headers, body=raw, query={})


EVENT = {
    "event_id": "0b7e0f7a-5d7c-4a0e-9a51-2f9b5b0d6c11",
    "event_type": "idv.session.status_changed",
    "created_at": "2025-03-14T12:10:03.000Z",
    "session_id": "3018d03e-d524-48ad-a2da-b5d96ab1b0c7",
    "identity_id": "e16fbb47-bf11-41a7-bc84-0a12b00a9dab",
    "status_e": "complete",
}


def test_good_secret_is_accepted_and_the_event_is_the_apis(adapter):
    event = adapter.verify_webhook(delivery(EVENT))
    assert event.event_id == EVENT["event_id"]
    assert event.event_type == "idv.session.status_changed"
    assert event.external_id == EVENT["session_id"]
    assert event.payload == EVENT


def test_header_name_is_case_insensitive(adapter):
    event = adapter.verify_webhook(delivery(EVENT, header="x-webhook-secret"))
    assert event.external_id == EVENT["session_id"]


@pytest.mark.parametrize("secret", [None, "", "wrong", f"{SECRET} ", "ünïcode"])
def test_missing_or_wrong_secret_is_401(adapter, secret):
    with pytest.raises(WebhookRejected) as raised:
        adapter.verify_webhook(delivery(EVENT, secret=secret))
    assert raised.value.status == 401


def test_the_secret_in_another_header_or_the_url_is_not_accepted(adapter):
    with pytest.raises(WebhookRejected) as raised:
        adapter.verify_webhook(delivery(EVENT, header="X-Signature"))
    assert raised.value.status == 401
    request = WebhookRequest(
        headers={}, body=json.dumps(EVENT).encode(), query={}, url_secret=SECRET
    )
    with pytest.raises(WebhookRejected):
        adapter.verify_webhook(request)


def test_a_connection_without_a_secret_accepts_nothing(adapter):
    adapter.connection.webhook_secret = ""
    with pytest.raises(WebhookRejected) as raised:
        adapter.verify_webhook(delivery(EVENT, secret=""))
    assert raised.value.status == 401


def test_the_secret_is_checked_before_the_body_is_read(adapter):
    with pytest.raises(WebhookRejected) as raised:
        adapter.verify_webhook(delivery(b"{not json", secret="wrong"))
    assert raised.value.status == 401


@pytest.mark.parametrize("raw", [b"{not json", b"\xff\xfe", b"", b"[1, 2]", b'"text"', b"null"])
def test_malformed_body_is_400(adapter, raw):
    with pytest.raises(WebhookRejected) as raised:
        adapter.verify_webhook(delivery(raw))
    assert raised.value.status == 400


@pytest.mark.parametrize("event_type", [None, "", "   ", 7, "x" * 101])
def test_missing_or_bad_event_type_is_400(adapter, event_type):
    body = {**EVENT, "event_type": event_type}
    if event_type is None:
        del body["event_type"]
    with pytest.raises(WebhookRejected) as raised:
        adapter.verify_webhook(delivery(body))
    assert raised.value.status == 400


@pytest.mark.parametrize("session_id", [None, "", "   ", 42, ["a"], "x" * 201])
def test_a_session_event_needs_a_session_id(adapter, session_id):
    body = {**EVENT, "session_id": session_id}
    if session_id is None:
        del body["session_id"]
    with pytest.raises(WebhookRejected) as raised:
        adapter.verify_webhook(delivery(body))
    assert raised.value.status == 400


def test_ida_events_are_accepted_but_name_no_kycdash_session(adapter):
    body = {**EVENT, "event_type": "ida.session.status_changed", "session_id": "ida-1"}
    event = adapter.verify_webhook(delivery(body))
    assert event.event_type == "ida.session.status_changed"
    assert event.external_id == ""
    assert event.event_type not in adapter.session_event_types


def test_an_unknown_event_type_without_a_session_is_stored_not_refused(adapter):
    event = adapter.verify_webhook(delivery({"event_type": "webhook.test", "event_id": "e-1"}))
    assert (event.event_type, event.external_id, event.event_id) == ("webhook.test", "", "e-1")


@pytest.mark.parametrize("event_id", [None, "", 12, "x" * 201])
def test_without_a_usable_event_id_the_body_digest_is_used(adapter, event_id):
    body = {**EVENT, "event_id": event_id}
    if event_id is None:
        del body["event_id"]
    request = delivery(body)
    event = adapter.verify_webhook(request)
    assert event.event_id == hashlib.sha256(request.body).hexdigest()
    # the same delivery twice is the same event
    assert adapter.verify_webhook(delivery(body)).event_id == event.event_id


def test_session_id_is_trimmed(adapter):
    event = adapter.verify_webhook(delivery({**EVENT, "session_id": f"  {EVENT['session_id']} "}))
    assert event.external_id == EVENT["session_id"]
