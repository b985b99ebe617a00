"""In the browser, against the Incode sandbox over HTTP: the decision reaches the provider."""

from __future__ import annotations

import pytest

from providers.incode.sandbox import services as sandbox
from reviews.models import ReviewTask, WriteBack

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reviewer_approves_and_sees_the_write_back_sent(
    sign_in, page, reviewer, auditor, incode, incode_account
):
    interview = sandbox.create_interview(incode_account, "manual_review", seed=21)
    assert sandbox.notify_status_changed(interview).delivered
    task = ReviewTask.objects.get(session__external_id=interview.id, queue="status")

    sign_in(reviewer)
    page.click("#sidenav >> text=Status changes")
    page.wait_for_url("**/queues/status/")
    page.click("text=Claim next")
    page.wait_for_url(f"**/tasks/{task.pk}/")
    page.locator("#task-panel .panel__head .badge", has_text="Claimed").wait_for()

    page.select_option("#decide-reason", "verified")
    page.click("button[name=outcome][value=approve]")
    page.locator("#task-msg", has_text="Approved.").wait_for()
    page.locator("#task-panel .writeback .badge", has_text="Sent").wait_for()

    writeback = WriteBack.objects.get(decision__task=task)
    assert writeback.state == "sent"
    call = sandbox.received_calls(interview_id=interview.id, path="/omni/manual-review").get()
    assert call.body["manualReviewStatus"] == "APPROVED"

    # What the provider heard is on the sandbox's own page.
    page.goto("/sandbox/incode/")
    heard = page.locator("body").inner_text()
    assert "/omni/manual-review" in heard and "APPROVED" in heard
    assert page.csp_violations() == []

    # An auditor reads the same case and has nothing to decide with.
    page.context.clear_cookies()
    sign_in(auditor)
    page.goto(f"/tasks/{task.pk}/")
    assert page.locator("button[name=outcome]").count() == 0
    assert "Sent" in page.locator("#task-panel").inner_text()
