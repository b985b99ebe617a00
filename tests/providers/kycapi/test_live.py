"""Client and adapter over real HTTP against the sandbox on pytest-django's live server."""

from __future__ import annotations

import datetime as dt
import io

import httpx
import pytest
from django.utils import timezone
from PIL import Image

from providers.base import (
    EvidenceKind,
    ProviderAuthError,
    ProviderNotFound,
    ProviderUnavailable,
    SessionStatus,
    WebhookRequest,
    WriteBackRequest,
)
from providers.kycapi.adapter import KycapiAdapter
from providers.kycapi.client import KycApiClient
from providers.kycapi.sandbox import services
from providers.kycapi.sandbox.models import AccessToken, Webhook
from providers.models import WebhookEvent
from providers.services import connection_disconnect, connection_test
from providers.sync import connection_sync
from reviews.models import VerificationSession
from tests.providers.kycapi.conftest import BASE, CLIENT_ID, CLIENT_SECRET

pytestmark = pytest.mark.django_db(transaction=True)


def received(live_server, session_id: str) -> list[dict]:
    """What the provider heard, read through its JSON control endpoint."""
    response = httpx.get(
        f"{live_server.url}{BASE}/_control/received", params={"session_id": session_id}
    )
    response.raise_for_status()
    return response.json()["calls"]


def test_fetch_snapshot_end_to_end_with_decodable_evidence(live_connection):
    connection, account = live_connection
    session = services.create_session(account, "dmv_mismatch", seed=21)

    snapshot = KycapiAdapter(connection).fetch_snapshot(session.id)

    assert snapshot.external_id == session.id
    assert snapshot.status == SessionStatus.NEEDS_REVIEW
    assert snapshot.provider_status == "complete / not verified"
    assert snapshot.review_requested and snapshot.review_reason.startswith("DMV check no_match")
    assert snapshot.person.first_name == session.first_name
    assert snapshot.person.document_number == session.documents.first().fields["document_number"]
    assert snapshot.overall_score == session.score
    assert snapshot.test_mode is True
    assert {e.kind for e in snapshot.evidence} == {
        EvidenceKind.FRONT,
        EvidenceKind.BACK,
        EvidenceKind.SELFIE,
        EvidenceKind.VIDEO_FRAME,
    }
    for evidence in snapshot.evidence:
        picture = Image.open(io.BytesIO(evidence.content))
        picture.verify()
        assert picture.format == "JPEG"
        assert evidence.filename.endswith(".jpg")


def test_fraud_ofac_and_reauthentications_reach_the_snapshot(live_connection):
    connection, account = live_connection
    adapter = KycapiAdapter(connection)
    fraud = services.create_session(account, "document_fraud", with_images=False)
    ofac = services.create_session(account, "ofac_hit", with_images=False)
    services.create_reauthentication(ofac, created_at=timezone.now() - dt.timedelta(minutes=5))
    services.create_reauthentication(ofac, authenticated=False)

    flagged = adapter.fetch_snapshot(fraud.id, with_evidence=False)
    assert flagged.antifraud.result == "failed"
    assert flagged.antifraud.step_name == "doc_front_image_manipulation"
    assert flagged.evidence == ()

    listed = adapter.fetch_snapshot(ofac.id, with_evidence=False)
    assert listed.watchlist_hit
    assert [r.status for r in listed.related_sessions] == [
        "complete / authenticated",
        "complete / not authenticated",
    ]
    assert {r.relation for r in listed.related_sessions} == {"reauthentication"}


def test_iter_session_ids_pages_and_filters_by_activity(live_connection):
    connection, account = live_connection
    now = timezone.now()
    made = [
        services.create_session(
            account, "clean", with_images=False, created_at=now - dt.timedelta(hours=5 - i)
        )
        for i in range(5)
    ]
    adapter = KycapiAdapter(connection)
    adapter.list_page_size = 2  # five sessions over three pages

    assert list(adapter.iter_session_ids()) == [m.id for m in made]
    since = made[2].created_at + dt.timedelta(seconds=1)  # during the third session
    assert list(adapter.iter_session_ids(since=since)) == [m.id for m in made[2:]]


