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
    ProviderRejected,
    ProviderUnavailable,
    SessionStatus,
    WebhookRequest,
    WriteBackRequest,
)
from providers.flonk.adapter import FlonkAdapter
from providers.flonk.client import FlonkClient, error_code
from providers.flonk.sandbox import services
from providers.flonk.sandbox.models import Note
from providers.models import WebhookEvent
from providers.services import connection_create, session_import
from reviews.models import ReviewTask, VerificationSession, WriteBack
from reviews.services import decision_record
from tests.providers.flonk.conftest import SECRET_KEY

pytestmark = pytest.mark.django_db(transaction=True)


def decision(external_id: str, queue: str, outcome: str, **kwargs) -> WriteBackRequest:
    fields = {
        "reason": "",
        "note": "",
        "reviewer": "alice",
        "idempotency_key": f"wb-{external_id}-{outcome}",
    }
    fields.update(kwargs)
    return WriteBackRequest(external_id=external_id, queue=queue, outcome=outcome, **fields)


def received(live_server, session_id: str) -> list[dict]:
    """What the provider heard, read through its JSON control endpoint (newest first)."""
    response = httpx.get(
        f"{live_server.url}/sandbox/flonk/_control/received", params={"session_id": session_id}
    )
    response.raise_for_status()
    return response.json()["calls"]


def test_fetch_snapshot_end_to_end_with_decodable_evidence(live_connection):
    connection, account = live_connection
    session = services.create_session(account, "poa_review", seed=21)

    snapshot = FlonkAdapter(connection).fetch_snapshot(session.id)

    assert snapshot.external_id == session.id
    assert snapshot.status == SessionStatus.APPROVED
    assert snapshot.provider_status == "completed / approved"
    extracted = session.verification["extracted_data"]
    assert snapshot.person.full_name == extracted["full_name"]
    assert snapshot.person.birth_date == dt.date.fromisoformat(extracted["date_of_birth"])
    assert snapshot.poa is not None and 0.5 <= snapshot.poa.confidence < 0.85
    assert snapshot.poa.manual_review_requested is True
    assert snapshot.test_mode is True
    kinds = {e.kind for e in snapshot.evidence}
    assert kinds == {EvidenceKind.FRONT, EvidenceKind.SELFIE, EvidenceKind.POA} | (
        set() if session.document_type == "passport" else {EvidenceKind.BACK}
    )
    for evidence in snapshot.evidence:
        picture = Image.open(io.BytesIO(evidence.content))
        picture.verify()
        assert picture.format == "JPEG" and evidence.filename.endswith(".jpg")


def test_a_duplicate_points_at_the_earlier_session(live_connection):
    connection, account = live_connection
    original = services.create_session(account, "clean", with_images=False)
    twin = services.create_session(account, "duplicate", with_images=False)

    snapshot = FlonkAdapter(connection).fetch_snapshot(twin.id, with_evidence=False)

    assert snapshot.antifraud.result == "failed"
    assert snapshot.antifraud.colliding_external_id == original.id
    assert [r.external_id for r in snapshot.related_sessions] == [original.id]
    assert (
        snapshot.person
        == FlonkAdapter(connection).fetch_snapshot(original.id, with_evidence=False).person
    )


def test_iter_session_ids_pages_and_filters_by_since(live_connection):
    connection, account = live_connection
    now = timezone.now()
    made = [
        services.create_session(
            account, "clean", with_images=False, now=now - dt.timedelta(hours=5 - i)
        )
        for i in range(5)
    ]
    adapter = FlonkAdapter(connection)
    adapter.list_page_size = 2  # five sessions over three pages

    assert list(adapter.iter_session_ids()) == [m.id for m in made]
    assert list(adapter.iter_session_ids(since=made[2].updated_at)) == [m.id for m in made[2:]]


