"""POST claim, release and claim-next."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kycdash.audit.models import AuditEvent
from reviews import services
from reviews.models import ReviewTask
from tests.api.conftest import error_of
from tests.factories import (
    ConnectionFactory,
    MembershipFactory,
    ProjectFactory,
    SessionFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db


def test_claim_assigns_the_task(api, reviewer, task):
    response = api(reviewer).post(f"/api/v1/tasks/{task.pk}/claim/")
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["state"], body["assignee"]) == (task.pk, "claimed", reviewer.username)
    task.refresh_from_db()
    assert task.state == "claimed" and task.assignee == reviewer
    assert AuditEvent.objects.filter(action="task.claimed", object_id=str(task.pk)).exists()


def test_claiming_ones_own_task_again_is_harmless(api, reviewer, task):
    client = api(reviewer)
    client.post(f"/api/v1/tasks/{task.pk}/claim/")
    response = client.post(f"/api/v1/tasks/{task.pk}/claim/")
    assert response.status_code == 200
    assert response.json()["assignee"] == reviewer.username


def test_a_task_claimed_by_someone_else_is_409_not_claimable(api, reviewer, member, task):
    colleague = member()
    services.task_claim(task=task, user=colleague)
    response = api(reviewer).post(f"/api/v1/tasks/{task.pk}/claim/")
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "not_claimable"
    assert colleague.username in error["message"]
    task.refresh_from_db()
    assert task.assignee == colleague


def test_an_outsider_cannot_claim_and_learns_nothing(api, outsider, task):
    response = api(outsider).post(f"/api/v1/tasks/{task.pk}/claim/")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    task.refresh_from_db()
    assert task.state == "open"


def test_an_auditor_cannot_claim(api, auditor, task):
    response = api(auditor).post(f"/api/v1/tasks/{task.pk}/claim/")
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"
    task.refresh_from_db()
    assert task.state == "open" and task.assignee is None


def test_release_puts_the_task_back(api, reviewer, task):
    services.task_claim(task=task, user=reviewer)
    response = api(reviewer).post(f"/api/v1/tasks/{task.pk}/release/")
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["assignee"]) == ("open", None)


def test_releasing_an_open_task_is_409_not_claimed(api, reviewer, task):
    response = api(reviewer).post(f"/api/v1/tasks/{task.pk}/release/")
    assert response.status_code == 409
    assert error_of(response)["code"] == "not_claimed"


def test_a_reviewer_cannot_release_a_colleagues_task(api, reviewer, member, task):
    colleague = member()
    services.task_claim(task=task, user=colleague)
    response = api(reviewer).post(f"/api/v1/tasks/{task.pk}/release/")
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"
    task.refresh_from_db()
    assert task.assignee == colleague


# ---------------------------------------------------------------- claim-next


def test_claim_next_takes_the_earliest_sla(api, reviewer, make_task):
    now = timezone.now()
    make_task(sla_due_at=now + dt.timedelta(hours=3))
    urgent = make_task(sla_due_at=now + dt.timedelta(hours=1))
    make_task("poa", sla_due_at=now)  # another queue
    response = api(reviewer).post("/api/v1/tasks/claim-next/", {"queue": "status"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == urgent.pk
    assert (body["state"], body["assignee"]) == ("claimed", reviewer.username)


def test_claim_next_never_returns_a_task_claimed_by_another(api, reviewer, member, make_task):
    colleague = member()
    now = timezone.now()
    theirs = make_task(sla_due_at=now)
    services.task_claim(task=theirs, user=colleague)
    mine = make_task(sla_due_at=now + dt.timedelta(hours=2))
    client = api(reviewer)

    first = client.post("/api/v1/tasks/claim-next/", {"queue": "status"}, format="json")
    assert first.status_code == 200
    assert first.json()["id"] == mine.pk
    second = client.post("/api/v1/tasks/claim-next/", {"queue": "status"}, format="json")
    assert second.status_code == 204
    assert second.content == b""
    theirs.refresh_from_db()
    assert theirs.assignee == colleague


def test_claim_next_stays_in_the_users_projects(api, reviewer, other_task):
    response = api(reviewer).post("/api/v1/tasks/claim-next/", {"queue": "status"}, format="json")
    assert response.status_code == 204
    other_task.refresh_from_db()
    assert other_task.state == "open"


def test_claim_next_in_a_named_project(api, reviewer, member, task, project):

    second = ProjectFactory(slug="second")
    MembershipFactory(user=reviewer, project=second)
    elsewhere = TaskFactory(
        session=SessionFactory(connection=ConnectionFactory(project=second)),
        sla_due_at=task.sla_due_at - dt.timedelta(hours=1),
    )
    client = api(reviewer)
    response = client.post(
        "/api/v1/tasks/claim-next/", {"queue": "status", "project": project.slug}, format="json"
    )
    assert response.json()["id"] == task.pk
    response = client.post(
        "/api/v1/tasks/claim-next/", {"queue": "status", "project": "second"}, format="json"
    )
    assert response.json()["id"] == elsewhere.pk


def test_claim_next_with_another_projects_slug_is_refused_like_an_unknown_one(
    api, reviewer, other_task
):
    client = api(reviewer)
    slug = other_task.session.project.slug
    forbidden = client.post(
        "/api/v1/tasks/claim-next/", {"queue": "status", "project": slug}, format="json"
    )
    unknown = client.post(
        "/api/v1/tasks/claim-next/", {"queue": "status", "project": "no-such"}, format="json"
    )
    assert forbidden.status_code == unknown.status_code == 400
    assert error_of(forbidden)["code"] == "invalid"
    assert list(error_of(forbidden)["fields"]) == ["project"]
    assert error_of(forbidden)["fields"]["project"] != []
    other_task.refresh_from_db()
    assert other_task.state == "open"


@pytest.mark.parametrize("body", [{}, {"queue": "kyc"}, {"queue": ["status"]}])
def test_claim_next_needs_a_valid_queue(api, reviewer, task, body):
    response = api(reviewer).post("/api/v1/tasks/claim-next/", body, format="json")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert "queue" in error["fields"]
    task.refresh_from_db()
    assert task.state == "open"


def test_claim_next_in_an_empty_queue_is_204(api, reviewer, task):
    response = api(reviewer).post("/api/v1/tasks/claim-next/", {"queue": "poa"}, format="json")
    assert response.status_code == 204
    assert ReviewTask.objects.filter(state="claimed").count() == 0


def test_an_auditor_claim_next_is_403(api, auditor, task):
    response = api(auditor).post("/api/v1/tasks/claim-next/", {"queue": "status"}, format="json")
    assert response.status_code == 403


def test_an_auditor_claim_next_claims_nothing(api, auditor, task):
    response = api(auditor).post("/api/v1/tasks/claim-next/", {"queue": "status"}, format="json")
    assert response.status_code in (204, 403)
    task.refresh_from_db()
    assert task.state == "open" and task.assignee is None
