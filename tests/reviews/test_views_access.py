"""Evidence serving, PII reveal, sign-in auditing and the project switcher."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kycdash.accounts.middleware import SESSION_KEY
from kycdash.audit.models import AuditEvent
from tests.conftest import PASSWORD
from tests.factories import ConnectionFactory
from tests.reviews.conftest import add_evidence

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- evidence


def test_full_evidence_file_is_served_privately_and_audited(login, reviewer, make_task, media):
    task = make_task()
    evidence = add_evidence(task.session, "selfie")
    response = login(reviewer).get(reverse("evidence-file", args=[evidence.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"].startswith("inline")
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\x89PNG")
    event = AuditEvent.objects.get(action="evidence.viewed")
    assert event.actor == reviewer
    assert event.data == {"session": task.session.pk, "kind": "selfie", "variant": "full"}


def test_each_open_is_audited(login, reviewer, make_task, media):
    evidence = add_evidence(make_task().session)
    client = login(reviewer)
    for _ in range(3):
        client.get(reverse("evidence-file", args=[evidence.pk]))
    assert AuditEvent.objects.filter(action="evidence.viewed").count() == 3


def test_thumbnail_is_served_privately_and_not_audited(login, reviewer, make_task, media):
    evidence = add_evidence(make_task().session)
    response = login(reviewer).get(reverse("evidence-thumb", args=[evidence.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"].startswith("inline")
    assert not AuditEvent.objects.filter(action="evidence.viewed").exists()


@pytest.mark.parametrize("name", ["evidence-file", "evidence-thumb"])
def test_another_projects_evidence_is_404_and_audited(login, reviewer, foreign_task, media, name):
    evidence = add_evidence(foreign_task.session)
    response = login(reviewer).get(reverse(name, args=[evidence.pk]))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="evidence.viewed").exists()
    denied = AuditEvent.objects.get(action="access.denied")
    assert denied.data == {"path": reverse(name, args=[evidence.pk]), "method": "GET"}
    assert denied.project is None  # says nothing about whose evidence it was


def test_auditor_may_view_evidence(login, auditor, make_task, media):
    evidence = add_evidence(make_task().session)
    assert login(auditor).get(reverse("evidence-file", args=[evidence.pk])).status_code == 200


def test_case_page_shows_thumbnails_by_kind(login, reviewer, make_task, media):
    task = make_task()
    kinds = ["selfie", "front", "portrait", "back"]
    items = {
        kind: add_evidence(task.session, kind, colour=f"#{n}0{n}0{n}0")
        for n, kind in enumerate(kinds)
    }
    html = login(reviewer).get(reverse("task-detail", args=[task.pk])).content.decode()
    order = [
        html.index(reverse("evidence-thumb", args=[items[k].pk]))
        for k in ("front", "back", "selfie", "portrait")
    ]
    assert order == sorted(order)
    assert "Selfie ↔ ID portrait" in html
    assert 'data-viewer-src="' + reverse("evidence-file", args=[items["front"].pk]) in html
    assert not AuditEvent.objects.filter(action="evidence.viewed").exists()  # thumbs only


# ---------------------------------------------------------------- PII reveal


@pytest.fixture
def person_task(make_task):
    return make_task(
        session__person={
            "full_name": "Ada Lovelace",
            "document_number": "X12345678",
            "birth_date": "1815-12-10",
        }
    )


def test_reveal_with_htmx_returns_the_value_and_audits(login, reviewer, person_task):
    session = person_task.session
    response = login(reviewer).post(
        reverse("pii-reveal", args=[session.pk]),
        {"field": "document_number"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert 'id="pii-document_number"' in response.content.decode()
    assert "X12345678" in response.content.decode()
    event = AuditEvent.objects.get(action="pii.revealed")
    assert event.actor == reviewer and event.data == {"field": "document_number"}
    assert event.object_id == str(session.pk)


def test_reveal_without_js_shows_the_value_once(login, reviewer, person_task):
    client = login(reviewer)
    page = reverse("task-detail", args=[person_task.pk])
    response = client.post(
        reverse("pii-reveal", args=[person_task.session.pk]),
        {"field": "birth_date", "next": page},
    )
    assert response["Location"] == page + "#facts"
    assert "1815-12-10" in client.get(page).content.decode()
    assert "1815-12-10" not in client.get(page).content.decode()  # masked again
    assert AuditEvent.objects.filter(action="pii.revealed").count() == 1


def test_reveal_refuses_unknown_fields_and_foreign_sessions(
    login, reviewer, person_task, foreign_task
):
    client = login(reviewer)
    url = reverse("pii-reveal", args=[person_task.session.pk])
    assert client.post(url, {"field": "email"}).status_code == 400
    foreign = reverse("pii-reveal", args=[foreign_task.session.pk])
    assert client.post(foreign, {"field": "document_number"}).status_code == 404
    assert not AuditEvent.objects.filter(action="pii.revealed").exists()


def test_reveal_redirect_stays_on_this_site(login, reviewer, person_task):
    response = login(reviewer).post(
        reverse("pii-reveal", args=[person_task.session.pk]),
        {"field": "document_number", "next": "https://evil.example/"},
    )
    assert response["Location"].startswith("/")


# ---------------------------------------------------------------- sign-in


def test_login_success_is_audited(client, reviewer):
    response = client.post(reverse("login"), {"username": reviewer.username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    event = AuditEvent.objects.get(action="auth.login")
    assert event.actor == reviewer
    assert PASSWORD not in str(event.data)


def test_login_failure_is_audited_without_the_password(client, reviewer):
    response = client.post(
        reverse("login"), {"username": reviewer.username, "password": "wrong-password-123"}
    )
    assert response.status_code == 200
    assert "do not match" in response.content.decode()
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.data == {"username": reviewer.username}
    assert event.actor is None
    assert "wrong-password-123" not in event.canonical().decode()


def test_login_page_renders(client):
    html = client.get(reverse("login")).content.decode()
    assert '<label for="id_username">' in html and 'autocomplete="current-password"' in html


def test_logout_by_post(login, reviewer):
    client = login(reviewer)
    response = client.post(reverse("logout"))
    assert response["Location"] == reverse("login")
    assert AuditEvent.objects.filter(action="auth.logout", actor=reviewer).exists()
    assert client.get(reverse("home")).status_code == 302


# ---------------------------------------------------------------- project switcher


def test_switch_to_one_of_my_projects_and_back_to_all(login, reviewer, project):
    client = login(reviewer)
    response = client.post(reverse("project-switch"), {"project": project.pk, "next": "/sessions/"})
    assert response["Location"] == "/sessions/"
    assert client.session[SESSION_KEY] == project.pk
    client.post(reverse("project-switch"), {"project": ""})
    assert SESSION_KEY not in client.session


def test_switch_to_a_project_not_mine_is_404(login, reviewer):
    foreign = ConnectionFactory().project
    client = login(reviewer)
    response = client.post(reverse("project-switch"), {"project": foreign.pk})
    assert response.status_code == 404
    assert SESSION_KEY not in client.session
    assert AuditEvent.objects.filter(action="access.denied").exists()


def test_timezone_preference_changes_displayed_times(login, reviewer, make_task):
    client = login(reviewer)
    response = client.post(reverse("preferences"), {"timezone": "Asia/Tokyo"})
    assert response.status_code == 302
    task = make_task()
    html = client.get(reverse("task-detail", args=[task.pk])).content.decode()
    assert "Time zone: Asia/Tokyo" in html
    assert client.post(reverse("preferences"), {"timezone": "Mars/Olympus"}).status_code == 200