def test_the_token_is_fetched_once_and_reused_across_adapters(live_connection):
    connection, account = live_connection
    session = services.create_session(account, "clean", with_images=False)
    for _ in range(3):
        KycapiAdapter(connection).fetch_snapshot(session.id, with_evidence=False)
    account.refresh_from_db()
    assert account.tokens_issued == 1


def test_a_revoked_token_is_replaced_once_and_the_call_succeeds(live_connection):
    connection, account = live_connection
    session = services.create_session(account, "clean", with_images=False)
    adapter = KycapiAdapter(connection)
    adapter.fetch_snapshot(session.id, with_evidence=False)
    services.tokens_revoke(account)

    assert adapter.fetch_snapshot(session.id, with_evidence=False).status == SessionStatus.APPROVED
    account.refresh_from_db()
    assert account.tokens_issued == 2


def test_an_expired_token_is_replaced_too(live_connection):
    connection, account = live_connection
    session = services.create_session(account, "clean", with_images=False)
    adapter = KycapiAdapter(connection)
    adapter.fetch_snapshot(session.id, with_evidence=False)
    AccessToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    adapter.fetch_snapshot(session.id, with_evidence=False)
    assert AccessToken.objects.count() == 2


def test_wrong_client_secret_is_an_auth_error_with_the_apis_description(live_connection):
    connection, _ = live_connection
    connection.credentials = {"client_id": CLIENT_ID, "client_secret": "wrong"}
    with pytest.raises(ProviderAuthError) as raised:
        KycapiAdapter(connection).fetch_snapshot("whatever")
    assert raised.value.status_code == 401
    assert raised.value.message == "invalid_client: Client authentication failed."


def test_unknown_session_is_not_found_with_the_apis_message(live_connection):
    connection, _ = live_connection
    with pytest.raises(ProviderNotFound) as raised:
        KycapiAdapter(connection).fetch_snapshot("00000000-0000-4000-8000-000000000000")
    assert raised.value.status_code == 404 and raised.value.message == "Session not found"


def test_retries_through_two_503s(live_connection, fast_retries):
    connection, account = live_connection
    session = services.create_session(account, "clean", with_images=False)
    services.account_set_faults(account, fail_next=2)
    snapshot = KycapiAdapter(connection).fetch_snapshot(session.id, with_evidence=False)
    assert snapshot.status == SessionStatus.APPROVED
    account.refresh_from_db()
    assert account.faults_served == 2


def test_down_gives_provider_unavailable_with_503(live_connection, fast_retries):
    connection, account = live_connection
    session = services.create_session(account, "clean", with_images=False)
    services.account_set_faults(account, down=True)
    with pytest.raises(ProviderUnavailable) as raised:
        KycapiAdapter(connection).fetch_snapshot(session.id)
    assert raised.value.status_code == 503 and raised.value.message == "Service Unavailable"
    account.refresh_from_db()
    assert account.faults_served == fast_retries.PROVIDER_MAX_RETRIES + 1


def test_test_connection_through_the_service(live_connection):
    connection, _ = live_connection
    assert connection_test(connection=connection).ok
    connection.credentials = {"client_id": CLIENT_ID, "client_secret": "wrong"}
    check = connection_test(connection=connection)
    assert not check.ok and "Client authentication failed" in check.message


def test_register_replace_and_unregister_the_webhook(live_connection, live_server):
    connection, account = live_connection
    adapter = KycapiAdapter(connection)
    adapter.register_webhook(connection.webhook_url)
    (hook,) = Webhook.objects.filter(account=account)
    assert hook.name == f"kycdash-{connection.pk}"
    assert hook.url == connection.webhook_url
    assert hook.secret == connection.webhook_secret

    connection.webhook_secret = "rotated-secret"
    adapter.register_webhook(connection.webhook_url)
    (replaced,) = Webhook.objects.filter(account=account)
    assert replaced.secret == "rotated-secret" and replaced.id != hook.id

    connection_disconnect(connection=connection)
    assert not Webhook.objects.exists()
    paths = [c["path"] for c in received(live_server, "")][::-1]
    assert paths == ["/webhooks/create", "/webhooks/delete", "/webhooks/create", "/webhooks/delete"]


