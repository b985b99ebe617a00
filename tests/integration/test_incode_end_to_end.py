"""Sandbox webhook -> ingest -> task -> decision through the API -> the sandbox heard it."""

from __future__ import annotations

import pytest

from providers.incode.sandbox import services as sandbox
from providers.models import WebhookEvent
from reviews.models import ReviewTask, VerificationSession, WriteBack

pytestmark = pytest.mark.django_db(transaction=True)


def test_status_review_round_trip(incode, incode_account, reviewer, api):
    interview = sandbox.create_interview(incode_account, "manual_review", seed=7)

    notification = sandbox.notify_status_changed(interview)

    assert notification.delivered, notification.error
    event = WebhookEvent.objects.get(connection=incode)
    assert event.external_id == interview.id and event.state == "processed"
    session = VerificationSession.objects.get(connection=incode, external_id=interview.id)
    assert session.status == "needs_review"
    assert {e.kind for e in session.evidence.all()} >= {"front", "back", "selfie", "portrait"}
    task = ReviewTask.objects.get(session=session, queue="status")

    client = api(reviewer)
    listed = client.get("/tasks/", params={"queue": "status", "state": "open"})
    assert listed.status_code == 200
    assert task.pk in [row["id"] for row in listed.json()["results"]]
    assert client.post(f"/tasks/{task.pk}/claim/").status_code == 200
    decided = client.post(
        f"/tasks/{task.pk}/decide/",
        json={"outcome": "approve", "reason": "verified", "note": "Face and document agree"},
    )
    assert decided.status_code == 201, decided.text

    writeback = WriteBack.objects.get(decision__task=task)
    assert writeback.state == "sent", writeback.last_error
    detail = client.get(f"/tasks/{task.pk}/").json()
    assert detail["decisions"][0]["writeback"]["state"] == "sent"

    calls = list(sandbox.received_calls(interview_id=interview.id, path="/omni/manual-review"))
    assert len(calls) == 1
    call = calls[0]
    assert call.method == "PUT" and call.outcome == "applied"
    assert call.query.get("interviewId") == interview.id
    assert call.body["manualReviewStatus"] == "APPROVED"
    headers = {k.lower(): v for k, v in call.headers.items()}
    assert headers["api-version"] == "1.0"
    assert headers["x-api-key"] == incode.credentials["api_key"]
    assert headers["x-incode-hardware-id"] == incode.credentials["admin_token"]
    assert headers["idempotency-key"] == writeback.idempotency_key

    # The provider announces the new status; kycdash reads it back through the API.
    session.refresh_from_db()
    assert session.provider_status.startswith("MANUAL_REVIEW_APPROVED")
    assert session.status == "approved"


def test_antifraud_resolution_round_trip(incode, incode_account, reviewer, api):
    sandbox.create_interview(incode_account, "clean", seed=1)
    suspect = sandbox.create_interview(incode_account, "antifraud_failed", seed=2)
    sandbox.notify_status_changed(suspect)

    task = ReviewTask.objects.get(session__external_id=suspect.id, queue="antifraud")
    assert "IdFaceAntifraudExecutor" in task.reason or "Antifraud" in task.reason

    client = api(reviewer)
    decided = client.post(
        f"/tasks/{task.pk}/decide/",
        json={"outcome": "resolve_false_positive", "reason": "same_person_new_session"},
    )
    assert decided.status_code == 201, decided.text

    calls = list(sandbox.received_calls(interview_id=suspect.id, path="/omni/resolve/antifraud"))
    assert [c.outcome for c in calls] == ["applied"]
    assert calls[0].method == "PUT"
    assert calls[0].query.get("interviewId") == suspect.id
    assert WriteBack.objects.get(decision__task=task).state == "sent"


def test_poa_decisions_stay_local(incode, incode_account, reviewer, api):
    interview = sandbox.create_interview(incode_account, "poa_review", seed=3)
    sandbox.notify_status_changed(interview)
    task = ReviewTask.objects.get(session__external_id=interview.id, queue="poa")

    decided = api(reviewer).post(
        f"/tasks/{task.pk}/decide/", json={"outcome": "reject", "reason": "address_mismatch"}
    )

    assert decided.status_code == 201, decided.text
    assert WriteBack.objects.get(decision__task=task).state == "not_supported"
    assert not sandbox.received_calls(interview_id=interview.id).exists()


def test_a_provider_refusal_is_shown_and_not_retried(incode, incode_account, reviewer, api):
    interview = sandbox.create_interview(incode_account, "manual_review", seed=4)
    sandbox.notify_status_changed(interview)
    task = ReviewTask.objects.get(session__external_id=interview.id, queue="status")
    # A revoked admin token: Incode answers 401, which no retry can fix.
    incode.credentials = {"api_key": "it-api-key", "admin_token": "revoked-token"}
    incode.save()

    api(reviewer).post(f"/tasks/{task.pk}/decide/", json={"outcome": "approve"})

    writeback = WriteBack.objects.get(decision__task=task)
    assert writeback.state == "failed" and writeback.attempts == 1
    assert writeback.last_status_code == 401
    assert "Incode" in writeback.last_error
