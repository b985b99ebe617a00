"""task_assign, tasks_bulk, release by admins, and claim next within the queue's filters."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from kycdash.accounts.models import Role
from kycdash.audit.models import AuditEvent
from reviews.models import ReviewTask
from reviews.services import (
    BulkResult,
    BulkSkip,
    ReviewError,
    task_assign,
    task_claim_next,
    task_release,
    tasks_bulk,
)
from tests.factories import ConnectionFactory, MembershipFactory, SessionFactory, TaskFactory

pytestmark = pytest.mark.django_db


def fresh(task) -> ReviewTask:
    return ReviewTask.objects.get(pk=task.pk)


# ---------------------------------------------------------------- task_assign


@pytest.mark.parametrize("role", [Role.SENIOR_REVIEWER, Role.ADMIN])
def test_senior_reviewers_and_admins_assign_an_open_task(role, member, reviewer, make_task):
    task = make_task()
    boss = member(role)
    assigned = task_assign(task=task, user=boss, assignee=reviewer)
    assert assigned.state == "claimed" and assigned.assignee == reviewer
    task = fresh(task)
    assert task.state == "claimed" and task.assignee == reviewer and task.claimed_at
    event = AuditEvent.objects.get(action="task.assigned")
    assert event.actor == boss and event.object_id == str(task.pk)
    assert event.data == {"from": None, "to": reviewer.username}


def test_a_claimed_task_is_reassigned_with_from_and_to_in_the_audit(
    senior, reviewer, member, make_task
):
    holder = member(Role.REVIEWER)
    task = make_task(state="claimed", assignee=holder)
    task_assign(task=task, user=senior, assignee=reviewer)
    assert fresh(task).assignee == reviewer
    event = AuditEvent.objects.get(action="task.assigned")
    assert event.data == {"from": holder.username, "to": reviewer.username}


def test_assigning_to_the_holder_changes_nothing(senior, reviewer, make_task):
    task = make_task(state="claimed", assignee=reviewer)
    task_assign(task=task, user=senior, assignee=reviewer)
    assert not AuditEvent.objects.filter(action="task.assigned").exists()


def test_a_superuser_may_assign(reviewer, make_task):
    from tests.factories import UserFactory

    root = UserFactory(is_superuser=True)
    task = make_task()
    task_assign(task=task, user=root, assignee=reviewer)
    assert fresh(task).assignee == reviewer


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.AUDITOR])
def test_reviewers_and_auditors_cannot_assign(role, member, reviewer, make_task):
    task = make_task()
    with pytest.raises(PermissionDenied):
        task_assign(task=task, user=member(role), assignee=reviewer)
    task = fresh(task)
    assert task.state == "open" and task.assignee is None
    assert not AuditEvent.objects.filter(action="task.assigned").exists()


def test_a_senior_of_another_project_cannot_assign(reviewer, make_task):
    from tests.factories import UserFactory

    elsewhere = UserFactory()
    MembershipFactory(user=elsewhere, role=Role.SENIOR_REVIEWER)
    task = make_task()
    with pytest.raises(PermissionDenied):
        task_assign(task=task, user=elsewhere, assignee=reviewer)
    assert fresh(task).state == "open"


def test_the_assignee_must_decide_in_the_tasks_project(
    senior, auditor, admin_user, outsider, make_task
):
    task = make_task()
    for nobody in (auditor, admin_user, outsider):  # auditor, admin, member of another project
        with pytest.raises(ReviewError) as error:
            task_assign(task=task, user=senior, assignee=nobody)
        assert error.value.code == "invalid_assignee"
        assert nobody.username in error.value.message
    task = fresh(task)
    assert task.state == "open" and task.assignee is None
    assert not AuditEvent.objects.filter(action="task.assigned").exists()


def test_a_senior_reviewer_may_be_the_assignee(senior, member, make_task):
    other_senior = member(Role.SENIOR_REVIEWER)
    task = make_task()
    task_assign(task=task, user=senior, assignee=other_senior)
    assert fresh(task).assignee == other_senior


@pytest.mark.parametrize("state", ["awaiting_second", "done"])
def test_only_open_or_claimed_tasks_are_assignable(state, senior, reviewer, member, make_task):
    holder = member(Role.REVIEWER)
    task = make_task(state=state, assignee=holder)
    with pytest.raises(ReviewError) as error:
        task_assign(task=task, user=senior, assignee=reviewer)
    assert error.value.code == "not_assignable"
    task = fresh(task)
    assert task.state == state and task.assignee == holder


# ---------------------------------------------------------------- task_release


def test_an_admin_may_release_anyones_task(admin_user, reviewer, make_task):
    task = make_task(state="claimed", assignee=reviewer)
    task_release(task=task, user=admin_user)
    task = fresh(task)
    assert task.state == "open" and task.assignee is None
    assert AuditEvent.objects.filter(action="task.released", actor=admin_user).exists()


def test_an_auditor_still_cannot_release(auditor, reviewer, make_task):
    task = make_task(state="claimed", assignee=reviewer)
    with pytest.raises(PermissionDenied):
        task_release(task=task, user=auditor)
    assert fresh(task).assignee == reviewer


# ---------------------------------------------------------------- tasks_bulk


def test_bulk_assign_collects_what_it_could_not_do(
    senior, reviewer, member, make_task, foreign_task
):
    first, second = make_task(), make_task()
    claimed = make_task(state="claimed", assignee=member(Role.REVIEWER))
    waiting = make_task(state="awaiting_second", assignee=member(Role.REVIEWER))
    ids = [first.pk, waiting.pk, foreign_task.pk, second.pk, claimed.pk, 999_999]
    result = tasks_bulk(task_ids=ids, user=senior, action="assign", assignee=reviewer)

    assert result.done == [first.pk, second.pk, claimed.pk]
    assert [(skip.task_id, skip.code) for skip in result.skipped] == [
        (waiting.pk, "not_assignable"),
        (foreign_task.pk, "not_found"),
        (999_999, "not_found"),
    ]
    for task in (first, second, claimed):
        assert fresh(task).assignee == reviewer
    assert fresh(waiting).state == "awaiting_second"
    foreign = fresh(foreign_task)
    assert foreign.state == "open" and foreign.assignee is None
    assert AuditEvent.objects.filter(action="task.assigned").count() == 3
    assert not AuditEvent.objects.filter(object_id=str(foreign_task.pk)).exists()
    assert result.summary() == (
        f"3 assigned, 3 skipped: task #{waiting.pk} is awaiting a second approval; "
        f"task #{foreign_task.pk} was not found; task #999999 was not found."
    )


def test_bulk_release(admin_user, reviewer, make_task):
    held = make_task(state="claimed", assignee=reviewer)
    free = make_task()
    result = tasks_bulk(task_ids=[held.pk, free.pk], user=admin_user, action="release")
    assert result.done == [held.pk]
    assert result.skipped == [BulkSkip(free.pk, "is not claimed by anyone", "not_claimed")]
    assert fresh(held).state == "open"
    assert result.summary() == f"1 released, 1 skipped: task #{free.pk} is not claimed by anyone."


def test_bulk_assign_to_someone_who_cannot_decide_skips_every_task(senior, auditor, make_task):
    task = make_task()
    result = tasks_bulk(task_ids=[task.pk], user=senior, action="assign", assignee=auditor)
    assert result.done == [] and result.skipped[0].code == "invalid_assignee"
    assert "cannot decide review tasks" in result.summary()
    assert fresh(task).state == "open"


def test_bulk_skips_tasks_of_a_project_where_the_user_only_reviews(senior, reviewer, make_task):
    connection = ConnectionFactory(provider="incode")
    MembershipFactory(user=senior, project=connection.project, role=Role.REVIEWER)
    MembershipFactory(user=reviewer, project=connection.project, role=Role.REVIEWER)
    there = TaskFactory(session=SessionFactory(connection=connection))
    here = make_task()
    result = tasks_bulk(
        task_ids=[here.pk, there.pk], user=senior, action="assign", assignee=reviewer
    )
    assert result.done == [here.pk]
    assert result.skipped[0].code == "permission_denied"
    assert fresh(there).state == "open"


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.AUDITOR])
def test_bulk_is_refused_to_reviewers_and_auditors(role, member, reviewer, make_task):
    task = make_task(state="claimed", assignee=reviewer)
    user = member(role)
    for action in ("assign", "release"):
        with pytest.raises(PermissionDenied):
            tasks_bulk(task_ids=[task.pk], user=user, action=action, assignee=reviewer)
    assert fresh(task).assignee == reviewer
    assert not AuditEvent.objects.filter(action__in=["task.assigned", "task.released"]).exists()


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"task_ids": [], "action": "assign"}, "nothing_selected"),
        ({"task_ids": [1], "action": "delete"}, "invalid_action"),
        ({"task_ids": [1], "action": "assign"}, "assignee_required"),
    ],
)
def test_bulk_input_errors(kwargs, code, senior):
    with pytest.raises(ReviewError) as error:
        tasks_bulk(user=senior, **kwargs)
    assert error.value.code == code


def test_the_summary_says_how_many_more_were_skipped():
    result = BulkResult(
        action="assign",
        done=[1],
        skipped=[BulkSkip(n, "was not found", "not_found") for n in range(10, 17)],
    )
    assert result.summary().endswith("task #14 was not found; and 2 more.")


# ---------------------------------------------------------------- claim next with filters


@pytest.fixture
def flonk(project):
    return ConnectionFactory(project=project, provider="flonk")


def test_claim_next_follows_the_provider_filter(reviewer, member, make_task, flonk):
    now = timezone.now()
    make_task(queue="poa", sla_due_at=now + dt.timedelta(minutes=5))  # earlier, but Incode
    make_task(  # earlier Flonk, but claimed by someone else
        session=SessionFactory(connection=flonk),
        queue="poa",
        sla_due_at=now + dt.timedelta(minutes=10),
        state="claimed",
        assignee=member(Role.REVIEWER),
    )
    late = make_task(
        session=SessionFactory(connection=flonk),
        queue="poa",
        sla_due_at=now + dt.timedelta(hours=3),
    )
    early = make_task(
        session=SessionFactory(connection=flonk),
        queue="poa",
        sla_due_at=now + dt.timedelta(hours=1),
    )
    assert task_claim_next(user=reviewer, queue="poa", provider="flonk") == early
    assert task_claim_next(user=reviewer, queue="poa", provider="flonk") == late
    assert task_claim_next(user=reviewer, queue="poa", provider="flonk") is None
    assert task_claim_next(user=reviewer, queue="poa", provider="leko") is None


def test_claim_next_follows_the_reason_filter(reviewer, make_task, flonk):
    now = timezone.now()
    make_task(queue="status", reason="Low liveness score", sla_due_at=now)
    wanted = make_task(
        queue="status", reason="Watchlist hit: PEP", sla_due_at=now + dt.timedelta(hours=2)
    )
    make_task(
        session=SessionFactory(connection=flonk),
        queue="status",
        reason="watchlist hit: sanctions",
        sla_due_at=now + dt.timedelta(hours=1),
    )
    assert (
        task_claim_next(
            user=reviewer, queue="status", provider="incode", reason_contains="WATCHLIST"
        )
        == wanted
    )


def test_claim_next_without_filters_is_unchanged(reviewer, make_task, flonk):
    now = timezone.now()
    first = make_task(
        session=SessionFactory(connection=flonk),
        queue="poa",
        sla_due_at=now + dt.timedelta(hours=1),
    )
    make_task(queue="poa", sla_due_at=now + dt.timedelta(hours=2))
    assert task_claim_next(user=reviewer, queue="poa") == first
