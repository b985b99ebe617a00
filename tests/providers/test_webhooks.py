"""The webhook route: verification, storing once, answering before processing."""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from kycdash.audit.models import AuditEvent
from providers.models import WebhookEvent
from reviews.models import VerificationSession
from tests.factories import ConnectionFactory


@pytest.fixture
def connection(project):
    return ConnectionFactory(project=project, provider="incode")


def post(client, connection_id, body, *, secret=None):
    headers = {} if secret is None else {"HTTP_X_WEBHOOK_SECRET": secret}
    url = reverse("webhook", kwargs={"connection_id": connection_id})
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(url, data=data, content_type="application/json", **headers)


def event_body(event_id="evt-1", interview="5f0c0ffee0000000000000a1"):
    return {
        "eventId": event_id,
        "interviewId": interview,
        "onboardingStatus": "ONBOARDING_FINISHED",
    }


def test_unknown_connection_is_404_and_stores_nothing(client, db):
    response = post(client, uuid.uuid4(), event_body(), secret="whatever")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_connection"
    assert not WebhookEvent.objects.exists()


def test_a_bad_secret_is_401_stores_nothing_and_is_audited(client, connection):
    response = post(client, connection.pk, event_body(), secret="not-the-secret")
    assert response.status_code == 401
    assert not WebhookEvent.objects.exists()
    assert AuditEvent.objects.filter(action="webhook.rejected").exists()


def test_a_missing_secret_is_401(client, connection):
    assert post(client, connection.pk, event_body()).status_code == 401
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"eventId": "x"}', b"\xff\xfe"])
def test_malformed_bodies_are_400_and_store_nothing(client, connection, body):
    response = post(client, connection.pk, body, secret=connection.webhook_secret)
    assert response.status_code == 400
    assert response.json()["error"]["message"]
    assert not WebhookEvent.objects.exists()


def test_an_oversized_body_is_413(client, connection, settings):
    settings.WEBHOOK_MAX_BYTES = 100
    body = event_body() | {"padding": "x" * 200}
    assert post(client, connection.pk, body, secret=connection.webhook_secret).status_code == 413
    assert not WebhookEvent.objects.exists()


def test_get_is_not_allowed(client, connection):
    url = reverse("webhook", kwargs={"connection_id": connection.pk})
    assert client.get(url).status_code == 405


def test_an_inactive_connection_is_404(client, connection):
    connection.is_active = False
    connection.save()
    response = post(client, connection.pk, event_body(), secret=connection.webhook_secret)
    assert response.status_code == 404


def test_an_event_is_stored_once_and_a_duplicate_answers_200(
    client, connection, django_capture_on_commit_callbacks
):
    # Nothing listens at the factory's base URL: processing fails after the answer,
    # and the event stays stored with the error.
    with django_capture_on_commit_callbacks(execute=True) as queued:
        first = post(client, connection.pk, event_body(), secret=connection.webhook_secret)
        second = post(client, connection.pk, event_body(), secret=connection.webhook_secret)
    assert len(queued) == 1  # processing is queued once, after the answer's commit

    assert first.status_code == 200 and first.json() == {"received": True, "duplicate": False}
    assert second.status_code == 200 and second.json() == {"received": True, "duplicate": True}
    event = WebhookEvent.objects.get()
    assert event.event_id == "evt-1" and event.external_id == "5f0c0ffee0000000000000a1"
    assert event.state == "failed" and "unavailable" in event.error
    assert not VerificationSession.objects.exists()
    assert AuditEvent.objects.filter(action="webhook.received").count() == 1


def test_webhooks_need_no_csrf_token(connection):
    strict = Client(enforce_csrf_checks=True)
    response = post(strict, connection.pk, event_body("evt-csrf"), secret=connection.webhook_secret)
    assert response.status_code == 200
