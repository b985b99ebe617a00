import pytest
from django.core.exceptions import PermissionDenied

from kycdash.accounts.models import Role
from kycdash.audit.models import AuditEvent
from reviews.models import Decision, ReviewTask, WriteBack
from reviews.services import (
    ReviewError,
    decision_confirm,
    decision_record,
    decision_return,
    task_claim,
    task_claim_next,
    task_release,
)
from tests.factories import SessionFactory, TaskFactory


@pytest.fixture
def task(project):
    return TaskFactory(session=SessionFactory(connection__project=project), queue="status")


def test_claim_assigns_and_audits(task, reviewer):
    claimed = task_claim(task=task, user=reviewer)
    assert claimed.state == "claimed" and claimed.assignee == reviewer
    assert AuditEvent.objects.filter(action="task.claimed", actor=reviewer).exists()


def test_a_claimed_task_cannot_be_claimed_by_another(task, reviewer, member):
    task_claim(task=task, user=reviewer)
    with pytest.raises(ReviewError) as error:
        task_claim(task=task, user=member(Role.REVIEWER))
    assert error.value.code == "not_claimable"


def test_claim_next_takes_the_earliest_sla_and_skips_claimed(project, reviewer, member):
    import datetime as dt

    from django.utils import timezone

    now = timezone.now()
    session = SessionFactory(connection__project=project)
    late = TaskFactory(session=session, queue="poa", sla_due_at=now + dt.timedelta(hours=5))
    soon = TaskFactory(
        session=SessionFactory(connection=session.connection),
        queue="poa",
        sla_due_at=now + dt.timedelta(hours=1),
    )
    other = member(Role.REVIEWER)
    assert task_claim_next(user=other, queue="poa") == soon
    assert task_claim_next(user=reviewer, queue="poa") == late
    assert task_claim_next(user=reviewer, queue="poa") is None


def test_claim_next_never_reaches_into_another_project(task, outsider):
    assert task_claim_next(user=outsider, queue="status") is None


def test_auditors_cannot_claim_or_decide(task, auditor):
    with pytest.raises(PermissionDenied):
        task_claim(task=task, user=auditor)
    with pytest.raises(PermissionDenied):
        decision_record(task=task, reviewer=auditor, outcome="approve")
    with pytest.raises(PermissionDenied):
        task_claim_next(user=auditor, queue="status")
    task.refresh_from_db()
    assert task.state == "open" and not Decision.objects.exists()


def test_approve_closes_the_task_and_queues_a_write_back(task, reviewer):
    task_claim(task=task, user=reviewer)
    decision = decision_record(task=task, reviewer=reviewer, outcome="approve", note="Looks right")
    task.refresh_from_db()
    assert task.state == "done" and task.closed_at is not None
    assert decision.state == "final"
    writeback = WriteBack.objects.get(decision=decision)
    assert writeback.idempotency_key == f"kycdash-decision-{decision.pk}"
    assert writeback.payload["outcome"] == "approve"
    assert writeback.payload["external_id"] == task.session.external_id
    assert AuditEvent.objects.filter(action="decision.made", object_id=str(decision.pk)).exists()


def test_deciding_an_open_task_claims_it(task, reviewer):
    decision_record(task=task, reviewer=reviewer, outcome="approve")
    task.refresh_from_db()
    assert task.assignee == reviewer and task.state == "done"


def test_a_task_claimed_by_another_is_not_yours_to_decide(task, reviewer, member):
    task_claim(task=task, user=member(Role.REVIEWER))
    with pytest.raises(ReviewError) as error:
        decision_record(task=task, reviewer=reviewer, outcome="approve")
    assert error.value.code == "claimed_by_other"


@pytest.mark.parametrize(
    ("outcome", "reason", "code"),
    [
        ("reject", "", "reason_required"),
        ("reject", "not_a_code", "invalid_reason"),
        ("confirm_fraud", "duplicate_identity", "invalid_outcome"),
        ("explode", "", "invalid_outcome"),
    ],
)
def test_bad_decisions_change_nothing(task, reviewer, outcome, reason, code):
    with pytest.raises(ReviewError) as error:
        decision_record(task=task, reviewer=reviewer, outcome=outcome, reason=reason)
    assert error.value.code == code
    task.refresh_from_db()
    assert task.state == "open" and task.assignee is None
    assert not Decision.objects.exists() and not WriteBack.objects.exists()


def test_a_decided_task_cannot_be_decided_again(task, reviewer):
    decision_record(task=task, reviewer=reviewer, outcome="reject", reason="fake_document")
    with pytest.raises(ReviewError) as error:
        decision_record(task=task, reviewer=reviewer, outcome="approve")
    assert error.value.code == "not_decidable"


def test_antifraud_outcomes(project, reviewer):
    task = TaskFactory(session=SessionFactory(connection__project=project), queue="antifraud")
    decision = decision_record(
        task=task, reviewer=reviewer, outcome="confirm_fraud", reason="duplicate_identity"
    )
    assert decision.outcome == "confirm_fraud"


def test_release_returns_the_task_to_the_queue(task, reviewer):
    task_claim(task=task, user=reviewer)
    task_release(task=task, user=reviewer)
    task.refresh_from_db()
    assert task.state == "open" and task.assignee is None


class TestFourEyes:
    @pytest.fixture(autouse=True)
    def _four_eyes(self, project):
        project.four_eyes_status = True
        project.save()

    def test_a_first_decision_is_only_a_proposal(self, task, senior):
        decision = decision_record(task=task, reviewer=senior, outcome="approve")
        task.refresh_from_db()
        assert decision.state == "proposed" and task.state == "awaiting_second"
        assert not WriteBack.objects.exists()

    def test_the_proposer_cannot_confirm_their_own_decision(self, task, senior):
        decision_record(task=task, reviewer=senior, outcome="approve")
        with pytest.raises(ReviewError) as error:
            decision_confirm(task=task, user=senior)
        assert error.value.code == "same_reviewer"

    def test_a_plain_reviewer_cannot_give_the_second_approval(self, task, senior, reviewer):
        decision_record(task=task, reviewer=senior, outcome="approve")
        with pytest.raises(PermissionDenied):
            decision_confirm(task=task, user=reviewer)

    def test_a_different_senior_reviewer_makes_it_final(self, task, reviewer, member):
        proposed = decision_record(task=task, reviewer=reviewer, outcome="approve")
        second = member(Role.SENIOR_REVIEWER)
        decision = decision_confirm(task=task, user=second, note="Agreed")
        task.refresh_from_db()
        assert decision.pk == proposed.pk and decision.state == "final"
        assert decision.second_reviewer == second
        assert task.state == "done"
        assert WriteBack.objects.filter(decision=decision).exists()

    def test_a_returned_proposal_reopens_the_task(self, task, reviewer, senior):
        decision_record(task=task, reviewer=reviewer, outcome="approve")
        with pytest.raises(ReviewError):
            decision_return(task=task, user=senior, note="")
        decision = decision_return(task=task, user=senior, note="Selfie is blurred")
        task.refresh_from_db()
        assert decision.state == "returned" and task.state == "open" and task.assignee is None
        assert ReviewTask.objects.get(pk=task.pk).decisions.count() == 1
