"""The reviewer's pages: what each role sees, scoping to my projects, filters, paging."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kycdash.accounts.models import Role
from kycdash.audit.models import AuditEvent
from tests.factories import ConnectionFactory, MembershipFactory, SessionFactory, TaskFactory
from tests.reviews.conftest import add_evidence

pytestmark = pytest.mark.django_db


def rich_session_fields() -> dict:
    return {
        "full_name": "Ada Lovelace",
        "email": "ada@example.com",
        "person": {
            "full_name": "Ada Lovelace",
            "birth_date": "1815-12-10",
            "nationality": "GBR",
            "document_type": "ID card",
            "document_number": "X12345678",
            "address": "12 St James's Square, London",
            "confidences": {"full_name": 0.97, "document_number": 0.62},
        },
        "checks": [
            {
                "key": "tamperCheck",
                "status": "ok",
                "group": "idValidation",
                "value": "98",
                "label": "Tamper check",
                "provider_wording": "PASSED",
            },
            {
                "key": "faceMatch",
                "status": "fail",
                "group": "liveness",
                "value": "31",
                "label": "Face match",
                "provider_wording": "FAIL (31 < 50)",
            },
        ],
        "scores": {"liveness": 91.0, "faceRecognition": 31.0},
        "overall_score": 48.0,
        "provider_status": "ONBOARDING_FINISHED / MANUAL",
    }


# ---------------------------------------------------------------- sign-in required


@pytest.mark.parametrize(
    "name,args",
    [
        ("home", []),
        ("queue", ["status"]),
        ("my-tasks", []),
        ("session-list", []),
        ("audit-log", []),
        ("task-detail", [1]),
        ("session-detail", [1]),
        ("evidence-file", [1]),
        ("evidence-thumb", [1]),
    ],
)
def test_every_page_needs_a_sign_in(client, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# ---------------------------------------------------------------- frame


def test_home_shows_the_three_queues_with_counts_and_my_tasks(login, reviewer, make_task):
    now = timezone.now()
    make_task(queue="poa", sla_due_at=now - dt.timedelta(minutes=35))
    make_task(queue="poa")
    mine = make_task(queue="status", state="claimed", assignee=reviewer)
    response = login(reviewer).get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    for label in ("Proof of address", "Status changes", "Antifraud", "My tasks"):
        assert label in html
    assert '<span class="big">2</span> open' in html
    assert "1 overdue" in html
    assert reverse("task-detail", args=[mine.pk]) in html


def test_frame_has_csrf_for_htmx_no_inline_script_or_style(login, reviewer):
    html = login(reviewer).get(reverse("home")).content.decode()
    assert re.search(r"hx-headers='\{\"X-CSRFToken\": \"[A-Za-z0-9]+\"\}'", html)
    assert "<script>" not in html and "<style" not in html
    assert " style=" not in html and "hx-on" not in html and " onclick=" not in html
    assert "htmx-2" in html  # served from our own origin by django-htmx


def test_project_switcher_lists_only_my_projects(login, reviewer, project):
    other = ConnectionFactory().project  # a project the reviewer is not in
    html = login(reviewer).get(reverse("home")).content.decode()
    assert project.name in html
    assert other.name not in html


def test_user_menu_shows_the_role_in_the_current_project(login, senior, project):
    client = login(senior)
    client.post(reverse("project-switch"), {"project": project.pk})
    html = client.get(reverse("home")).content.decode()
    assert 'class="usermenu__role">Senior reviewer<' in html


def test_nav_counts_are_scoped_to_my_projects(login, reviewer, make_task, foreign_task):
    make_task(queue="antifraud")
    response = login(reviewer).get(reverse("nav"))
    html = response.content.decode()
    assert 'id="sidenav"' in html
    counts = re.findall(r'<span class="count" title="(\d+) open">', html)
    assert counts == ["0", "0", "1"]  # poa, status, antifraud; the foreign task not counted


def test_audit_log_link_only_for_auditors_and_admins(login, reviewer, auditor):
    assert reverse("audit-log") not in login(reviewer).get(reverse("home")).content.decode()
    assert reverse("audit-log") in login(auditor).get(reverse("home")).content.decode()


# ---------------------------------------------------------------- queue page


def test_queue_lists_only_my_projects_tasks_by_sla(login, reviewer, make_task, foreign_task):
    now = timezone.now()
    later = make_task(session__full_name="Later Person", sla_due_at=now + dt.timedelta(hours=5))
    sooner = make_task(session__full_name="Sooner Person", sla_due_at=now + dt.timedelta(hours=1))
    foreign_task.session.full_name = "Foreign Person"
    foreign_task.session.save()
    html = login(reviewer).get(reverse("queue", args=["status"])).content.decode()
    assert "Foreign Person" not in html
    assert html.index("Sooner Person") < html.index("Later Person")
    assert sooner.session.external_id in html and later.session.external_id in html
    assert "Incode" in html or "incode" in html.lower()  # provider badge


def test_queue_shows_sla_relative_with_exact_utc_on_hover(login, reviewer, make_task):
    make_task(sla_due_at=timezone.now() - dt.timedelta(minutes=35, seconds=20))
    html = login(reviewer).get(reverse("queue", args=["status"])).content.decode()
    match = re.search(
        r'<time class="sla sla--overdue" datetime="[^"]+" title="([^"]+)">([^<]+)<', html
    )
    assert match, html
    assert match.group(1).endswith("UTC")
    assert match.group(2) == "overdue 35 min"


def test_unknown_queue_is_404(login, reviewer):
    assert login(reviewer).get("/queues/nope/").status_code == 404


def test_queue_empty_state(login, reviewer):
    html = login(reviewer).get(reverse("queue", args=["poa"])).content.decode()
    assert "Nothing waiting in Proof of address" in html


def test_queue_filters_by_assignee_reason_age_and_provider(login, reviewer, make_task, member):
    now = timezone.now()
    other = member(Role.REVIEWER)
    mine = make_task(
        session__full_name="Mine Claimed", state="claimed", assignee=reviewer, reason="Low score"
    )
    theirs = make_task(session__full_name="Their Claimed", state="claimed", assignee=other)
    old = make_task(
        session__full_name="Old Open",
        opened_at=now - dt.timedelta(hours=30),
        reason="Provider asks for manual review",
    )
    client = login(reviewer)
    url = reverse("queue", args=["status"])

    def names(**params):
        html = client.get(url, params).content.decode()
        return {n for n in ("Mine Claimed", "Their Claimed", "Old Open") if n in html}

    assert names(assignee="me") == {"Mine Claimed"}
    assert names(assignee="unassigned") == {"Old Open"}
    assert names(assignee="any") == {"Mine Claimed", "Their Claimed", "Old Open"}
    assert names(reason="low score") == {"Mine Claimed"}
    assert names(age="older") == {"Old Open"}
    assert names(age="1h") == {"Mine Claimed", "Their Claimed"}
    assert names(provider="incode") == {"Mine Claimed", "Their Claimed", "Old Open"}
    assert names(provider="other") == set()  # not a provider of mine: invalid, nothing shown
    assert mine and theirs and old


def test_queue_filter_by_project_among_mine(login, member, project, make_task):
    second = ConnectionFactory(provider="incode")
    user = member(Role.REVIEWER)
    MembershipFactory(user=user, project=second.project, role=Role.REVIEWER)
    make_task(session__full_name="In Acme")
    TaskFactory(session=SessionFactory(connection=second, full_name="In Second"))
    client = login(user)
    url = reverse("queue", args=["status"])
    both = client.get(url).content.decode()
    assert "In Acme" in both and "In Second" in both
    only = client.get(url, {"project": second.project.pk}).content.decode()
    assert "In Second" in only and "In Acme" not in only
    foreign = ConnectionFactory().project
    assert client.get(url, {"project": foreign.pk}).status_code == 400


def test_queue_filter_with_htmx_renders_only_the_table(login, reviewer, make_task):
    make_task(session__full_name="Htmx Row")
    response = login(reviewer).get(
        reverse("queue", args=["status"]), {"assignee": "any"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="task-table"')
    assert "Htmx Row" in html and "<html" not in html
    assert "HX-Request" in response["Vary"]


def test_queue_filters_keep_their_state_in_the_url(login, reviewer):
    html = login(reviewer).get(reverse("queue", args=["status"]), {"age": "24h"}).content.decode()
    assert 'hx-push-url="true"' in html
    assert '<option value="24h" selected>' in html


def test_queue_keyset_pagination_next_50(login, reviewer, make_task):
    now = timezone.now()
    tasks = [
        make_task(session__full_name=f"Person {n:03d}", sla_due_at=now + dt.timedelta(minutes=n))
        for n in range(55)
    ]
    client = login(reviewer)
    url = reverse("queue", args=["status"])
    first = client.get(url).content.decode()
    assert "Person 049" in first and "Person 050" not in first
    cursor = re.search(r'href="\?after=([0-9.]+)"', first).group(1)
    second = client.get(url, {"after": cursor}).content.decode()
    assert "Person 050" in second and "Person 054" in second and "Person 049" not in second
    assert "Next 50" not in second
    assert client.get(url, {"after": "garbage"}).status_code == 400
    assert len(tasks) == 55


def test_queue_keyset_is_stable_when_sla_times_tie(login, reviewer, make_task):
    due = timezone.now() + dt.timedelta(hours=1)
    for n in range(52):
        make_task(session__full_name=f"Tie {n:03d}", sla_due_at=due)
    client = login(reviewer)
    url = reverse("queue", args=["status"])
    first = client.get(url).content.decode()
    cursor = re.search(r'href="\?after=([0-9.]+)"', first).group(1)
    second = client.get(url, {"after": cursor}).content.decode()
    seen_first = set(re.findall(r"Tie \d{3}", first))
    seen_second = set(re.findall(r"Tie \d{3}", second))
    assert len(seen_first) == 50 and len(seen_second) == 2
    assert not seen_first & seen_second


def test_queue_page_never_counts_the_table(login, reviewer, make_task):
    for _ in range(5):
        make_task()
    client = login(reviewer)
    with CaptureQueriesContext(db_connection) as queries:
        client.get(reverse("queue", args=["status"]))
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    # only the nav's grouped count of open tasks per queue
    assert len(counts) == 1 and "GROUP BY" in counts[0].upper()


def test_claim_next_button_only_for_deciding_roles(login, reviewer, auditor, admin_user):
    url = reverse("queue", args=["status"])
    assert "Claim next" in login(reviewer).get(url).content.decode()
    assert "Claim next" not in login(auditor).get(url).content.decode()
    assert "Claim next" not in login(admin_user).get(url).content.decode()


# ---------------------------------------------------------------- my tasks, sessions


def test_my_tasks_lists_only_tasks_claimed_by_me(login, reviewer, member, make_task):
    make_task(session__full_name="Mine", state="claimed", assignee=reviewer)
    make_task(session__full_name="Theirs", state="claimed", assignee=member(Role.REVIEWER))
    make_task(session__full_name="Nobody")
    html = login(reviewer).get(reverse("my-tasks")).content.decode()
    assert "Mine" in html and "Theirs" not in html and "Nobody" not in html


def test_my_tasks_empty_state(login, reviewer):
    assert "You hold no tasks" in login(reviewer).get(reverse("my-tasks")).content.decode()


def test_sessions_page_searches_name_email_and_provider_id(
    login, reviewer, connection, foreign_task
):
    ada = SessionFactory(connection=connection, full_name="Ada Lovelace", email="ada@example.com")
    SessionFactory(connection=connection, full_name="Charles Babbage")
    client = login(reviewer)
    url = reverse("session-list")
    html = client.get(url).content.decode()
    assert "Ada Lovelace" in html and "Charles Babbage" in html
    assert foreign_task.session.external_id not in html
    assert "Charles" not in client.get(url, {"q": "lovelace"}).content.decode()
    assert "Ada Lovelace" in client.get(url, {"q": "ada@example.com"}).content.decode()
    assert "Ada Lovelace" in client.get(url, {"q": ada.external_id}).content.decode()
    assert "No session matches" in client.get(url, {"q": "nobody"}).content.decode()
    status_badge = client.get(url).content.decode()
    assert "Needs review" in status_badge
    assert (
        client.get(url, {"q": foreign_task.session.external_id}).content.decode().count("row-link")
        == 0
    )


# ---------------------------------------------------------------- case page


def test_case_page_shows_facts_checks_scores_masked_pii(login, reviewer, make_task):
    task = make_task(**{f"session__{k}": v for k, v in rich_session_fields().items()})
    html = login(reviewer).get(reverse("task-detail", args=[task.pk])).content.decode()
    assert "Ada Lovelace" in html and "12 St James" in html
    assert "X12345678" not in html and "1815-12-10" not in html  # masked
    assert "•••••••78" in html and "Reveal" in html
    assert 'title="Provider: FAIL (31 &lt; 50)">FAIL<' in html
    assert 'title="Provider: PASSED">OK<' in html
    assert "ONBOARDING_FINISHED / MANUAL" in html  # provider status verbatim
    assert "faceRecognition" in html and "97 %" in html
    assert "Incode Omni" in html  # source column


def test_case_page_of_another_project_is_404_and_audited(login, reviewer, foreign_task):
    response = login(reviewer).get(reverse("task-detail", args=[foreign_task.pk]))
    assert response.status_code == 404
    event = AuditEvent.objects.get(action="access.denied")
    assert event.actor == reviewer
    assert event.data["path"] == reverse("task-detail", args=[foreign_task.pk])
    assert foreign_task.session.full_name not in str(event.data)


def test_missing_task_is_404_and_audited(login, reviewer):
    assert login(reviewer).get(reverse("task-detail", args=[999999])).status_code == 404
    assert AuditEvent.objects.filter(action="access.denied", actor=reviewer).count() == 1


def test_session_page_shows_the_facts_and_links_its_tasks(login, reviewer, make_task):
    task = make_task(**{f"session__{k}": v for k, v in rich_session_fields().items()})
    html = login(reviewer).get(reverse("session-detail", args=[task.session.pk])).content.decode()
    assert "Ada Lovelace" in html and "Tamper check" in html
    assert reverse("task-detail", args=[task.pk]) in html
    assert login(reviewer).get(reverse("session-detail", args=[98765])).status_code == 404


def test_antifraud_case_links_the_colliding_session_only_if_visible(login, reviewer, make_task):
    other = SessionFactory(
        connection=make_task().session.connection, full_name="The Other One", external_id="abc-2"
    )
    task = make_task(
        queue="antifraud",
        session__antifraud={
            "result": "failed",
            "step_name": "IdFaceAntifraudExecutor",
            "colliding_external_id": "abc-2",
            "detail": "Same face as another session",
        },
    )
    add_evidence(task.session, "selfie")
    add_evidence(other, "selfie", colour="#aa3366")
    html = login(reviewer).get(reverse("task-detail", args=[task.pk])).content.decode()
    assert reverse("session-detail", args=[other.pk]) in html
    assert "IdFaceAntifraudExecutor" in html
    assert "This session ↔ the colliding session" in html
    assert "abc-2 (Selfie)" in html

    hidden = make_task(
        queue="antifraud",
        session__antifraud={"result": "failed", "colliding_external_id": "not-here"},
    )
    html = login(reviewer).get(reverse("task-detail", args=[hidden.pk])).content.decode()
    assert "not in kycdash, or not in your projects" in html


def test_poa_case_shows_poa_fields_beside_the_id(login, reviewer, make_task):
    task = make_task(
        queue="poa",
        session__person={"full_name": "Ada Lovelace", "address": "12 St James's Square"},
        session__poa={
            "confidence": 0.71,
            "name": "A. Lovelace",
            "address": "12 St James Sq",
            "document_type": "utility_bill",
            "issue_date": "2025-01-02",
            "field_scores": {"name": 0.66, "address": 0.91},
            "provider_status": "MANUAL_REVIEW",
            "manual_review_requested": True,
        },
    )
    front = add_evidence(task.session, "front")
    poa = add_evidence(task.session, "poa", colour="#eeeeee")
    html = login(reviewer).get(reverse("task-detail", args=[task.pk])).content.decode()
    assert "A. Lovelace" in html and "66 %" in html and "91 %" in html and "71 % overall" in html
    assert "MANUAL_REVIEW" in html
    # the PoA compare comes first in the poa queue
    assert html.index("PoA document ↔ ID front") >= 0
    assert reverse("evidence-file", args=[poa.pk]) in html
    assert reverse("evidence-file", args=[front.pk]) in html


def test_auditor_sees_the_case_read_only(login, auditor, make_task):
    task = make_task()
    html = login(auditor).get(reverse("task-detail", args=[task.pk])).content.decode()
    assert "Read-only" in html
    for action in ("task-claim", "task-decide", "note-add"):
        url = reverse(action, args=[task.session.pk if action == "note-add" else task.pk])
        assert url not in html
    assert 'name="outcome"' not in html


def test_timeline_lists_ingest_claims_decisions_and_notes(login, reviewer, connection):
    from reviews.services import session_ingest
    from tests.reviews.snapshots import snapshot

    task = session_ingest(connection=connection, snapshot=snapshot(), source="test").opened[0]
    client = login(reviewer)
    client.post(reverse("task-claim", args=[task.pk]))
    client.post(reverse("note-add", args=[task.session.pk]), {"text": "Checked the hologram."})
    client.post(
        reverse("task-decide", args=[task.pk]), {"outcome": "approve", "reason": "verified"}
    )
    html = client.get(reverse("task-detail", args=[task.pk])).content.decode()
    timeline = html[html.index('id="timeline"') :]
    assert "opened in Status changes" in timeline
    assert f"{reviewer.username} claimed task #{task.pk}" in timeline
    assert "Checked the hologram." in timeline
    assert f"{reviewer.username} decided task #{task.pk} (Status changes): Approve" in timeline
    assert "Verified by a reviewer" in timeline


# ---------------------------------------------------------------- audit log


def test_audit_log_for_auditors_newest_first_with_keyset(login, auditor, reviewer, project):
    from kycdash.audit.services import audit_record

    for n in range(105):
        audit_record(action=f"test.event{n}", actor=reviewer, project=project)
    audit_record(action="test.foreign", project=ConnectionFactory().project)
    client = login(auditor)
    html = client.get(reverse("audit-log")).content.decode()
    assert html.index("test.event104") < html.index("test.event10<")
    assert "test.foreign" not in html
    assert "test.event4<" not in html  # on the next page
    before = re.search(r'href="\?before=(\d+)"', html).group(1)
    more = client.get(reverse("audit-log"), {"before": before}).content.decode()
    assert "test.event4<" in more and "test.event104" not in more


def test_audit_log_is_refused_to_reviewers(login, reviewer):
    assert login(reviewer).get(reverse("audit-log")).status_code == 403


def test_sessions_page_counts_open_tasks_per_row(login, reviewer, make_task):
    task = make_task(session__full_name="Two Tasks")
    make_task(session=task.session, queue="poa")
    make_task(session=task.session, queue="antifraud", state="done")
    html = login(reviewer).get(reverse("session-list")).content.decode()
    row = html[html.index("Two Tasks") :]
    assert re.search(r'<td class="num">2</td>', row[:2000])


def test_sessions_page_keyset_pagination(login, reviewer, connection):
    for n in range(53):
        SessionFactory(connection=connection, full_name=f"Paged {n:03d}")
    client = login(reviewer)
    first = client.get(reverse("session-list")).content.decode()
    cursor = re.search(r'href="\?after=([0-9.]+)"', first).group(1)
    second = client.get(reverse("session-list"), {"after": cursor}).content.decode()
    assert len(set(re.findall(r"Paged \d{3}", first))) == 50
    assert len(set(re.findall(r"Paged \d{3}", second))) == 3


@pytest.mark.parametrize("name", ["home", "my-tasks", "session-list", "audit-log", "case"])
def test_no_inline_script_style_or_handler_anywhere(login, admin_user, make_task, name):
    task = make_task(**{f"session__{k}": v for k, v in rich_session_fields().items()})
    add_evidence(task.session, "selfie")
    url = reverse("task-detail", args=[task.pk]) if name == "case" else reverse(name)
    html = login(admin_user).get(url).content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # every script has a src
    assert not re.search(r"<style\b", html)
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)  # onclick=, onload=…
    assert "hx-on" not in html and "javascript:" not in html


def test_the_identitys_other_sessions_are_listed_and_linked(login, reviewer, connection):
    from tests.factories import SessionFactory

    earlier = SessionFactory(connection=connection, external_id="ida-earlier")
    session = SessionFactory(
        connection=connection,
        related=[
            {"external_id": "ida-earlier", "relation": "reauthentication", "status": "complete",
             "created_at": "2026-11-01T10:00:00+00:00"},
            {"external_id": "ida-elsewhere", "relation": "reauthentication", "status": ""},
        ],
    )  # fmt: skip
    html = login(reviewer).get(reverse("session-detail", args=[session.pk])).content.decode()
    related = html[html.index('id="related"') :]
    assert reverse("session-detail", args=[earlier.pk]) in related
    assert "ida-elsewhere" in related and "not in kycdash" in related
    assert "Reauthentication" in related and "2026-11-01" in related
