"""Client and adapter over real HTTP against the sandbox on pytest-django's live server.

Every exchange a test records is validated against the OpenAPI document: the client's
requests and the sandbox's real answers, successes and errors alike.
"""

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
    WriteBackRequest,
)
from providers.leko.adapter import LekoAdapter
from providers.leko.client import LekoClient
from providers.leko.sandbox import services
from providers.services import connection_create, session_import
from providers.sync import connection_sync
from reviews.models import ReviewTask, VerificationSession, WriteBack
from reviews.services import decision_record
from tests.providers.leko import contract
from tests.providers.leko.conftest import SANDBOX_PATH

pytestmark = pytest.mark.django_db(transaction=True)

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


def recorded(connection) -> tuple[LekoAdapter, contract.RecordingTransport]:
    """An adapter whose client keeps every exchange, for checking against the document."""
    transport = contract.RecordingTransport()
    client = LekoClient.from_connection(connection, transport=transport)
    return LekoAdapter(connection, client=client), transport


def check(transport: contract.RecordingTransport) -> int:
    return contract.validate_exchanges(transport.exchanges, base_path=SANDBOX_PATH)


def decision(external_id: str, outcome: str, **kwargs) -> WriteBackRequest:
    fields = {
        "queue": "status",
        "reason": "",
        "note": "",
        "reviewer": "alice",
        "idempotency_key": f"wb-{external_id}-{outcome}",
    }
    fields.update(kwargs)
    return WriteBackRequest(external_id=external_id, outcome=outcome, **fields)


def received(live_server, verification_id: str) -> list[dict]:
    """What the provider heard, read through its JSON control endpoint."""
    response = httpx.get(
        f"{live_server.url}{SANDBOX_PATH}/_control/received",
        params={"verificationId": verification_id},
    )
    response.raise_for_status()
    return response.json()["calls"]


# ---------------------------------------------------------------- reading


def test_fetch_snapshot_end_to_end_with_decodable_evidence(live):
    connection, account = live
    verification = services.create_verification(account, "admin_review", seed=21)
    adapter, transport = recorded(connection)

    snapshot = adapter.fetch_snapshot(str(verification.id))

    assert snapshot.external_id == str(verification.id)
    assert snapshot.status == SessionStatus.NEEDS_REVIEW
    assert snapshot.provider_status == "admin_review_required / admin_review"
    assert snapshot.review_requested is True
    data = verification.passport["passportData"]
    assert snapshot.person.last_name == data["lastName"]
    assert snapshot.person.document_number == data["passportNumber"]
    assert snapshot.test_mode is True
    assert [e.kind for e in snapshot.evidence] == [EvidenceKind.SELFIE, EvidenceKind.FRONT]
    for evidence in snapshot.evidence:
        picture = Image.open(io.BytesIO(evidence.content))
        picture.verify()
        assert picture.format == "JPEG"
    assert snapshot.evidence[1].external_ref == verification.passport["fileKey"]
    assert check(transport) == 3  # the verification and two files, all per the document


def test_iter_session_ids_pages_and_filters_by_since(live):
    connection, account = live
    now = timezone.now()
    made = [
        services.create_verification(
            account, "pending", with_images=False, updated_at=now - dt.timedelta(hours=5 - i)
        )
        for i in range(5)
    ]
    adapter, transport = recorded(connection)
    adapter.list_page_size = 2  # five verifications over three pages

    newest_first = [str(m.id) for m in reversed(made)]
    assert list(adapter.iter_session_ids()) == newest_first
    since = made[2].updated_at
    assert list(adapter.iter_session_ids(since=since)) == newest_first[:3]
    assert check(transport) == 6


def test_a_sync_pulls_every_verification_and_opens_the_review(live, project):
    _, account = live
    connection = connection_create(
        project=project,
        provider="leko",
        base_url=live[0].base_url,
        credentials=dict(live[0].credentials),
    )
    review = services.create_verification(account, "admin_review", seed=1)
    services.create_verification(account, "clean", seed=2)

    report = connection_sync(connection=connection, full=True)

    assert (report.seen, report.created, report.failed, report.error) == (2, 2, [], "")
    task = ReviewTask.objects.get()
    assert task.queue == "status" and task.session.external_id == str(review.id)
    again = connection_sync(connection=connection)
    assert (again.created, again.changed, again.tasks_opened) == (0, 0, 0)


