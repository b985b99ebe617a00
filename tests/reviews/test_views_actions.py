"""Review actions through the views: claim, decide, four-eyes, notes, retry — htmx or not."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kycdash.accounts.models import Role
from kycdash.audit.models import AuditEvent
from reviews.models import Decision, Note, ReviewTask, WriteBack
from reviews.services import decision_record

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quick_provider")]

HX = {"HX-Request": "true"}


def state_of(task) -> str:
    return ReviewTask.objects.get(pk=task.pk).state


# ---------------------------------------------------------------- claim next


def test_claim_next_picks_the_earliest_sla_and_never_a_claimed_one(
    login, reviewer, member, make_task
):
    now = timezone.now()
    make_task(
        queue="poa",
        sla_due_at=now + dt.timedelta(minutes=5),
        state="claimed",
        assignee=member(Role.REVIEWER),
    )
    late = make_task(queue="poa", sla_due_at=now + dt.timedelta(hours=3))
    early = make_task(queue="poa", sla_due_at=now + dt.timedelta(hours=1))
    client = login(reviewer)
    response = client.post(reverse("claim-next", args=["poa"]))
    assert response.status_code == 302
    assert response["Location"] == reverse("task-detail", args=[early.pk])
    early.refresh_from_db()
    assert early.state == "claimed" and early.assignee == reviewer
    # with htmx: HX-Redirect to the case page
    response = client.post(reverse("claim-next", args=["poa"]), headers=HX)
    assert response["HX-Redirect"] == reverse("task-detail", args=[late.pk])


def test_claim_next_says_nothing_waiting(login, reviewer):
    client = login(reviewer)
    response = client.post(reverse("claim-next", args=["antifraud"]), headers=HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'hx-swap-oob="innerHTML"' in html and "Nothing waiting in Antifraud." in html
    response = client.post(reverse("claim-next", args=["antifraud"]), follow=True)
    assert "Nothing waiting in Antifraud." in response.content.decode()


def test_claim_next_never_takes_another_projects_task(login, reviewer, foreign_task):
    response = login(reviewer).post(reverse("claim-next", args=["status"]))
    assert response["Location"] == reverse("queue", args=["status"])
    assert state_of(foreign_task) == "open"


# ---------------------------------------------------------------- claim / release


def test_claim_without_htmx_redirects_back_to_the_case(login, reviewer, make_task):
    task = make_task()
    response = login(reviewer).post(reverse("task-claim", args=[task.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("task-detail", args=[task.pk])
    assert state_of(task) == "claimed"


def test_claim_with_htmx_returns_the_panel_timeline_and_nav(login, reviewer, make_task):
    task = make_task()
    response = login(reviewer).post(reverse("task-claim", args=[task.pk]), headers=HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="task-panel"')
    assert '<section id="timeline"' in html and 'id="timeline" class="card timeline"' in html
    assert 'id="sidenav"' in html and html.count('hx-swap-oob="true"') == 2
    assert "Claimed. The task is yours." in html
    assert 'name="outcome" value="approve"' in html  # the decision form is now there
    assert "<html" not in html


def test_claiming_a_claimed_task_explains_who_has_it(login, reviewer, member, make_task):
    other = member(Role.REVIEWER, username="marie")
    task = make_task(state="claimed", assignee=other)
    response = login(reviewer).post(reverse("task-claim", args=[task.pk]), headers=HX)
    assert response.status_code == 422
    assert "already claimed by marie" in response.content.decode()


def test_release_puts_the_task_back(login, reviewer, make_task):
    task = make_task(state="claimed", assignee=reviewer)
    response = login(reviewer).post(reverse("task-release", args=[task.pk]), headers=HX)
    assert response.status_code == 200
    assert "back in the queue" in response.content.decode()
    assert state_of(task) == "open"


# ---------------------------------------------------------------- decide


def test_approve_with_htmx_closes_the_task_and_shows_the_write_back(login, reviewer, make_task):
    task = make_task(state="claimed", assignee=reviewer)
    response = login(reviewer).post(
        reverse("task-decide", args=[task.pk]),
        {"outcome": "approve", "reason": "verified", "note": "Looks right."},
        headers=HX,
    )
    assert response.status_code == 200, response.content
    html = response.content.decode()
    decision = Decision.objects.get(task=task)
    assert decision.outcome == "approve" and decision.reason == "verified"
    assert state_of(task) == "done"
    assert "Approved." in html
    assert "Write-back to Incode Omni" in html
    writeback = WriteBack.objects.get(decision=decision)
    assert f">{writeback.get_state_display()}<" in html
    assert 'name="outcome"' not in html  # no second decision on a done task


def test_approve_without_htmx_redirects(login, reviewer, make_task):
    task = make_task()
    response = login(reviewer).post(reverse("task-decide", args=[task.pk]), {"outcome": "approve"})
    assert response.status_code == 302
    assert response["Location"] == reverse("task-detail", args=[task.pk])
    assert state_of(task) == "done"


def test_reject_without_a_reason_shows_the_error_and_changes_nothing(login, reviewer, make_task):
    task = make_task(state="claimed", assignee=reviewer)
    events = AuditEvent.objects.count()
    client = login(reviewer)
    response = client.post(
        reverse("task-decide", args=[task.pk]), {"outcome": "reject", "note": "keep me"}, headers=HX
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "A reason code is required for this outcome." in html
    assert 'id="task-msg"' in html and 'aria-live="polite"' in html
    assert "keep me" in html  # what the reviewer typed is kept
    # without htmx: the whole page, with the error inline
    response = client.post(reverse("task-decide", args=[task.pk]), {"outcome": "reject"})
    assert response.status_code == 422
    assert "A reason code is required for this outcome." in response.content.decode()
    assert "<html" in response.content.decode()
    assert not Decision.objects.filter(task=task).exists()
    assert state_of(task) == "claimed"
    assert AuditEvent.objects.count() == events


def test_reject_with_a_reason_is_recorded(login, reviewer, make_task):
    task = make_task(state="claimed", assignee=reviewer)
    response = login(reviewer).post(
        reverse("task-decide", args=[task.pk]),
        {"outcome": "reject", "reason": "fake_document"},
        headers=HX,
    )
    assert response.status_code == 200
    assert Decision.objects.get(task=task).reason == "fake_document"


def test_an_outcome_of_another_queue_is_refused(login, reviewer, make_task):
    task = make_task(queue="status")
    response = login(reviewer).post(
        reverse("task-decide", args=[task.pk]),
        {"outcome": "confirm_fraud", "reason": "x"},
        headers=HX,
    )
    assert response.status_code == 422
    assert not Decision.objects.exists()


def test_auditor_gets_403_and_nothing_changes(login, auditor, make_task):
    task = make_task()
    client = login(auditor)
    for name, data in (
        ("task-decide", {"outcome": "approve"}),
        ("task-claim", {}),
    ):
        response = client.post(reverse(name, args=[task.pk]), data)
        assert response.status_code == 403
        assert "cannot decide review tasks" in response.content.decode()
        response = client.post(reverse(name, args=[task.pk]), data, headers=HX)
        assert response.status_code == 403
        assert "cannot decide review tasks" in response.content.decode()
    response = client.post(reverse("note-add", args=[task.session.pk]), {"text": "hi"}, headers=HX)
    assert response.status_code == 403
    assert not Decision.objects.exists() and not Note.objects.exists()
    assert state_of(task) == "open"


def test_decide_on_another_projects_task_is_404(login, reviewer, foreign_task):
    response = login(reviewer).post(
        reverse("task-decide", args=[foreign_task.pk]), {"outcome": "approve"}
    )
    assert response.status_code == 404
    assert state_of(foreign_task) == "open"
    assert AuditEvent.objects.filter(action="access.denied").count() == 1


def test_posts_need_the_csrf_token(reviewer, make_task):
    task = make_task()
    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)
    response = client.post(reverse("task-decide", args=[task.pk]), {"outcome": "approve"})
    assert response.status_code == 403
    assert state_of(task) == "open"


def test_actions_are_post_only(login, reviewer, make_task):
    task = make_task()
    client = login(reviewer)
    assert client.get(reverse("task-claim", args=[task.pk])).status_code == 405
    assert client.get(reverse("logout")).status_code == 405


# ---------------------------------------------------------------- four eyes


@pytest.fixture
def four_eyes(project):
    project.four_eyes_status = True
    project.save()
    return project


def test_four_eyes_confirm_by_a_different_senior(login, four_eyes, senior, member, make_task):
    task = make_task(state="claimed", assignee=senior)
    client = login(senior)
    response = client.post(
        reverse("task-decide", args=[task.pk]),
        {"outcome": "reject", "reason": "identity_mismatch"},
        headers=HX,
    )
    html = response.content.decode()
    assert "Awaiting a second senior reviewer" in html
    assert "a different senior reviewer must confirm it" in html
    assert reverse("task-confirm", args=[task.pk]) not in html  # not for the proposer
    # the proposer cannot confirm it through the view either
    response = client.post(reverse("task-confirm", args=[task.pk]), headers=HX)
    assert response.status_code == 422
    assert "different senior reviewer" in response.content.decode()
    assert state_of(task) == "awaiting_second"

    second = member(Role.SENIOR_REVIEWER)
    client = login(second)
    page = client.get(reverse("task-detail", args=[task.pk])).content.decode()
    assert reverse("task-confirm", args=[task.pk]) in page
    assert reverse("task-return", args=[task.pk]) in page
    response = client.post(reverse("task-confirm", args=[task.pk]), {"note": "Agreed"}, headers=HX)
    assert response.status_code == 200
    decision = Decision.objects.get(task=task)
    assert decision.state == "final" and decision.second_reviewer == second
    assert state_of(task) == "done"
    assert "Confirmed. The decision is final." in response.content.decode()


def test_four_eyes_a_plain_reviewer_cannot_confirm(login, four_eyes, senior, reviewer, make_task):
    task = make_task(state="claimed", assignee=senior)
    decision_record(task=task, reviewer=senior, outcome="approve")
    page = login(reviewer).get(reverse("task-detail", args=[task.pk])).content.decode()
    assert reverse("task-confirm", args=[task.pk]) not in page
    response = login(reviewer).post(reverse("task-confirm", args=[task.pk]))
    assert response.status_code == 403
    assert state_of(task) == "awaiting_second"


def test_four_eyes_return_needs_a_note(login, four_eyes, senior, member, make_task):
    task = make_task(state="claimed", assignee=senior)
    decision_record(task=task, reviewer=senior, outcome="approve")
    client = login(member(Role.SENIOR_REVIEWER))
    response = client.post(reverse("task-return", args=[task.pk]), headers=HX)
    assert response.status_code == 422
    assert "Say why the decision goes back." in response.content.decode()
    response = client.post(
        reverse("task-return", args=[task.pk]), {"note": "Check the address"}, headers=HX
    )
    assert response.status_code == 200
    assert state_of(task) == "open"


# ---------------------------------------------------------------- write-back


def test_not_supported_write_back_says_so(login, reviewer, make_task):
    task = make_task(queue="poa")  # Incode Omni has no PoA decision endpoint
    login(reviewer).post(reverse("task-decide", args=[task.pk]), {"outcome": "approve"})
    assert WriteBack.objects.get().state == "not_supported"
    html = login(reviewer).get(reverse("task-detail", args=[task.pk])).content.decode()
    assert "Incode Omni has no endpoint for this; the decision stays in kycdash." in html


def test_failed_write_back_shows_the_message_and_retries(login, reviewer, auditor, make_task):
    task = make_task()
    decision = decision_record(task=task, reviewer=reviewer, outcome="approve")
    writeback = WriteBack.objects.get(decision=decision)
    WriteBack.objects.filter(pk=writeback.pk).update(
        state="failed",
        attempts=3,
        last_status_code=409,
        last_error="incode refused (409): session is not in manual review",
    )
    page = login(reviewer).get(reverse("task-detail", args=[task.pk])).content.decode()
    assert "HTTP 409: incode refused (409): session is not in manual review" in page
    assert reverse("writeback-retry", args=[writeback.pk]) in page
    assert "3 attempts" in page

    response = login(auditor).post(reverse("writeback-retry", args=[writeback.pk]), headers=HX)
    assert response.status_code == 403
    assert WriteBack.objects.get(pk=writeback.pk).state == "failed"

    response = login(reviewer).post(reverse("writeback-retry", args=[writeback.pk]), headers=HX)
    assert response.status_code == 200
    assert "Retry queued" in response.content.decode()
    assert AuditEvent.objects.filter(action="writeback.retry_requested").exists()
    assert WriteBack.objects.get(pk=writeback.pk).attempts >= 3


def test_pending_write_back_panel_polls_itself(login, reviewer, make_task):
    task = make_task()
    decision = decision_record(task=task, reviewer=reviewer, outcome="approve")
    WriteBack.objects.filter(decision=decision).update(state="pending")
    client = login(reviewer)
    page = client.get(reverse("task-detail", args=[task.pk])).content.decode()
    assert 'hx-trigger="every 4s"' in page
    fragment = client.get(
        reverse("task-detail", args=[task.pk]), headers={**HX, "HX-Target": "task-panel"}
    ).content.decode()
    assert fragment.lstrip().startswith('<section id="task-panel"')


# ---------------------------------------------------------------- notes


def test_note_with_htmx_rerenders_the_timeline(login, reviewer, make_task):
    task = make_task()
    response = login(reviewer).post(
        reverse("note-add", args=[task.session.pk]),
        {"text": "Called the customer.", "task": task.pk},
        headers=HX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="timeline"')
    assert "Called the customer." in html and "Note added." in html
    note = Note.objects.get()
    assert note.task == task and note.author == reviewer


def test_empty_note_is_refused_inline(login, reviewer, make_task):
    task = make_task()
    response = login(reviewer).post(
        reverse("note-add", args=[task.session.pk]), {"text": "   "}, headers=HX
    )
    assert response.status_code == 422
    assert "A note cannot be empty." in response.content.decode()
    assert not Note.objects.exists()


def test_note_without_htmx_redirects_to_the_timeline(login, reviewer, make_task):
    task = make_task()
    response = login(reviewer).post(
        reverse("note-add", args=[task.session.pk]), {"text": "x", "task": task.pk}
    )
    assert response["Location"] == reverse("task-detail", args=[task.pk]) + "#timeline"


def test_note_for_a_task_of_another_session_is_404(login, reviewer, make_task):
    task, other = make_task(), make_task()
    response = login(reviewer).post(
        reverse("note-add", args=[task.session.pk]), {"text": "x", "task": other.pk}
    )
    assert response.status_code == 404
    assert not Note.objects.exists()


def test_claim_next_is_refused_to_auditors(login, auditor, make_task):
    task = make_task()
    client = login(auditor)
    assert client.post(reverse("claim-next", args=["status"])).status_code == 403
    response = client.post(reverse("claim-next", args=["status"]), headers=HX)
    assert response.status_code == 403
    assert "cannot claim" in response.content.decode()
    assert state_of(task) == "open"


def test_claim_next_uses_the_project_chosen_in_the_filter(login, member, project, make_task):
    from kycdash.accounts.models import Role as R
    from tests.factories import ConnectionFactory, MembershipFactory, SessionFactory, TaskFactory

    second = ConnectionFactory(provider="incode")
    user = member(R.REVIEWER)
    MembershipFactory(user=user, project=second.project, role=R.REVIEWER)
    now = timezone.now()
    make_task(sla_due_at=now + dt.timedelta(minutes=5))  # earlier, but in the other project
    wanted = TaskFactory(
        session=SessionFactory(connection=second), sla_due_at=now + dt.timedelta(hours=2)
    )
    response = login(user).post(
        reverse("claim-next", args=["status"]), {"project": second.project.pk}
    )
    assert response["Location"] == reverse("task-detail", args=[wanted.pk])
