"""The reviewer's screen in a real browser: claim, decide, keys, viewer, read-only auditor."""

from __future__ import annotations

import re
import time

import pytest

from kycdash.audit.models import AuditEvent
from reviews.models import Decision, ReviewTask
from tests.factories import ConnectionFactory, SessionFactory, TaskFactory
from tests.reviews.conftest import add_evidence

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def wait_until(condition, timeout: float = 5.0) -> None:
    """Poll from Python: our CSP (rightly) forbids the eval behind wait_for_function."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


@pytest.fixture
def quick_provider(settings):
    settings.PROVIDER_MAX_RETRIES = 0
    settings.PROVIDER_TIMEOUT_SECONDS = 2.0


@pytest.fixture
def case(project):
    """A status task on an Incode session with person data, checks and three images."""
    connection = ConnectionFactory(project=project, provider="incode")
    session = SessionFactory(
        connection=connection,
        full_name="Ada Lovelace",
        email="ada@example.com",
        provider_status="ONBOARDING_FINISHED / MANUAL",
        person={
            "full_name": "Ada Lovelace",
            "birth_date": "1815-12-10",
            "document_number": "X12345678",
            "nationality": "GBR",
            "confidences": {"full_name": 0.97},
        },
        checks=[
            {
                "key": "faceMatch",
                "status": "warn",
                "group": "liveness",
                "value": "55",
                "label": "Face match",
                "provider_wording": "WARN",
            }
        ],
        scores={"liveness": 91.0},
    )
    add_evidence(session, "front", colour="#335599")
    add_evidence(session, "selfie", colour="#cc9966")
    add_evidence(session, "portrait", colour="#bb8855")
    return TaskFactory(session=session, queue="status", reason="Incode asks for manual review")


def test_reviewer_claims_and_approves_from_the_queue(sign_in, reviewer, case, quick_provider):
    page = sign_in(reviewer)
    page.click("#sidenav >> text=Status changes")
    page.wait_for_url("**/queues/status/")
    row = page.locator("#task-table tbody tr", has_text="Ada Lovelace")
    assert row.count() == 1
    row.locator("a.row-link").click()
    page.wait_for_url(f"**/tasks/{case.pk}/")

    page.keyboard.press("c")  # claim
    page.locator("#task-msg", has_text="Claimed. The task is yours.").wait_for()
    assert ReviewTask.objects.get(pk=case.pk).state == "claimed"

    page.select_option("#decide-reason", "verified")
    page.click("button[name=outcome][value=approve]")
    page.locator("#task-msg", has_text="Approved.").wait_for()

    panel = page.locator("#task-panel")
    assert panel.locator(".panel__head .badge").inner_text() == "Done"
    assert "Write-back to Incode Omni" in panel.inner_text()
    writeback_badge = panel.locator(".writeback .badge").first.inner_text()
    assert writeback_badge in {"Pending", "Sent", "Failed"}
    timeline = page.locator("#timeline").inner_text()
    assert re.search(rf"decided task #{case.pk} \(Status changes\): Approve", timeline)
    assert "Verified by a reviewer" in timeline
    # nav counts were refreshed out of band: nothing open in the status queue any more
    assert (
        page.locator('#sidenav a[href="/queues/status/"] .count').first.inner_text().startswith("0")
    )
    decision = Decision.objects.get(task=case)
    assert decision.reviewer == reviewer and decision.reason == "verified"
    assert page.csp_violations() == []


def test_auditor_sees_the_case_without_decide_buttons(sign_in, auditor, case):
    page = sign_in(auditor)
    page.goto(f"/tasks/{case.pk}/")
    assert page.locator("#task-panel").is_visible()
    assert page.locator("button[name=outcome]").count() == 0
    assert page.locator("#task-panel button").count() == 0  # no claim, decide or next
    assert page.locator("#note-text").count() == 0
    assert "Read-only" in page.locator("#task-panel").inner_text()
    page.keyboard.press("c")  # the key finds nothing to press
    page.keyboard.press("a")
    assert ReviewTask.objects.get(pk=case.pk).state == "open"
    assert page.csp_violations() == []


def test_question_mark_opens_the_keyboard_help(sign_in, reviewer, case):
    page = sign_in(reviewer)
    page.goto(f"/tasks/{case.pk}/")
    assert not page.locator("#help").is_visible()
    page.keyboard.press("?")
    page.locator("#help").wait_for(state="visible")
    assert "Keyboard shortcuts" in page.locator("#help").inner_text()
    page.keyboard.press("Escape")
    page.locator("#help").wait_for(state="hidden")


def test_keys_do_not_fire_while_typing(sign_in, reviewer, case):
    page = sign_in(reviewer)
    page.goto(f"/tasks/{case.pk}/")
    page.click("button[data-keys=c]")
    page.locator("#task-msg", has_text="Claimed").wait_for()
    page.keyboard.press("n")  # focus the note
    assert page.evaluate("document.activeElement.id") == "note-text"
    page.keyboard.type("a careful note about r and c")
    assert page.input_value("#note-text") == "a careful note about r and c"
    assert not Decision.objects.filter(task=case).exists()


def test_reject_asks_to_confirm_and_shows_the_services_error_inline(sign_in, reviewer, case):
    page = sign_in(reviewer)
    page.goto(f"/tasks/{case.pk}/")
    page.click("button[data-keys=c]")
    page.locator("#task-msg", has_text="Claimed").wait_for()

    page.keyboard.press("r")  # first press only arms the button
    page.locator("button[value=reject].is-armed").wait_for()
    message = page.locator("#task-msg").inner_text()
    assert "Reject? — click it again or press r to confirm" in message
    page.keyboard.press("Escape")
    assert page.locator("button[value=reject].is-armed").count() == 0

    page.keyboard.press("r")
    page.keyboard.press("r")  # confirmed, but no reason code
    page.locator("#task-msg", has_text="A reason code is required").wait_for()
    assert page.locator("#decide-error").inner_text() == (
        "A reason code is required for this outcome."
    )
    assert not Decision.objects.filter(task=case).exists()

    page.select_option("#decide-reason", "fake_document")
    page.click("button[value=reject]")
    page.click("button[value=reject]")
    page.locator("#task-msg", has_text="Rejected.").wait_for()
    assert Decision.objects.get(task=case).outcome == "reject"


def test_evidence_viewer_opens_zooms_rotates_and_compares(sign_in, reviewer, case):
    page = sign_in(reviewer)
    page.goto(f"/tasks/{case.pk}/")
    before = AuditEvent.objects.filter(action="evidence.viewed").count()

    page.locator(".thumb__link").first.click()
    viewer = page.locator("#viewer")
    viewer.wait_for(state="visible")
    image = viewer.locator(".viewer__pane[data-pane='0'] img")
    wait_until(lambda: image.evaluate("img => img.naturalWidth") > 0)
    assert viewer.locator(".viewer__zoom").inner_text() == "Fit"

    page.keyboard.press("z")
    zoom = viewer.locator(".viewer__zoom").inner_text()
    assert zoom.endswith("%") and zoom != "Fit"
    assert image.evaluate("img => img.style.getPropertyValue('--zoom-width')").endswith("px")

    page.keyboard.press("]")
    assert image.evaluate("img => img.style.getPropertyValue('--rotate')") == "90deg"
    transform = image.evaluate("img => getComputedStyle(img).transform")
    assert transform not in ("none", "")  # the rotation really applies
    page.keyboard.press("[")
    page.keyboard.press("[")
    assert image.evaluate("img => img.style.getPropertyValue('--rotate')") == "270deg"

    viewer.locator("[data-viewer-action=fit]").click()
    assert viewer.locator(".viewer__zoom").inner_text() == "Fit"
    page.keyboard.press("Escape")
    viewer.wait_for(state="hidden")

    # compare: selfie beside the ID portrait, side by side
    page.locator("button[data-compare]").first.click()
    viewer.wait_for(state="visible")
    assert viewer.locator(".viewer__pane:visible").count() == 2
    captions = viewer.locator(".viewer__caption").all_inner_texts()
    assert captions == ["Selfie", "ID portrait"]
    page.keyboard.press("Escape")

    # each full image the viewer opened is in the audit trail
    page.wait_for_timeout(200)
    assert AuditEvent.objects.filter(action="evidence.viewed").count() >= before + 3
    assert page.csp_violations() == []


def test_queue_filters_update_the_table_and_the_url(sign_in, reviewer, case, member):
    TaskFactory(
        session=SessionFactory(connection=case.session.connection, full_name="Grace Hopper"),
        queue="status",
        state="claimed",
        assignee=reviewer,
    )
    page = sign_in(reviewer)
    page.goto("/queues/status/")
    assert page.locator("#task-table tbody tr").count() == 2
    page.select_option("#id_assignee", "me")
    page.wait_for_url(re.compile(r".*assignee=me.*"))
    page.locator("#task-table tbody tr").first.wait_for()
    wait_until(lambda: page.locator("#task-table tbody tr").count() == 1)
    assert "Grace Hopper" in page.locator("#task-table").inner_text()
    page.go_back()
    wait_until(lambda: page.locator("#task-table tbody tr").count() == 2)


def test_j_k_and_enter_open_a_row(sign_in, reviewer, case):
    page = sign_in(reviewer)
    page.goto("/queues/status/")
    page.keyboard.press("j")
    assert page.locator("tr.is-current").count() == 1
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/tasks/{case.pk}/")


def test_claim_next_button_goes_to_the_case(sign_in, reviewer, case):
    page = sign_in(reviewer)
    page.goto("/queues/status/")
    page.click("text=Claim next")
    page.wait_for_url(f"**/tasks/{case.pk}/")
    assert ReviewTask.objects.get(pk=case.pk).assignee == reviewer
    page.goto("/queues/poa/")
    page.click("text=Claim next")
    page.locator("#flash", has_text="Nothing waiting in Proof of address.").wait_for()


def test_an_expired_sign_in_goes_to_the_sign_in_page(sign_in, reviewer, case):
    page = sign_in(reviewer)
    page.goto(f"/tasks/{case.pk}/")
    page.context.clear_cookies(name="sessionid")
    page.keyboard.press("c")
    page.wait_for_url(re.compile(rf".*/login/\?next=%2Ftasks%2F{case.pk}%2F$"))
    assert page.locator("#id_username").is_visible()
    assert ReviewTask.objects.get(pk=case.pk).state == "open"
