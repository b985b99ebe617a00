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
from providers.incode.adapter import IncodeAdapter
from providers.incode.sandbox import services
from providers.incode.sandbox.models import WatchlistRecord
from tests.providers.incode.conftest import ADMIN_TOKEN, API_KEY

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


def received(live_server, interview_id: str) -> list[dict]:
    """What the provider heard, read through its JSON control endpoint."""
    response = httpx.get(
        f"{live_server.url}/sandbox/incode/_control/received",
        params={"interviewId": interview_id},
    )
    response.raise_for_status()
    return response.json()["calls"]


def test_fetch_snapshot_end_to_end_with_decodable_evidence(live_connection):
    connection, account = live_connection
    interview = services.create_interview(account, "poa_review", seed=21)

    snapshot = IncodeAdapter(connection).fetch_snapshot(interview.id)

    assert snapshot.external_id == interview.id
    assert snapshot.status == SessionStatus.APPROVED
    assert snapshot.provider_status == "ONBOARDING_FINISHED / OK"
    assert snapshot.person.full_name == interview.ocr["name"]["fullName"]
    assert snapshot.person.document_number == interview.ocr["documentNumber"]
    assert snapshot.poa is not None and 0.6 <= snapshot.poa.confidence <= 0.75
    assert snapshot.antifraud is not None and snapshot.antifraud.result == "passed"
    assert snapshot.test_mode is True
    assert {e.kind for e in snapshot.evidence} == {
        EvidenceKind.FRONT,
        EvidenceKind.BACK,
        EvidenceKind.SELFIE,
        EvidenceKind.PORTRAIT,
        EvidenceKind.POA,
    }
    for evidence in snapshot.evidence:
        picture = Image.open(io.BytesIO(evidence.content))
        picture.verify()
        assert picture.format == "JPEG"
        assert evidence.filename.endswith(".jpg")


def test_antifraud_collision_points_at_the_other_interview(live_connection):
    connection, account = live_connection
    original = services.create_interview(account, "clean", with_images=False)
    flagged = services.create_interview(account, "antifraud_failed", with_images=False)

    snapshot = IncodeAdapter(connection).fetch_snapshot(flagged.id, with_evidence=False)

    assert snapshot.antifraud.result == "failed"
    assert snapshot.antifraud.step_name == "IdFaceAntifraudExecutor"
    assert snapshot.antifraud.colliding_external_id == original.id
    assert snapshot.evidence == ()


def test_iter_session_ids_pages_and_filters_by_since(live_connection):
    connection, account = live_connection
    now = timezone.now()
    made = [
        services.create_interview(
            account, "clean", with_images=False, updated_at=now - dt.timedelta(hours=5 - i)
        )
        for i in range(5)
    ]
    adapter = IncodeAdapter(connection)
    adapter.list_page_size = 2  # five interviews over three pages

    assert list(adapter.iter_session_ids()) == [m.id for m in made]
    since = made[2].updated_at
    assert list(adapter.iter_session_ids(since=since)) == [m.id for m in made[2:]]
    # the listing's updatedAt reaches the snapshot
    snapshot = adapter.fetch_snapshot(made[4].id, with_evidence=False)
    assert snapshot.updated_at is not None
    assert abs((snapshot.updated_at - made[4].updated_at).total_seconds()) < 0.002


def test_write_decision_approve_reaches_the_provider_once_with_all_headers(
    live_connection, live_server
):
    connection, account = live_connection
    interview = services.create_interview(account, "manual_review", with_images=False)
    adapter = IncodeAdapter(connection)

    result = adapter.write_decision(
        decision(interview.id, "status", "approve", reason="verified", note="ID checked by hand")
    )

    assert result.supported and result.status_code == 200 and result.response == {"success": True}
    (call,) = received(live_server, interview.id)
    assert (call["method"], call["path"], call["outcome"]) == (
        "PUT",
        "/omni/manual-review",
        "applied",
    )
    assert call["query"] == {"interviewId": interview.id}
    assert call["headers"]["x-api-key"] == API_KEY
    assert call["headers"]["api-version"] == "1.0"
    assert call["headers"]["X-Incode-Hardware-Id"] == ADMIN_TOKEN
    assert call["headers"]["Idempotency-Key"] == f"wb-{interview.id}-approve"
    assert call["idempotency_key"] == f"wb-{interview.id}-approve"
    assert call["body"] == {
        "manualReviewStatus": "APPROVED",
        "newReason": "verified: ID checked by hand",
    }
    after = adapter.fetch_snapshot(interview.id, with_evidence=False)
    assert after.status == SessionStatus.APPROVED
    assert after.provider_status == "MANUAL_REVIEW_APPROVED / MANUAL_OK"


def test_a_repeated_write_back_is_replayed_not_applied_twice(live_connection, live_server):
    connection, account = live_connection
    interview = services.create_interview(account, "manual_review", with_images=False)
    adapter = IncodeAdapter(connection)
    request = decision(interview.id, "status", "reject", reason="fake_document")

    first = adapter.write_decision(request)
    second = adapter.write_decision(request)

    assert first.response == second.response == {"success": True}
    outcomes = [c["outcome"] for c in received(live_server, interview.id)]
    assert outcomes == ["replay", "applied"]
    interview.refresh_from_db()
    assert interview.manual_review_reasons == ["fake_document"]


