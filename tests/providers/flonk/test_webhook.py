"""FlonkAdapter.verify_webhook: X-Signature (t=, v1=), legacy X-Signature-256, event bodies."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from providers.base import WebhookRejected, WebhookRequest
from providers.flonk.adapter import FlonkAdapter, parse_signature_header
from tests.providers.flonk.conftest import WEBHOOK_SECRET, load

NOW = 1_741_950_000


@pytest.fixture
def adapter(connection):
    return FlonkAdapter(connection)


def raw(event) -> bytes:
    return event if isinstance(event, bytes) else json.dumps(event).encode()


def v1(body: bytes, t: int, secret: str = WEBHOOK_SECRET) -> str:
    return hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


def legacy(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signed(event, *, t: int = NOW, secret: str = WEBHOOK_SECRET, header: str = "X-Signature"):
    body = raw(event)
    return WebhookRequest(headers={header: f"t={t},v1={v1(body, t, secret)}"}, body=body, query={})


def verify(adapter, request, now: float = NOW):
    return adapter.verify_webhook(request, now=now)


@pytest.mark.parametrize("name", ["completed", "status_changed", "updated"])
def test_each_documented_event_is_accepted_and_names_its_session(adapter, name):
    event = load(f"event_{name}")
    inbound = verify(adapter, signed(event))
    assert inbound.event_id == event["id"]
    assert inbound.event_type == f"verification.{name}"
    assert inbound.event_type in adapter.session_event_types
    assert inbound.external_id == event["data"]["object"]["id"]
    assert inbound.payload == event


def test_the_header_name_is_case_insensitive(adapter):
    inbound = verify(adapter, signed(load("event_completed"), header="x-signature"))
    assert inbound.event_type == "verification.completed"


@pytest.mark.parametrize("skew", [-300, 0, 300, 299.9])
def test_timestamps_within_300_s_either_way_are_accepted(adapter, skew):
    verify(adapter, signed(load("event_completed"), t=NOW), now=NOW + skew)


@pytest.mark.parametrize("skew", [-301, 301, 300.5, -3600, 86_400])
def test_timestamps_beyond_300_s_either_way_are_refused(adapter, skew):
    with pytest.raises(WebhookRejected) as raised:
        verify(adapter, signed(load("event_completed"), t=NOW), now=NOW + skew)
    assert raised.value.status == 401
    assert "tolerance" in raised.value.message


def test_any_matching_v1_among_several_is_accepted(adapter):
    body = raw(load("event_completed"))
    header = f"t={NOW},v1={'0' * 64},v0=abc,v1={v1(body, NOW)},v1={'f' * 64}"
    verify(adapter, WebhookRequest(headers={"X-Signature": header}, body=body, query={}))


@pytest.mark.parametrize(
    "header",
    [
        "t={t},v1={bad}",
        "t={t},v1={other_secret}",
        "t={t},v0={good}",
        "v1={good}",
        "t=soon,v1={good}",
        "t={t}",
        "garbage",
        "t={t},v1={good_upper_short}",
    ],
)
def test_bad_x_signatures_are_401(adapter, header):
    body = raw(load("event_completed"))
    good = v1(body, NOW)
    value = header.format(
        t=NOW,
        bad="0" * 64,
        good=good,
        other_secret=v1(body, NOW, "another-secret"),
        good_upper_short=good[:-1],
    )
    with pytest.raises(WebhookRejected) as raised:
        verify(adapter, WebhookRequest(headers={"X-Signature": value}, body=body, query={}))
    assert raised.value.status == 401


def test_the_signature_covers_the_timestamp(adapter):
    body = raw(load("event_completed"))
    header = f"t={NOW + 1},v1={v1(body, NOW)}"
    with pytest.raises(WebhookRejected):
        verify(adapter, WebhookRequest(headers={"X-Signature": header}, body=body, query={}))


def test_upper_case_hex_is_accepted(adapter):
    body = raw(load("event_completed"))
    header = f"t={NOW},v1={v1(body, NOW).upper()}"
    verify(adapter, WebhookRequest(headers={"X-Signature": header}, body=body, query={}))


def test_no_signature_is_401(adapter):
    with pytest.raises(WebhookRejected) as raised:
        verify(adapter, WebhookRequest(headers={}, body=raw(load("event_completed")), query={}))
    assert raised.value.status == 401


def test_a_connection_without_a_secret_accepts_nothing(adapter):
    adapter.connection.webhook_secret = ""
    with pytest.raises(WebhookRejected) as raised:
        verify(adapter, signed(load("event_completed"), secret=""))
    assert raised.value.status == 401


# ---------------------------------------------------------------- legacy X-Signature-256


def legacy_request(event, *, secret: str = WEBHOOK_SECRET) -> WebhookRequest:
    body = raw(event)
    return WebhookRequest(headers={"X-Signature-256": legacy(body, secret)}, body=body, query={})


def test_legacy_signatures_are_refused_unless_the_connection_accepts_them(adapter):
    with pytest.raises(WebhookRejected) as raised:
        verify(adapter, legacy_request(load("event_completed")))
    assert raised.value.status == 401
    assert "not accepted" in raised.value.message


def test_legacy_signatures_are_accepted_when_the_option_is_on(adapter):
    adapter.connection.options = {"accept_legacy_signature": True}
    event = load("event_completed")
    # no timestamp: any age is accepted, replays are stopped by the stored event id
    inbound = verify(adapter, legacy_request(event), now=NOW + 10**7)
    assert inbound.event_id == event["id"]
    assert verify(adapter, legacy_request(event)).event_id == inbound.event_id


@pytest.mark.parametrize("option", ["true", 1, "yes", None])
def test_only_a_real_true_turns_legacy_on(adapter, option):
    adapter.connection.options = {"accept_legacy_signature": option}
    with pytest.raises(WebhookRejected):
        verify(adapter, legacy_request(load("event_completed")))


@pytest.mark.parametrize("value", ["sha256=" + "0" * 64, "sha1=abc", "0" * 64, "sha256="])
def test_bad_legacy_signatures_are_401(adapter, value):
    adapter.connection.options = {"accept_legacy_signature": True}
    body = raw(load("event_completed"))
    with pytest.raises(WebhookRejected) as raised:
        verify(adapter, WebhookRequest(headers={"X-Signature-256": value}, body=body, query={}))
    assert raised.value.status == 401


def test_a_stale_x_signature_is_not_rescued_by_a_legacy_one(adapter):
    adapter.connection.options = {"accept_legacy_signature": True}
    body = raw(load("event_completed"))
    old = NOW - 3600
    headers = {"X-Signature": f"t={old},v1={v1(body, old)}", "X-Signature-256": legacy(body)}
    with pytest.raises(WebhookRejected) as raised:
        verify(adapter, WebhookRequest(headers=headers, body=body, query={}))
    assert raised.value.status == 401


# ---------------------------------------------------------------- bodies


def test_the_signature_is_checked_before_the_body_is_read(adapter):
    body = b"{not json"
    header = f"t={NOW},v1={'0' * 64}"
    with pytest.raises(WebhookRejected) as raised:
        verify(adapter, WebhookRequest(headers={"X-Signature": header}, body=body, query={}))
    assert raised.value.status == 401


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b"", b"[1, 2]", b'"text"'])
def test_a_validly_signed_malformed_body_is_400(adapter, body):
    with pytest.raises(WebhookRejected) as raised:
        verify(adapter, signed(body))
    assert raised.value.status == 400


@pytest.mark.parametrize(
    "change",
    [
        {"id": None},
        {"id": ""},
        {"id": 42},
        {"id": "x" * 201},
        {"type": None},
        {"type": 7},
        {"data": {"object": {}}},
        {"data": {"object": {"id": 12}}},
        {"data": {"object": {"id": "x" * 201}}},
        {"data": None},
    ],
)
def test_an_event_without_id_type_or_session_is_400(adapter, change):
    event = {**load("event_completed"), **change}
    with pytest.raises(WebhookRejected) as raised:
        verify(adapter, signed(event))
    assert raised.value.status == 400


def test_unknown_event_types_are_accepted_to_be_stored_and_ignored(adapter):
    event = {"id": "evt_new", "type": "verification.archived", "created": NOW, "data": {}}
    inbound = verify(adapter, signed(event))
    assert inbound.event_type == "verification.archived"
    assert inbound.event_type not in adapter.session_event_types
    assert inbound.external_id == ""


def test_parse_signature_header():
    digest = "ab" * 32
    assert parse_signature_header(f"t=12, v1={digest} ,v1=zz,v2={digest}") == (12, [digest])
    assert parse_signature_header("t=1,t=2") == (1, [])
    assert parse_signature_header("") == (None, [])