def test_a_sandbox_delivery_is_verified_stored_and_ingested(live_connection, live_server, settings):
    """Contract test: what the sandbox sends is what the adapter accepts, end to end."""
    settings.SITE_URL = live_server.url
    connection, account = live_connection
    KycapiAdapter(connection).register_webhook(connection.webhook_url)
    session = services.create_session(account, "document_fraud", seed=3)

    (notification,) = services.notify(session)

    assert notification.response_status == 200
    event = WebhookEvent.objects.get(connection=connection)
    assert event.event_id == notification.event_id
    assert event.external_id == session.id
    ingested = VerificationSession.objects.get(external_id=session.id)
    assert ingested.tasks.filter(queue="antifraud").exists()
    assert ingested.evidence.count() == session.files.count()
    # the same delivery verified by hand, as the adapter sees it
    request = httpx.Request(
        "POST",
        notification.url,
        json=notification.payload,
        headers={"X-Webhook-Secret": connection.webhook_secret},
    )
    verified = KycapiAdapter(connection).verify_webhook(
        WebhookRequest(headers=request.headers, body=request.content, query={})
    )
    assert verified.external_id == session.id


def test_an_ida_delivery_is_stored_and_ignored(live_connection, live_server, settings):
    settings.SITE_URL = live_server.url
    connection, account = live_connection
    KycapiAdapter(connection).register_webhook(connection.webhook_url)
    session = services.create_session(account, "clean", with_images=False)
    (notification,) = services.notify_ida(services.create_reauthentication(session))
    assert notification.response_status == 200
    event = WebhookEvent.objects.get(connection=connection)
    assert event.state == WebhookEvent.State.IGNORED
    assert not VerificationSession.objects.exists()


def test_sync_imports_every_session_then_only_what_changed(live_connection):
    connection, account = live_connection
    for scenario in ("clean", "dmv_mismatch", "in_progress"):
        services.create_session(account, scenario, with_images=False)
    first = connection_sync(connection=connection)
    assert (first.seen, first.created, first.error) == (3, 3, "")
    assert first.tasks_opened == 1
    second = connection_sync(connection=connection)
    assert second.created == 0 and second.error == ""
    assert second.seen == 0  # nothing happened since the first sync started


def test_decisions_stay_local_and_the_provider_hears_nothing(live_connection, live_server):
    connection, account = live_connection
    session = services.create_session(account, "dmv_mismatch", with_images=False)
    result = KycapiAdapter(connection).write_decision(
        WriteBackRequest(
            external_id=session.id,
            queue="status",
            outcome="approve",
            reason="verified",
            note="",
            reviewer="alice",
            idempotency_key="wb-1",
        )
    )
    assert result.supported is False
    assert received(live_server, session.id) == []


def test_anonymize_and_delete_for_retention(live_connection, live_server):
    connection, account = live_connection
    session = services.create_session(account, "clean", seed=4)
    with KycApiClient.from_connection(connection) as client:
        assert client.anonymize_session(session.id).status_code == 200
        anonymized = client.read_session(session.id)
        assert anonymized["first_name"] == "" and anonymized["status_e"] == "complete"
        assert client.delete_session(session.id).already_gone is False
        assert client.delete_session(session.id).already_gone is True
        with pytest.raises(ProviderNotFound):
            client.read_session(session.id)
    calls = received(live_server, session.id)
    assert [(c["path"], c["outcome"]) for c in calls] == [
        ("/idv/sessions/delete", "rejected"),
        ("/idv/sessions/delete", "applied"),
        ("/idv/sessions/anonymize", "applied"),
    ]
    assert all(c["headers"]["Authorization"] == "Bearer …" for c in calls)
    assert all(CLIENT_SECRET not in str(c) for c in calls)
