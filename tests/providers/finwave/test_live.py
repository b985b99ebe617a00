"""Client and adapter over real HTTP against the sandbox on pytest-django's live server."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image

from providers.base import (
    EvidenceKind,
    ProviderAuthError,
    ProviderNotFound,
    ProviderUnavailable,
    SessionStatus,
    WebhookRequest,
)
from providers.finwave.adapter import FinwaveAdapter
from providers.finwave.client import EvidenceArchiveRejected, FinwaveClient
from providers.finwave.sandbox import services
from providers.finwave.sandbox.driver import webhook_url
from providers.finwave.sandbox.models import Onboarding
from providers.models import WebhookEvent
from providers.services import session_import
from reviews.models import ReviewTask, VerificationSession, WriteBack
from reviews.services import decision_record
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def received(live_server, onboarding_id: str) -> list[dict]:
    """What the provider heard, read through its JSON control endpoint."""
    response = httpx.get(
        f"{live_server.url}/sandbox/finwave/_control/received",
        params={"onboardingId": onboarding_id},
    )
    response.raise_for_status()
    return response.json()["calls"]


def test_fetch_snapshot_end_to_end_with_decodable_evidence(live_connection):
    connection, account = live_connection
    onboarding = services.onboarding_create(account, "clean", seed=21)

    snapshot = FinwaveAdapter(connection).fetch_snapshot(onboarding.id)

    assert snapshot.external_id == onboarding.id
    assert snapshot.status == SessionStatus.APPROVED
    assert snapshot.provider_status == "FINISHED"
    names = {f["name"]: f["value"] for f in onboarding.result["ocr"]["fields"]}
    assert snapshot.person.document_number == names["DOCUMENT_NUMBER"]
    assert snapshot.person.last_name == names["SURNAME"]
    assert snapshot.test_mode is True
    assert sorted(e.kind for e in snapshot.evidence) == sorted(
        [
            EvidenceKind.FRONT,
            EvidenceKind.BACK,
            EvidenceKind.SELFIE,
            EvidenceKind.VIDEO_FRAME,
            EvidenceKind.VIDEO_FRAME,
            EvidenceKind.PORTRAIT,
        ]
    )
    for evidence in snapshot.evidence:
        picture = Image.open(io.BytesIO(evidence.content))
        picture.verify()
        assert picture.format == "JPEG"
    front = next(e for e in snapshot.evidence if e.kind == EvidenceKind.FRONT)
    assert front.filename == onboarding.result["evidences"]["idDocumentFront"]


def test_a_host_only_base_url_works_too(live_connection, live_server):
    connection, account = live_connection
    connection.base_url = f"{live_server.url}/sandbox/finwave"
    onboarding = services.onboarding_create(account, "passport", with_images=False)
    snapshot = FinwaveAdapter(connection).fetch_snapshot(onboarding.id)
    assert snapshot.person.document_type == "PASSPORT"


@pytest.mark.parametrize(
    ("scenario", "status", "reason"),
    [
        ("failed_validations", SessionStatus.NEEDS_REVIEW, "validations failed: OVERALL"),
        ("low_score", SessionStatus.NEEDS_REVIEW, "under 60"),
        ("ocr_error", SessionStatus.NEEDS_REVIEW, "OCR_ERROR: Error in the OCR process"),
        ("rejected", SessionStatus.REJECTED, "steps failed: biometry"),
        ("timeout", SessionStatus.EXPIRED, "TIME_EXPIRED"),
    ],
)
def test_what_the_sandbox_serves_maps_as_documented(live_connection, scenario, status, reason):
    connection, account = live_connection
    onboarding = services.onboarding_create(account, scenario, with_images=False)
    snapshot = FinwaveAdapter(connection).fetch_snapshot(onboarding.id, with_evidence=False)
    assert snapshot.status == status
    assert reason in snapshot.review_reason


def test_an_onboarding_from_creation_to_review_by_webhooks(live_connection, live_server):
    """The customer creates an onboarding with kycdash's URL; every status change the
    sandbox posts is verified, stored and followed by a read of the result."""
    connection, _ = live_connection
    with FinwaveClient.from_connection(connection) as client:
        created = client.create_onboarding(custom_id="customer-42", webhook=webhook_url(connection))
    assert created.created and created.status == "CREATED" and created.url
    assert httpx.get(created.url).status_code == 200

    session = VerificationSession.objects.get(
        connection=connection, external_id=created.onboarding_id
    )
    assert session.status == SessionStatus.PENDING

    for to, scenario in (("INPROCESS", None), ("FINISHED", "failed_validations")):
        response = httpx.post(
            f"{live_server.url}/sandbox/finwave/_control/onboardings/{created.onboarding_id}/advance",
            json={"to": to, "scenario": scenario},
            timeout=30,
        )
        assert response.json()["notification"]["response_status"] == 200

    assert list(
        WebhookEvent.objects.filter(connection=connection)
        .order_by("received_at")
        .values_list("event_type", "state")
    ) == [
        ("onboarding.created", "processed"),
        ("onboarding.inprocess", "processed"),
        ("onboarding.finished", "processed"),
    ]
    session.refresh_from_db()
    assert session.status == SessionStatus.NEEDS_REVIEW
    kinds = sorted(session.evidence.values_list("kind", flat=True))
    # The front sent while in process and the finished one differ (the sandbox drew the
    # expired card of the outcome): kycdash keeps every version it saw.
    assert kinds == sorted(
        ["front", "front", "back", "selfie", "video_frame", "video_frame", "portrait"]
    )
    task = ReviewTask.objects.get(session=session)
    assert task.queue == "status" and "validations failed" in task.reason

    with FinwaveClient.from_connection(connection) as client:
        again = client.create_onboarding(custom_id="customer-42")
    assert (again.created, again.onboarding_id, again.url, again.status) == (
        False,
        created.onboarding_id,
        None,
        "FINISHED",
    )
    outcomes = [c["outcome"] for c in received(live_server, created.onboarding_id)]
    assert outcomes == ["replay", "applied"]  # newest first


def test_a_decision_stays_local_and_the_provider_hears_nothing(live_connection, live_server):
    connection, account = live_connection
    onboarding = services.onboarding_create(account, "low_score", with_images=False)
    result = session_import(connection=connection, external_id=onboarding.id)
    (task,) = result.opened
    reviewer = UserFactory()
    MembershipFactory(user=reviewer, project=connection.project)

    decision_record(task=task, reviewer=reviewer, outcome="approve", reason="verified", note="ok")

    assert WriteBack.objects.get(decision__task=task).state == "not_supported"
    assert received(live_server, onboarding.id) == []


@pytest.mark.parametrize(
    "archive", ["traversal", "absolute", "symlink", "bomb", "too_many", "corrupt"]
)
def test_a_hostile_evidence_zip_stores_nothing(live_connection, archive):
    connection, account = live_connection
    onboarding = services.onboarding_create(account, "clean", seed=3, archive=archive)

    with pytest.raises(EvidenceArchiveRejected) as raised:
        session_import(connection=connection, external_id=onboarding.id)

    assert not raised.value.retryable
    assert raised.value.message
    assert not VerificationSession.objects.exists()


def test_retries_through_two_503s(live_connection, fast_retries):
    connection, account = live_connection
    onboarding = services.onboarding_create(account, "clean", with_images=False)
    services.account_set_faults(account, fail_next=2)
    snapshot = FinwaveAdapter(connection).fetch_snapshot(onboarding.id)
    assert snapshot.status == SessionStatus.APPROVED
    account.refresh_from_db()
    assert account.faults_served == 2


def test_down_gives_provider_unavailable_with_503(live_connection, fast_retries):
    connection, account = live_connection
    onboarding = services.onboarding_create(account, "clean", with_images=False)
    services.account_set_faults(account, down=True)

    with pytest.raises(ProviderUnavailable) as raised:
        FinwaveAdapter(connection).fetch_snapshot(onboarding.id)

    assert raised.value.status_code == 503
    assert raised.value.message == "Service temporarily unavailable."
    account.refresh_from_db()
    assert account.faults_served == fast_retries.PROVIDER_MAX_RETRIES + 1


def test_a_wrong_token_is_an_auth_error_with_the_providers_message(live_connection):
    connection, _ = live_connection
    connection.credentials = {"client_token": "not-the-token"}
    with pytest.raises(ProviderAuthError) as raised:
        FinwaveAdapter(connection).test_connection()
    assert raised.value.status_code == 401
    assert raised.value.message == "Invalid client token."


def test_test_connection_succeeds_with_the_right_token(live_connection):
    connection, _ = live_connection
    FinwaveAdapter(connection).test_connection()


def test_an_unknown_onboarding_is_not_found(live_connection):
    connection, _ = live_connection
    with pytest.raises(ProviderNotFound) as raised:
        FinwaveAdapter(connection).fetch_snapshot("zzzzzzzzzzzzz")
    assert raised.value.status_code == 404
    assert raised.value.message == "Onboarding zzzzzzzzzzzzz not found."


def test_the_sandbox_webhook_passes_the_adapters_verification(live_connection, monkeypatch):
    """Contract test: what the sandbox sends, where it sends it, is what the adapter accepts."""
    connection, account = live_connection
    captured = []

    def capture(url, *, content, headers, timeout):
        captured.append(httpx.Request("POST", url, content=content, headers=headers))
        return httpx.Response(200)

    monkeypatch.setattr(services.httpx, "post", capture)
    services.account_configure_webhook(account, webhook_url(connection))
    onboarding = services.onboarding_create(account, "incompleted", with_images=False)
    services.notify(onboarding)

    (request,) = captured
    path = urlsplit(str(request.url)).path
    assert path.startswith(connection.webhook_path)
    secret = path.removeprefix(connection.webhook_path).strip("/")
    event = FinwaveAdapter(connection).verify_webhook(
        WebhookRequest(headers=request.headers, body=request.content, query={}, url_secret=secret)
    )
    assert event.external_id == onboarding.id
    assert event.event_type == "onboarding.incompleted"
    assert Onboarding.objects.get(pk=onboarding.id).status == "INCOMPLETED"
