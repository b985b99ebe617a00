"""FinwaveAdapter.verify_webhook: the unsigned webhook, authenticated by the URL's secret."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.test import Client

from providers.base import WebhookRejected, WebhookRequest
from providers.finwave.adapter import FinwaveAdapter
from providers.models import WebhookEvent

SECRET = "the-connection-secret"
WEBHOOK = {"onboardingId": "i8x5CWpwU0AvQ", "customId": "customer-1", "result": "FINISHED"}


@pytest.fixture
def adapter(connection):
    connection.webhook_secret = SECRET
    return FinwaveAdapter(connection)


def delivery(body, *, secret: str = SECRET) -> WebhookRequest:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return WebhookRequest(headers={}, body=raw, query={}, url_secret=secret)


def test_the_right_url_secret_is_accepted(adapter):
    request = delivery(WEBHOOK)
    event = adapter.verify_webhook(request)
    assert event.external_id == "i8x5CWpwU0AvQ"
    assert event.event_type == "onboarding.finished"
    assert event.event_type in adapter.session_event_types
    assert event.payload == WEBHOOK
    # Finwave sends no event id: the body's digest is one
    assert event.event_id == hashlib.sha256(request.body).hexdigest()


def test_the_same_delivery_twice_is_one_event_and_another_status_is_another(adapter):
    first = adapter.verify_webhook(delivery(WEBHOOK)).event_id
    assert adapter.verify_webhook(delivery(WEBHOOK)).event_id == first
    other = adapter.verify_webhook(delivery({**WEBHOOK, "result": "INPROCESS"}))
    assert other.event_id != first and other.event_type == "onboarding.inprocess"


@pytest.mark.parametrize("result", ["CREATED", "INPROCESS", "INCOMPLETED", "TIMEOUT", "FINISHED"])
def test_every_documented_result_means_re_read_the_onboarding(adapter, result):
    event = adapter.verify_webhook(delivery({**WEBHOOK, "result": result}))
    assert event.event_type == f"onboarding.{result.lower()}"
    assert event.event_type in adapter.session_event_types


def test_an_unknown_result_is_stored_as_unrecognized_and_ignored(adapter):
    event = adapter.verify_webhook(delivery({**WEBHOOK, "result": "ARCHIVED"}))
    assert event.event_type == "onboarding.unrecognized"
    assert event.event_type not in adapter.session_event_types


@pytest.mark.parametrize("secret", ["", "wrong", f"{SECRET} ", SECRET.upper(), "ünïcode"])
def test_a_missing_or_wrong_url_secret_is_401(adapter, secret):
    with pytest.raises(WebhookRejected) as raised:
        adapter.verify_webhook(delivery(WEBHOOK, secret=secret))
    assert raised.value.status == 401


def test_a_connection_without_a_secret_accepts_nothing(adapter):
    adapter.connection.webhook_secret = ""
    with pytest.raises(WebhookRejected) as raised:
        adapter.verify_webhook(delivery(WEBHOOK, secret=""))
    assert raised.value.status == 401


def test_the_secret_is_checked_before_the_body_is_read(adapter):
    with pytest.raises(WebhookRejected) as raised:
        adapter.verify_webhook(delivery(b"{not json", secret="wrong"))
    assert raised.value.status == 401


@pytest.mark.parametrize("raw", [b"{not json", b"\xff\xfe", b"", b"[1, 2]", b'"text"'])
def test_a_malformed_body_is_400(adapter, raw):
    with pytest.raises(WebhookRejected) as raised:
        adapter.verify_webhook(delivery(raw))
    assert raised.value.status == 400


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("onboardingId", None),
        ("onboardingId", ""),
        ("onboardingId", "   "),
        ("onboardingId", 42),
        ("onboardingId", ".."),
        ("onboardingId", "a b"),
        ("onboardingId", "x" * 201),
        ("customId", 7),
        ("customId", "x" * 201),
        ("result", None),
        ("result", ""),
        ("result", ["FINISHED"]),
    ],
)
def test_a_missing_or_bad_field_is_400(adapter, field, value):
    body = {**WEBHOOK, field: value}
    if value is None:
        del body[field]
    with pytest.raises(WebhookRejected) as raised:
        adapter.verify_webhook(delivery(body))
    assert raised.value.status == 400


def test_customid_is_optional(adapter):
    body = {k: v for k, v in WEBHOOK.items() if k != "customId"}
    assert adapter.verify_webhook(delivery(body)).external_id == "i8x5CWpwU0AvQ"


def test_through_the_route_the_secret_travels_in_the_path(connection, monkeypatch):
    """The one webhook route hands the path's secret to the adapter; an unknown result
    is stored and ignored, not an error."""
    monkeypatch.setattr("providers.tasks.process_webhook_event.delay", lambda pk: None)
    client = Client()
    body = json.dumps({**WEBHOOK, "result": "ARCHIVED"})
    base = connection.webhook_path
    assert client.post(base, body, content_type="application/json").status_code == 401
    wrong = client.post(f"{base}wrong/", body, content_type="application/json")
    assert wrong.status_code == 401
    assert not WebhookEvent.objects.exists()

    right = client.post(
        f"{base}{connection.webhook_secret}/", body, content_type="application/json"
    )
    assert right.status_code == 200
    stored = WebhookEvent.objects.get()
    assert (stored.event_type, stored.external_id) == ("onboarding.unrecognized", "i8x5CWpwU0AvQ")