def test_status_write_back_reaches_the_provider_once_with_its_note(live_connection, live_server):
    connection, account = live_connection
    session = services.create_session(account, "manual_review", with_images=False)
    adapter = FlonkAdapter(connection)

    result = adapter.write_decision(
        decision(session.id, "status", "approve", reason="verified", note="ID checked by hand")
    )

    assert result.supported and result.status_code == 200
    assert result.response["decision"]["status"] == "approved"
    assert result.response["note"]["content"] == "ID checked by hand"
    note_call, status_call = received(live_server, session.id)
    assert (status_call["path"], status_call["outcome"]) == (
        f"/v1/sessions/{session.id}/verification/status",
        "applied",
    )
    assert status_call["body"] == {
        "status": "approved",
        "reason": "verified",
        "reviewedBy": "alice",
    }
    assert status_call["idempotency_key"] == f"wb-{session.id}-approve"
    assert status_call["headers"]["Flonk-Version"] == "1.9.1"
    assert status_call["headers"]["Authorization"].startswith("Bearer sk_test_")
    assert note_call["path"] == f"/v1/sessions/{session.id}/notes"
    assert note_call["idempotency_key"] == f"wb-{session.id}-approve:note"
    after = adapter.fetch_snapshot(session.id, with_evidence=False)
    assert after.status == SessionStatus.APPROVED
    assert after.provider_status == "completed / approved"
    assert after.review_requested is False


def test_a_repeated_write_back_is_replayed_not_applied_twice(live_connection, live_server):
    connection, account = live_connection
    session = services.create_session(account, "manual_review", with_images=False)
    adapter = FlonkAdapter(connection)
    request = decision(session.id, "status", "reject", reason="fake_document", note="twice")

    first = adapter.write_decision(request)
    second = adapter.write_decision(request)

    assert first.response == second.response
    outcomes = [c["outcome"] for c in received(live_server, session.id)]
    assert outcomes == ["replay", "replay", "applied", "applied"]
    assert Note.objects.filter(session_id=session.id).count() == 1
    session.refresh_from_db()
    assert session.verification["rejection_reason"] == "fake_document"


def test_poa_write_back_and_the_decided_poa_is_not_rerouted(live_connection, live_server):
    connection, account = live_connection
    session = services.create_session(account, "poa_review", with_images=False)
    adapter = FlonkAdapter(connection)

    result = adapter.write_decision(decision(session.id, "poa", "reject", reason="too_old"))

    assert result.response["decision"]["poaStatus"] == "rejected"
    (call,) = received(live_server, session.id)
    assert call["path"] == f"/v1/sessions/{session.id}/poa/status"
    snapshot = adapter.fetch_snapshot(session.id, with_evidence=False)
    assert snapshot.poa.provider_status == "rejected"
    assert snapshot.poa.decided and not snapshot.poa.manual_review_requested


def test_antifraud_write_back_is_not_supported_and_sends_nothing(live_connection, live_server):
    connection, account = live_connection
    twin = services.create_session(account, "duplicate", with_images=False)
    result = FlonkAdapter(connection).write_decision(
        decision(twin.id, "antifraud", "resolve_false_positive")
    )
    assert result.supported is False
    assert received(live_server, twin.id) == []


def test_writes_retry_through_two_503s(live_connection, live_server, fast_retries):
    connection, account = live_connection
    session = services.create_session(account, "manual_review", with_images=False)
    services.account_set_faults(account, fail_next=2)

    result = FlonkAdapter(connection).write_decision(decision(session.id, "status", "approve"))

    assert result.status_code == 200
    outcomes = [c["outcome"] for c in received(live_server, session.id)]
    assert outcomes == ["applied", "fault", "fault"]


def test_reads_retry_through_429s(live_connection, fast_retries):
    connection, account = live_connection
    session = services.create_session(account, "clean", with_images=False)
    services.account_set_faults(account, fail_next=2, status=429)
    snapshot = FlonkAdapter(connection).fetch_snapshot(session.id, with_evidence=False)
    assert snapshot.status == SessionStatus.APPROVED
    account.refresh_from_db()
    assert account.faults_served == 2


def test_down_gives_provider_unavailable_with_503(live_connection, fast_retries):
    connection, account = live_connection
    session = services.create_session(account, "clean", with_images=False)
    services.account_set_faults(account, down=True)

    with pytest.raises(ProviderUnavailable) as raised:
        FlonkAdapter(connection).fetch_snapshot(session.id)

    assert raised.value.status_code == 503
    assert raised.value.message == "api_error: Service temporarily unavailable."
    account.refresh_from_db()
    assert account.faults_served == fast_retries.PROVIDER_MAX_RETRIES + 1


def test_a_wrong_key_is_an_auth_error_with_the_providers_code(live_connection):
    connection, _ = live_connection
    connection.credentials = {"secret_key": "sk_test_not_the_key"}
    with pytest.raises(ProviderAuthError) as raised:
        FlonkAdapter(connection).test_connection()
    assert raised.value.status_code == 401
    assert raised.value.message == "authentication_error: Invalid API key provided."


