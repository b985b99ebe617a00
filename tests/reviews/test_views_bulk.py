"""The queue's bulk assign / release and "Claim next" within the queue's filters."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from kycdash.accounts.models import Role
from kycdash.audit.models import AuditEvent
from reviews.models import ReviewTask
from tests.factories import ConnectionFactory, SessionFactory, UserFactory

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
QUEUE = reverse("queue", args=["status"])
BULK = reverse("queue-bulk", args=["status"])


def fresh(task) -> ReviewTask:
    return ReviewTask.objects.get(pk=task.pk)


@pytest.fixture
def flonk(project):
    return ConnectionFactory(project=project, provider="flonk")


# ---------------------------------------------------------------- who sees the checkboxes


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        (Role.SENIOR_REVIEWER, True),
        (Role.ADMIN, True),
        (Role.REVIEWER, False),
        (Role.AUDITOR, False),
    ],
)
def test_checkboxes_only_for_senior_reviewers_and_admins(role, sees, login, member, make_task):
    task = make_task()
    html = login(member(role)).get(QUEUE).content.decode()
    assert ('name="task"' in html) is sees
    assert ('id="bulk-form"' in html) is sees
    assert (f'value="{task.pk}" id="select-task-{task.pk}"' in html) is sees
    assert ("data-bulk-all" in html) is sees


def test_a_superuser_sees_the_checkboxes(login, make_task):
    make_task()
    html = login(UserFactory(is_superuser=True)).get(QUEUE).content.decode()
    assert 'id="bulk-form"' in html


def test_no_checkbox_on_rows_of_a_project_where_the_user_only_reviews(login, senior, make_task):
    from tests.factories import MembershipFactory, TaskFactory

    connection = ConnectionFactory(provider="incode")
    MembershipFactory(user=senior, project=connection.project, role=Role.REVIEWER)
    here = make_task()
    there = TaskFactory(session=SessionFactory(connection=connection))
    html = login(senior).get(QUEUE, {"project": ""}).content.decode()
    assert f'id="select-task-{here.pk}"' in html
    assert f'id="select-task-{there.pk}"' not in html


def test_the_assignee_select_offers_the_projects_deciders_only(
    login, senior, reviewer, auditor, admin_user, outsider, make_task
):
    make_task()
    html = login(senior).get(QUEUE).content.decode()
    select = html.split('id="bulk-assignee"', 1)[1].split("</select>", 1)[0]
    assert f'value="{reviewer.pk}"' in select and f'value="{senior.pk}"' in select
    for nobody in (auditor, admin_user, outsider):
        assert f'value="{nobody.pk}"' not in select


# ---------------------------------------------------------------- bulk POST


def test_bulk_assign_with_htmx_returns_the_table_nav_and_message(
    login, senior, reviewer, make_task
):
    first = make_task(session__full_name="Ada Lovelace")
    second = make_task(session__full_name="Grace Hopper")
    waiting = make_task(state="awaiting_second", assignee=senior)
    response = login(senior).post(
        BULK,
        {"task": [first.pk, second.pk, waiting.pk], "action": "assign", "assignee": reviewer.pk},
        headers=HX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="task-table"')
    assert reviewer.username in html.split('id="flash"')[0]  # the table shows the assignee
    assert 'id="flash"' in html and 'hx-swap-oob="innerHTML"' in html
    assert f"2 assigned, 1 skipped: task #{waiting.pk} is awaiting a second approval." in html
    assert 'id="sidenav"' in html and 'hx-swap-oob="true"' in html
    assert fresh(first).assignee == reviewer and fresh(second).assignee == reviewer
    assert fresh(waiting).state == "awaiting_second"
    assert AuditEvent.objects.filter(action="task.assigned", actor=senior).count() == 2


def test_bulk_release_without_htmx_redirects_back_with_the_filters(
    login, admin_user, reviewer, make_task, flonk
):
    task = make_task(session=SessionFactory(connection=flonk), state="claimed", assignee=reviewer)
    client = login(admin_user)
    query = "?provider=flonk&reason=manual"
    response = client.post(BULK + query, {"task": [task.pk], "action": "release"})
    assert response.status_code == 302
    assert response["Location"] == QUEUE + query
    assert fresh(task).state == "open" and fresh(task).assignee is None
    page = client.get(response["Location"]).content.decode()
    assert "1 released." in page


def test_the_htmx_table_after_a_bulk_action_keeps_the_filters(
    login, senior, reviewer, make_task, flonk
):
    incode_task = make_task(session__full_name="Incode Person")
    flonk_task = make_task(session=SessionFactory(connection=flonk, full_name="Flonk Person"))
    response = login(senior).post(
        BULK + "?provider=flonk",
        {"task": [flonk_task.pk], "action": "assign", "assignee": reviewer.pk},
        headers=HX,
    )
    html = response.content.decode()
    assert "Flonk Person" in html and "Incode Person" not in html
    assert f'hx-post="{BULK}?provider=flonk"' in html
    assert fresh(incode_task).state == "open"


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.AUDITOR])
def test_a_reviewers_or_auditors_bulk_post_is_403_and_changes_nothing(
    role, login, member, reviewer, make_task
):
    held = make_task(state="claimed", assignee=reviewer)
    free = make_task()
    client = login(member(role))
    for action in ("assign", "release"):
        data = {"task": [held.pk, free.pk], "action": action, "assignee": reviewer.pk}
        assert client.post(BULK, data).status_code == 403
        response = client.post(BULK, data, headers=HX)
        assert response.status_code == 403
        assert "senior reviewers and admins" in response.content.decode()
    assert fresh(held).assignee == reviewer and fresh(free).state == "open"
    assert not AuditEvent.objects.filter(action__in=["task.assigned", "task.released"]).exists()


def test_bulk_with_nothing_selected_says_so(login, senior, reviewer, make_task):
    make_task()
    response = login(senior).post(BULK, {"action": "assign", "assignee": reviewer.pk}, headers=HX)
    assert response.status_code == 422
    assert "Select at least one task." in response.content.decode()


def test_bulk_with_a_broken_form_is_400(login, senior, make_task):
    task = make_task()
    response = login(senior).post(BULK, {"task": ["x"], "action": "assign"}, headers=HX)
    assert response.status_code == 400
    assert fresh(task).state == "open"


def test_bulk_needs_csrf(senior, make_task, reviewer):
    from django.test import Client

    task = make_task()
    client = Client(enforce_csrf_checks=True)
    client.force_login(senior)
    response = client.post(BULK, {"task": [task.pk], "action": "assign", "assignee": reviewer.pk})
    assert response.status_code == 403
    assert fresh(task).state == "open"


def test_bulk_is_login_only(client, make_task):
    task = make_task()
    response = client.post(BULK, {"task": [task.pk], "action": "release"})
    assert response.status_code == 302 and "/login/" in response["Location"]


# ---------------------------------------------------------------- claim next with filters


def test_claim_next_on_a_filtered_queue_carries_the_filters(login, reviewer, make_task, flonk):
    make_task()
    html = login(reviewer).get(QUEUE, {"provider": "flonk", "reason": "watch"}).content.decode()
    claim_form = html.split('action="' + reverse("claim-next", args=["status"]), 1)[1]
    claim_form = claim_form.split("</form>", 1)[0]
    assert 'name="provider" value="flonk" data-sync-from="#id_provider"' in claim_form
    assert 'name="reason" value="watch" data-sync-from="#id_reason"' in claim_form


def test_claim_next_from_a_filtered_queue_picks_the_filtered_provider(
    login, reviewer, make_task, flonk
):
    now = timezone.now()
    make_task(sla_due_at=now + dt.timedelta(minutes=5))  # earlier, but Incode
    wanted = make_task(
        session=SessionFactory(connection=flonk), sla_due_at=now + dt.timedelta(hours=2)
    )
    client = login(reviewer)
    url = reverse("claim-next", args=["status"])
    response = client.post(url, {"provider": "flonk", "reason": ""})
    assert response["Location"] == reverse("task-detail", args=[wanted.pk])
    assert fresh(wanted).assignee == reviewer
    response = client.post(url, {"provider": "flonk"}, headers=HX)
    assert "Nothing waiting in Status changes matches these filters." in response.content.decode()
