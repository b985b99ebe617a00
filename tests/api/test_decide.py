"""POST decide, confirm, return and write-back retry."""

from __future__ import annotations

import pytest

from kycdash.audit.models import AuditEvent
from reviews import services
from reviews.models import Decision, WriteBack
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db


def decide(client, task, **body):
    return client.post(f"/api/v1/tasks/{task.pk}/decide/", body, format="json")


def assert_untouched(task, state: str = "open") -> None:
    task.refresh_from_db()
    assert task.state == state
    if state == "open":
        assert task.assignee is None
    assert not Decision.objects.filter(task=task, state="final").exists()
    assert not WriteBack.objects.filter(decision__task=task).exists()


def test_approve_is_201_closes_the_task_and_queues_a_write_back(api, reviewer, task):
    response = decide(api(reviewer), task, outcome="approve", note="Looks right.")
    assert response.status_code == 201
    body = response.json()
    decision = Decision.objects.get(task=task)
    assert body["id"] == decision.pk
    assert (body["outcome"], body["reason"], body["note"]) == ("approve", "", "Looks right.")
    assert body["state"] == "final"
    assert body["reviewer"] == reviewer.username
    assert body["task"] == {
        "id": task.pk,
        "queue": "status",
        "state": "done",
        "assignee": reviewer.username,
    }
    task.refresh_from_db()
    assert task.state == "done"

    # The write-back row was made in the decision's transaction. Whether it is pending
    # or not_supported depends on the Incode adapter's capabilities; the API shows it.
    writeback = WriteBack.objects.get(decision=decision)
    assert writeback.state in {"pending", "not_supported"}
    assert body["writeback"]["id"] == writeback.pk
    assert body["writeback"]["state"] == writeback.state
    detail = api(reviewer).get(f"/api/v1/tasks/{task.pk}/").json()
    assert detail["decisions"][0]["writeback"]["state"] == writeback.state


@pytest.mark.django_db(transaction=True)
def test_the_response_shows_the_write_back_after_delivery_was_tried(api, reviewer, task, settings):
    # Committed for real, so the eager Celery delivery (to the factory's unreachable
    # base URL) runs when the service commits, before the view reads the row back.
    settings.PROVIDER_MAX_RETRIES = 0
    settings.PROVIDER_TIMEOUT_SECONDS = 2
    response = decide(api(reviewer), task, outcome="reject", reason="fake_document")
    assert response.status_code == 201
    writeback = WriteBack.objects.get(decision__task=task)
    assert writeback.state in {"pending", "failed", "not_supported"}
    shown = response.json()["writeback"]
    assert shown["state"] == writeback.state
    assert shown["attempts"] == writeback.attempts
    assert shown["last_error"] == writeback.last_error
    if writeback.state != "not_supported":
        assert writeback.attempts >= 1  # delivery was tried before the answer


def test_reject_without_a_reason_is_400_reason_required_and_changes_nothing(api, reviewer, task):
    events_before = AuditEvent.objects.count()
    response = decide(api(reviewer), task, outcome="reject", note="no")
    assert response.status_code == 400
    assert error_of(response)["code"] == "reason_required"
    assert_untouched(task)
    assert not Decision.objects.exists()
    assert AuditEvent.objects.count() == events_before


def test_an_outcome_of_another_queue_is_400_invalid_outcome(api, reviewer, make_task):
    antifraud = make_task("antifraud")
    response = decide(api(reviewer), antifraud, outcome="approve")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid_outcome"
    assert "resolve_false_positive" in error["message"]
    assert_untouched(antifraud)


def test_an_unknown_outcome_is_400_invalid_with_the_field(api, reviewer, task):
    response = decide(api(reviewer), task, outcome="maybe")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert list(error["fields"]) == ["outcome"]
    assert_untouched(task)


def test_a_missing_outcome_is_400(api, reviewer, task):
    response = decide(api(reviewer), task, reason="verified")
    assert response.status_code == 400
    assert "outcome" in error_of(response)["fields"]
    assert_untouched(task)


def test_a_reason_code_of_another_queue_is_400_invalid_reason(api, reviewer, task):
    response = decide(api(reviewer), task, outcome="reject", reason="older_than_3_months")
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_reason"
    assert_untouched(task)


def test_a_too_long_note_is_400_note_too_long(api, reviewer, task):
    response = decide(api(reviewer), task, outcome="approve", note="x" * 2001)
    assert response.status_code == 400
    assert error_of(response)["code"] == "note_too_long"
    assert_untouched(task)


def test_an_auditor_decides_nothing(api, auditor, task):
    events_before = AuditEvent.objects.count()
    response = decide(api(auditor), task, outcome="approve")
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"
    assert_untouched(task)
    assert AuditEvent.objects.count() == events_before


def test_an_outsider_gets_404(api, outsider, task):
    response = decide(api(outsider), task, outcome="approve")
    assert response.status_code == 404
    assert_untouched(task)