def test_an_unknown_session_is_not_found(live_connection):
    connection, _ = live_connection
    with pytest.raises(ProviderNotFound) as raised:
        FlonkAdapter(connection).fetch_snapshot("cmdoesnotexist00000000000")
    assert raised.value.status_code == 404 and error_code(raised.value) == "session_not_found"


def test_a_write_on_a_session_without_verification_is_refused(live_connection):
    connection, account = live_connection
    waiting = services.create_session(account, "in_progress", with_images=False)
    with pytest.raises(ProviderRejected) as raised:
        FlonkAdapter(connection).write_decision(decision(waiting.id, "status", "approve"))
    assert raised.value.status_code == 409 and not raised.value.retryable
    assert error_code(raised.value) == "session_invalid_state"


def test_create_session_over_http_is_idempotent(live_connection):
    connection, _ = live_connection
    with FlonkClient.from_connection(connection) as client:
        first = client.create_session(idempotency_key="create-42", document_type="passport")
        again = client.create_session(idempotency_key="create-42", document_type="passport")
    assert first.status_code == 201 and first.body["id"] == again.body["id"]
    assert again.replayed and not first.replayed


def test_test_connection_succeeds(live_connection):
    connection, _ = live_connection
    FlonkAdapter(connection).test_connection()


@pytest.mark.parametrize("scheme", ["both", "timestamp", "legacy"])
def test_the_sandboxs_webhooks_pass_the_adapters_verification(live_connection, monkeypatch, scheme):
    """Contract test: what the sandbox sends is what the adapter accepts."""
    connection, account = live_connection
    if scheme == "legacy":
        connection.options = {"accept_legacy_signature": True}
    captured = []

    def capture(url, *, content, headers, timeout):
        captured.append(httpx.Request("POST", url, content=content, headers=headers))
        return httpx.Response(200)

    monkeypatch.setattr(services.httpx, "post", capture)
    services.account_configure_webhook(
        account, connection.webhook_url, connection.webhook_secret, scheme=scheme
    )
    session = services.create_session(account, "manual_review", with_images=False)

    FlonkAdapter(connection).write_decision(decision(session.id, "status", "approve"))

    (request,) = captured
    event = FlonkAdapter(connection).verify_webhook(
        WebhookRequest(headers=request.headers, body=request.content, query={})
    )
    assert event.external_id == session.id
    assert event.event_type == "verification.status_changed"
    assert event.payload["data"]["object"]["previous_status"] == "manual_review"


def test_decisions_round_trip_through_kycdash_without_reopening_tasks(
    live_server, project, reviewer, settings
):
    """Import, decide, write back, hear Flonk's webhook, re-import: one task per queue."""
    settings.SITE_URL = live_server.url
    account = services.account_get_or_create(SECRET_KEY, name="Round trip")
    connection = connection_create(
        project=project,
        provider="flonk",
        base_url=f"{live_server.url}/sandbox/flonk",
        credentials={"secret_key": SECRET_KEY},
    )
    services.account_configure_webhook(account, connection.webhook_url, connection.webhook_secret)
    doubtful = services.create_session(account, "poa_review", seed=7, with_images=False)
    review = services.create_session(account, "manual_review", seed=8, with_images=False)

    for session, queue in ((doubtful, "poa"), (review, "status")):
        result = session_import(connection=connection, external_id=session.id)
        task = next(t for t in result.opened if t.queue == queue)
        decision_record(task=task, reviewer=reviewer, outcome="approve", reason="verified")
        assert WriteBack.objects.get(decision__task=task).state == "sent"

    events = WebhookEvent.objects.filter(connection=connection)
    assert sorted(events.values_list("event_type", flat=True)) == [
        "verification.status_changed",
        "verification.updated",
    ]
    assert set(events.values_list("state", flat=True)) == {"processed"}
    poa_session = VerificationSession.objects.get(external_id=doubtful.id)
    assert poa_session.poa["provider_status"] == "approved"
    status_session = VerificationSession.objects.get(external_id=review.id)
    assert status_session.status == SessionStatus.APPROVED
    assert ReviewTask.objects.count() == 2
    assert not ReviewTask.objects.open().exists()