def test_an_unknown_verification_is_not_found_and_a_malformed_id_rejected(live):
    connection, _ = live
    adapter, transport = recorded(connection)
    with pytest.raises(ProviderNotFound) as raised:
        adapter.fetch_snapshot(UNKNOWN_ID)
    assert raised.value.status_code == 404
    assert raised.value.message == f"Verification {UNKNOWN_ID} not found."
    with pytest.raises(ProviderRejected) as raised:
        adapter.fetch_snapshot("no-such-session-000000000000")
    assert raised.value.status_code == 400
    assert raised.value.message == "verificationId must be a UUID."
    # the malformed id is outside the document on purpose; its answer is not
    request, response = transport.exchanges[1]
    contract_request, contract_response = contract.from_httpx(
        request, response, base_path=SANDBOX_PATH
    )
    contract.validate_response(contract_request, contract_response)
    contract.validate_exchanges(transport.exchanges[:1], base_path=SANDBOX_PATH)


def test_an_expired_token_is_an_auth_error_with_lekos_message(live):
    connection, account = live
    admin = services.account_admin(account)
    stale = services.issue_token(
        admin, now=timezone.now() - dt.timedelta(days=2), ttl=dt.timedelta(days=1)
    )
    connection.credentials = {"token": stale, "user_id": str(admin.user_id)}
    adapter, transport = recorded(connection)
    with pytest.raises(ProviderAuthError) as raised:
        adapter.test_connection()
    assert (raised.value.status_code, raised.value.message) == (401, "Token expired.")
    assert check(transport) == 1


def test_a_user_id_that_is_not_the_tokens_is_403(live):
    connection, account = live
    coach = services.member_create(account, "coach")
    connection.credentials = {**connection.credentials, "user_id": str(coach.user_id)}
    adapter, transport = recorded(connection)
    with pytest.raises(ProviderAuthError) as raised:
        adapter.test_connection()
    assert raised.value.status_code == 403
    assert check(transport) == 1


def test_test_connection_succeeds(live):
    connection, _ = live
    adapter, transport = recorded(connection)
    adapter.test_connection()
    assert check(transport) == 1


# ---------------------------------------------------------------- faults


def test_reads_retry_through_two_503s(live, fast_retries):
    connection, account = live
    verification = services.create_verification(account, "clean", with_images=False)
    services.account_set_faults(account, fail_next=2)
    adapter, transport = recorded(connection)
    snapshot = adapter.fetch_snapshot(str(verification.id), with_evidence=False)
    assert snapshot.status == SessionStatus.APPROVED
    assert [r.status_code for _, r in transport.exchanges] == [503, 503, 200]
    assert check(transport) == 3


def test_429_with_retry_after_is_waited_out(live, fast_retries):
    connection, account = live
    verification = services.create_verification(account, "clean", with_images=False)
    services.account_set_faults(account, fail_next=1, status=429, retry_after=0)
    adapter, transport = recorded(connection)
    adapter.fetch_snapshot(str(verification.id), with_evidence=False)
    assert [r.status_code for _, r in transport.exchanges] == [429, 200]
    assert transport.exchanges[0][1].headers["Retry-After"] == "0"


def test_down_gives_provider_unavailable_with_503(live, fast_retries):
    connection, account = live
    verification = services.create_verification(account, "clean", with_images=False)
    services.account_set_faults(account, down=True)
    with pytest.raises(ProviderUnavailable) as raised:
        LekoAdapter(connection).fetch_snapshot(str(verification.id))
    assert raised.value.status_code == 503
    assert raised.value.message == "Service temporarily unavailable."
    account.refresh_from_db()
    assert account.faults_served == fast_retries.PROVIDER_MAX_RETRIES + 1


# ---------------------------------------------------------------- writing back


def test_approve_reaches_the_provider_once_as_an_admin_approval(live, live_server):
    connection, account = live
    review = services.create_verification(account, "admin_review", with_images=False)
    adapter, transport = recorded(connection)

    result = adapter.write_decision(
        decision(str(review.id), "approve", reason="verified", note="ID checked by hand")
    )

    assert result.supported and result.status_code == 200
    assert result.response["status"] == "approved"
    (call,) = received(live_server, str(review.id))
    assert (call["method"], call["path"], call["outcome"]) == (
        "PUT",
        f"/verifications/{review.id}/admin",
        "applied",
    )
    assert call["body"] == {"approved": True, "notes": "ID checked by hand", "reviewerId": "alice"}
    assert call["headers"]["x-current-user-id"] == connection.credentials["user_id"]
    assert call["headers"]["Authorization"].startswith("Bearer ")
    after = adapter.fetch_snapshot(str(review.id), with_evidence=False)
    assert after.status == SessionStatus.APPROVED
    assert after.review_requested is False
    assert check(transport) == 2


def test_reject_sends_lekos_reason(live, live_server):
    connection, account = live
    review = services.create_verification(account, "admin_review", with_images=False)
    adapter, transport = recorded(connection)
    adapter.write_decision(
        decision(str(review.id), "reject", reason="insufficient_quality", note="x" * 700)
    )
    (call,) = received(live_server, str(review.id))
    assert call["body"]["reason"] == "insufficient_quality"
    review.refresh_from_db()
    assert review.status == "rejected" and len(review.admin_approval["notes"]) == 500
    assert check(transport) == 1