def test_a_task_claimed_by_another_is_409_claimed_by_other(api, reviewer, member, task):
    colleague = member()
    services.task_claim(task=task, user=colleague)
    response = decide(api(reviewer), task, outcome="approve")
    assert response.status_code == 409
    assert error_of(response)["code"] == "claimed_by_other"
    assert_untouched(task, state="claimed")


def test_a_decided_task_is_409_not_decidable(api, reviewer, task):
    client = api(reviewer)
    assert decide(client, task, outcome="approve").status_code == 201
    response = decide(client, task, outcome="reject", reason="fake_document")
    assert response.status_code == 409
    assert error_of(response)["code"] == "not_decidable"
    assert Decision.objects.filter(task=task).count() == 1


# ---------------------------------------------------------------- four eyes


@pytest.fixture
def four_eyes(project):
    project.four_eyes_status = True
    project.save()
    return project


def test_four_eyes_proposal_waits_for_a_different_senior(
    api, four_eyes, senior, second_senior, task
):
    proposer = api(senior)
    response = decide(proposer, task, outcome="reject", reason="identity_mismatch")
    assert response.status_code == 201
    assert response.json()["state"] == "proposed"
    assert response.json()["task"]["state"] == "awaiting_second"
    assert response.json()["writeback"] is None
    assert not WriteBack.objects.exists()

    same = proposer.post(f"/api/v1/tasks/{task.pk}/confirm/", {}, format="json")
    assert same.status_code == 400
    assert error_of(same)["code"] == "same_reviewer"
    task.refresh_from_db()
    assert task.state == "awaiting_second"

    other = api(second_senior).post(
        f"/api/v1/tasks/{task.pk}/confirm/", {"note": "Agreed."}, format="json"
    )
    assert other.status_code == 200
    body = other.json()
    assert body["state"] == "final"
    assert body["second_reviewer"] == second_senior.username
    assert body["second_note"] == "Agreed."
    assert body["task"]["state"] == "done"
    assert body["writeback"]["state"] == WriteBack.objects.get(decision__task=task).state


def test_a_plain_reviewer_cannot_give_the_second_approval(api, four_eyes, senior, reviewer, task):
    services.decision_record(task=task, reviewer=senior, outcome="approve")
    response = api(reviewer).post(f"/api/v1/tasks/{task.pk}/confirm/", {}, format="json")
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"
    assert_untouched(task, state="awaiting_second")


def test_confirming_a_task_that_awaits_nothing_is_409_not_awaiting(api, senior, task):
    response = api(senior).post(f"/api/v1/tasks/{task.pk}/confirm/", {}, format="json")
    assert response.status_code == 409
    assert error_of(response)["code"] == "not_awaiting"


def test_return_needs_a_note_then_reopens_the_task(api, four_eyes, senior, second_senior, task):
    services.decision_record(task=task, reviewer=senior, outcome="approve")
    client = api(second_senior)
    response = client.post(f"/api/v1/tasks/{task.pk}/return/", {"note": "  "}, format="json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "note_required"
    assert_untouched(task, state="awaiting_second")

    response = client.post(
        f"/api/v1/tasks/{task.pk}/return/", {"note": "Check the address."}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["state"] == "returned"
    assert response.json()["task"] == {
        "id": task.pk,
        "queue": "status",
        "state": "open",
        "assignee": None,
    }
    assert not WriteBack.objects.exists()


# ---------------------------------------------------------------- write-back retry


@pytest.fixture
def failed_writeback(task, reviewer):
    decision = services.decision_record(task=task, reviewer=reviewer, outcome="approve")
    WriteBack.objects.filter(decision=decision).update(
        state="failed", attempts=12, last_status_code=500, last_error="provider down"
    )
    return WriteBack.objects.get(decision=decision)


def test_retry_puts_a_failed_write_back_back_in_the_outbox(api, reviewer, failed_writeback):
    response = api(reviewer).post(f"/api/v1/writebacks/{failed_writeback.pk}/retry/")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == failed_writeback.pk
    assert body["state"] == "pending"
    assert body["last_error"] == "provider down"
    failed_writeback.refresh_from_db()
    assert failed_writeback.state == "pending"


def test_retrying_a_write_back_that_did_not_fail_is_409(api, reviewer, failed_writeback):
    WriteBack.objects.filter(pk=failed_writeback.pk).update(state="sent")
    response = api(reviewer).post(f"/api/v1/writebacks/{failed_writeback.pk}/retry/")
    assert response.status_code == 409
    assert error_of(response)["code"] == "not_failed"


def test_an_auditor_cannot_retry(api, auditor, failed_writeback):
    response = api(auditor).post(f"/api/v1/writebacks/{failed_writeback.pk}/retry/")
    assert response.status_code == 403
    failed_writeback.refresh_from_db()
    assert failed_writeback.state == "failed"


def test_an_outsider_cannot_see_the_write_back(api, outsider, failed_writeback):
    response = api(outsider).post(f"/api/v1/writebacks/{failed_writeback.pk}/retry/")
    assert response.status_code == 404
    failed_writeback.refresh_from_db()
    assert failed_writeback.state == "failed"
