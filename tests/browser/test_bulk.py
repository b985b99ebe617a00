"""Bulk assign on the queue page in a real browser: checkboxes, the x key, htmx, CSP."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kycdash.accounts.models import Role
from kycdash.audit.models import AuditEvent
from reviews.models import ReviewTask
from tests.factories import ConnectionFactory, SessionFactory, TaskFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_senior_reviewer_assigns_two_rows_to_a_reviewer(sign_in, member, project):
    senior = member(Role.SENIOR_REVIEWER, username="sam.senior")
    reviewer = member(Role.REVIEWER, username="rita.reviewer")
    connection = ConnectionFactory(project=project, provider="incode")
    now = timezone.now()
    names = ["Ada Lovelace", "Grace Hopper", "Alan Turing"]
    tasks = [
        TaskFactory(
            session=SessionFactory(connection=connection, full_name=name),
            queue="status",
            sla_due_at=now + dt.timedelta(hours=1 + index),
        )
        for index, name in enumerate(names)
    ]

    page = sign_in(senior)
    page.goto("/queues/status/")
    rows = page.locator("#task-table tbody tr")
    assert rows.count() == 3
    assert page.locator("[data-bulk-count]").inner_text() == "None selected"

    rows.nth(0).locator("input[data-bulk-row]").check()  # a click on the box
    page.keyboard.press("j")  # j, j: the second row is current;
    page.keyboard.press("j")
    page.keyboard.press("x")  # x selects it
    assert rows.nth(1).locator("input[data-bulk-row]").is_checked()
    assert not rows.nth(2).locator("input[data-bulk-row]").is_checked()
    assert page.locator("[data-bulk-count]").inner_text() == "2 selected"
    assert page.locator("input[data-bulk-all]").evaluate("box => box.indeterminate") is True

    page.select_option("#bulk-assignee", str(reviewer.pk))
    page.click("#bulk-form button[value=assign]")
    page.locator("#flash", has_text="2 assigned.").wait_for()

    assert rows.nth(0).locator("td", has_text="rita.reviewer").count() == 1
    assert rows.nth(1).locator("td", has_text="rita.reviewer").count() == 1
    assert rows.nth(2).locator("td", has_text="rita.reviewer").count() == 0
    assert page.locator("[data-bulk-count]").inner_text() == "None selected"  # a fresh table
    first, second, third = (ReviewTask.objects.get(pk=task.pk) for task in tasks)
    assert first.assignee == reviewer and second.assignee == reviewer
    assert third.state == "open" and third.assignee is None
    assert AuditEvent.objects.filter(action="task.assigned", actor=senior).count() == 2
    assert page.url.endswith("/queues/status/")  # a bulk POST does not push a URL
    assert page.csp_violations() == []