def test_resolve_antifraud_reaches_the_provider(live_connection, live_server):
    connection, account = live_connection
    flagged = services.create_interview(account, "antifraud_failed", with_images=False)
    adapter = IncodeAdapter(connection)

    result = adapter.write_decision(
        decision(flagged.id, "antifraud", "resolve_false_positive", reason="different_person")
    )

    assert result.status_code == 200
    (call,) = received(live_server, flagged.id)
    assert (call["method"], call["path"]) == ("PUT", "/omni/resolve/antifraud")
    assert call["query"] == {"interviewId": flagged.id, "reason": "different_person"}
    assert call["headers"]["Idempotency-Key"] == f"wb-{flagged.id}-resolve_false_positive"
    assert call["headers"]["X-Incode-Hardware-Id"] == ADMIN_TOKEN
    assert call["outcome"] == "applied"
    snapshot = adapter.fetch_snapshot(flagged.id, with_evidence=False)
    assert snapshot.antifraud.result == "passed"


@pytest.mark.parametrize("birth_date_ms", [None, -145238400000])  # as generated; before 1970
def test_confirm_fraud_blacklists_the_person(live_connection, birth_date_ms):
    connection, account = live_connection
    flagged = services.create_interview(account, "antifraud_failed", with_images=False)
    if birth_date_ms is not None:
        flagged.ocr["birthDate"] = birth_date_ms
        flagged.save(update_fields=["ocr"])

    IncodeAdapter(connection).write_decision(
        decision(flagged.id, "antifraud", "confirm_fraud", reason="duplicate_identity")
    )

    record = WatchlistRecord.objects.get(account=account)
    assert record.watchlist_type == "BLACKLIST"
    assert record.id_number == flagged.ocr["documentNumber"]
    assert record.name == flagged.ocr["name"]["fullName"]
    assert record.birth_date == str(flagged.ocr["birthDate"])


def test_poa_write_back_is_not_supported_and_sends_nothing(live_connection, live_server):
    connection, account = live_connection
    interview = services.create_interview(account, "poa_review", with_images=False)
    result = IncodeAdapter(connection).write_decision(decision(interview.id, "poa", "approve"))
    assert result.supported is False
    assert received(live_server, interview.id) == []


def test_retries_through_two_503s(live_connection, live_server, fast_retries):
    connection, account = live_connection
    interview = services.create_interview(account, "manual_review", with_images=False)
    services.account_set_faults(account, fail_next=2)

    result = IncodeAdapter(connection).write_decision(decision(interview.id, "status", "approve"))

    assert result.status_code == 200
    outcomes = [c["outcome"] for c in received(live_server, interview.id)]
    assert outcomes == ["applied", "fault", "fault"]  # newest first
    account.refresh_from_db()
    assert account.faults_served == 2
    interview.refresh_from_db()
    assert interview.onboarding_status == "MANUAL_REVIEW_APPROVED"


def test_reads_retry_too(live_connection, fast_retries):
    connection, account = live_connection
    interview = services.create_interview(account, "clean", with_images=False)
    services.account_set_faults(account, fail_next=2)
    snapshot = IncodeAdapter(connection).fetch_snapshot(interview.id, with_evidence=False)
    assert snapshot.status == SessionStatus.APPROVED


def test_down_gives_provider_unavailable_with_503(live_connection, fast_retries):
    connection, account = live_connection
    interview = services.create_interview(account, "clean", with_images=False)
    services.account_set_faults(account, down=True)

    with pytest.raises(ProviderUnavailable) as raised:
        IncodeAdapter(connection).fetch_snapshot(interview.id)

    assert raised.value.status_code == 503
    assert raised.value.message == "Service temporarily unavailable."
    account.refresh_from_db()
    assert account.faults_served == fast_retries.PROVIDER_MAX_RETRIES + 1


def test_wrong_api_key_is_an_auth_error_with_the_providers_message(live_connection):
    connection, _ = live_connection
    connection.credentials = {"api_key": "not-the-key", "admin_token": ADMIN_TOKEN}
    with pytest.raises(ProviderAuthError) as raised:
        IncodeAdapter(connection).test_connection()
    assert raised.value.status_code == 403
    assert raised.value.message == "Invalid or missing api key."


def test_wrong_admin_token_is_an_auth_error_401(live_connection):
    connection, _ = live_connection
    connection.credentials = {"api_key": API_KEY, "admin_token": "stale-token"}
    with pytest.raises(ProviderAuthError) as raised:
        IncodeAdapter(connection).fetch_snapshot("000000000000000000000000")
    assert raised.value.status_code == 401
    assert raised.value.message == "Invalid or missing access token."


def test_unknown_interview_is_not_found(live_connection):
    connection, _ = live_connection
    with pytest.raises(ProviderNotFound) as raised:
        IncodeAdapter(connection).fetch_snapshot("000000000000000000000000")
    assert raised.value.status_code == 404


def test_test_connection_succeeds(live_connection):
    connection, _ = live_connection
    IncodeAdapter(connection).test_connection()


def test_the_sandbox_notification_passes_the_adapters_verification(live_connection, monkeypatch):
    """Contract test: what the sandbox sends is what the adapter accepts."""
    connection, account = live_connection
    captured = []

    def capture(url, *, json, headers, timeout):
        captured.append(httpx.Request("POST", url, json=json, headers=headers))
        return httpx.Response(200)

    monkeypatch.setattr(services.httpx, "post", capture)
    services.account_configure_webhook(account, connection.webhook_url, connection.webhook_secret)
    interview = services.create_interview(account, "manual_review", with_images=False)

    IncodeAdapter(connection).write_decision(decision(interview.id, "status", "approve"))

    (request,) = captured
    event = IncodeAdapter(connection).verify_webhook(
        WebhookRequest(headers=request.headers, body=request.content, query={})
    )
    assert event.external_id == interview.id
    assert event.payload["onboardingStatus"] == "MANUAL_REVIEW_APPROVED"
    assert event.event_id == event.payload["eventId"]