def test_a_lost_answer_then_the_retrys_409_counts_as_delivered(live, live_server):
    connection, account = live
    review = services.create_verification(account, "admin_review", with_images=False)
    adapter, transport = recorded(connection)
    request = decision(str(review.id), "approve", note="fine")
    adapter.write_decision(request)  # imagine this answer never reached kycdash

    again = adapter.write_decision(request)

    assert again.supported and again.status_code == 409
    assert again.response["alreadyApplied"] is True
    outcomes = [c["outcome"] for c in received(live_server, str(review.id))]
    assert outcomes == ["rejected", "applied"]  # LE-KO applied it once
    assert check(transport) == 3


def test_the_outbox_marks_a_409_failed_after_one_attempt_with_lekos_message(
    live, live_server, project, reviewer
):
    """A verification no longer awaiting an admin (decided at LE-KO meanwhile): refused."""
    _, account = live
    connection = connection_create(
        project=project,
        provider="leko",
        base_url=live[0].base_url,
        credentials=dict(live[0].credentials),
    )
    review = services.create_verification(account, "admin_review", seed=9)
    task = session_import(connection=connection, external_id=str(review.id)).opened[0]
    assert task.queue == "status"
    # someone decided it in LE-KO's own back office before kycdash's reviewer did
    services.verification_admin_decide(review, {"approved": True, "reviewerId": "le-ko-admin"})

    decision_record(
        task=task, reviewer=reviewer, outcome="reject", reason="fake_document", note="forged"
    )

    writeback = WriteBack.objects.get(decision__task=task)
    assert writeback.state == WriteBack.State.FAILED
    assert writeback.attempts == 1
    assert writeback.attempt_log.count() == 1
    assert writeback.last_status_code == 409
    assert "Verification must be in admin_review_required status; it is approved." in (
        writeback.last_error
    )
    calls = received(live_server, str(review.id))
    assert [(c["method"], c["outcome"], c["response_status"]) for c in calls] == [
        ("PUT", "rejected", 409)
    ]
    review.refresh_from_db()
    assert review.admin_approval == {"approved": True, "reviewerId": "le-ko-admin"}
    assert VerificationSession.objects.get().status == SessionStatus.NEEDS_REVIEW


@pytest.mark.parametrize(
    ("queue", "outcome"), [("antifraud", "resolve_false_positive"), ("poa", "approve")]
)
def test_other_queues_are_not_supported_and_send_nothing(live, live_server, queue, outcome):
    connection, account = live
    review = services.create_verification(account, "admin_review", with_images=False)
    result = LekoAdapter(connection).write_decision(decision(str(review.id), outcome, queue=queue))
    assert result.supported is False
    assert received(live_server, str(review.id)) == []


def test_the_write_back_retries_through_a_503(live, live_server, fast_retries):
    connection, account = live
    review = services.create_verification(account, "admin_review", with_images=False)
    services.account_set_faults(account, fail_next=1)
    adapter, transport = recorded(connection)
    result = adapter.write_decision(decision(str(review.id), "approve"))
    assert result.status_code == 200
    outcomes = [c["outcome"] for c in received(live_server, str(review.id))]
    assert outcomes == ["applied", "fault"]  # newest first
    assert check(transport) == 2


def test_every_call_of_the_client_matches_the_document_live(live, fast_retries):
    """One place that walks each endpoint kycdash calls, answers good and bad included."""
    connection, account = live
    review = services.create_verification(account, "admin_review")
    clean = services.create_verification(account, "clean", with_images=False)
    transport = contract.RecordingTransport()
    client = LekoClient.from_connection(connection, transport=transport)

    client.list_verifications(number=0, limit=1)  # 200 VerificationsPage
    client.verification(str(review.id))  # 200 Verification
    client.file(review.passport["fileKey"])  # 200 image (choice (b))
    with pytest.raises(ProviderNotFound):
        client.file("passports/none.jpg")  # 404 Errors
    with pytest.raises(ProviderNotFound):
        client.verification(UNKNOWN_ID)  # 404 Errors (choice (c))
    services.account_set_faults(account, fail_next=1)
    client.admin_decision(str(review.id), approved=True, reviewer_id="alice")  # 503, then 200
    with pytest.raises(ProviderRejected):
        client.admin_decision(str(clean.id), approved=False, reason="fake_document")  # 409

    statuses = [response.status_code for _, response in transport.exchanges]
    assert statuses == [200, 200, 200, 404, 404, 503, 200, 409]
    assert check(transport) == 8
