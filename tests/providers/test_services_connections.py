"""Connection services against the Incode sandbox over HTTP."""

from __future__ import annotations

import pytest

from kycdash.audit.models import AuditEvent
from providers.incode.sandbox import services as sandbox
from providers.services import (
    ConnectionSettingsError,
    connection_disconnect,
    connection_register_webhook,
    connection_sync_start,
    connection_test,
    connection_update,
)
from reviews.models import VerificationSession

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_working_connection_tests_ok(incode, admin_user):
    check = connection_test(connection=incode, actor=admin_user)
    assert check.ok, check.message
    assert AuditEvent.objects.filter(action="connection.tested", actor=admin_user).exists()


def test_bad_credentials_test_with_the_providers_words(incode):
    incode.credentials = {"api_key": "wrong-key", "admin_token": "wrong"}
    incode.save()
    check = connection_test(connection=incode)
    assert not check.ok
    assert "403" in check.message and "Incode" in check.message


def test_update_replaces_credentials_key_by_key_and_audits_no_values(incode, admin_user):
    connection_update(
        connection=incode, actor=admin_user, credentials={"admin_token": "rotated-token"}
    )
    incode.refresh_from_db()
    assert incode.credentials["admin_token"] == "rotated-token"
    assert incode.credentials["api_key"] == "it-api-key"
    event = AuditEvent.objects.get(action="connection.updated")
    assert event.data == {"fields": ["credentials"]}
    assert "rotated-token" not in str(event.data)


def test_update_refuses_unknown_credential_keys_and_changes_nothing(incode):
    with pytest.raises(ConnectionSettingsError, match="unknown keys"):
        connection_update(connection=incode, credentials={"password": "x"})
    with pytest.raises(ConnectionSettingsError, match="http"):
        connection_update(connection=incode, base_url="ftp://example.com")
    incode.refresh_from_db()
    assert set(incode.credentials) == {"api_key", "admin_token"}


def test_incode_takes_no_webhook_registration(incode):
    with pytest.raises(ConnectionSettingsError, match="no webhook registration"):
        connection_register_webhook(connection=incode)


def test_sync_now_pulls_sessions(incode, incode_account, admin_user):
    sandbox.create_interview(incode_account, "manual_review", seed=1, with_images=False)
    connection_sync_start(connection=incode, actor=admin_user)
    incode.refresh_from_db()
    assert incode.sync_state == "ok" and incode.sync_progress["created"] == 1
    assert VerificationSession.objects.filter(connection=incode).count() == 1


def test_a_disconnected_connection_takes_no_webhooks_or_syncs(incode, client):
    connection_disconnect(connection=incode)
    incode.refresh_from_db()
    assert not incode.is_active
    response = client.post(
        incode.webhook_path,
        data=b'{"interviewId": "x"}',
        content_type="application/json",
        HTTP_X_WEBHOOK_SECRET=incode.webhook_secret,
    )
    assert response.status_code == 404
    with pytest.raises(ConnectionSettingsError, match="disconnected"):
        connection_sync_start(connection=incode)
