"""GET /api/v1/tasks/ and /api/v1/tasks/<id>/."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from reviews import services
from reviews.api import TaskPagination
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db


def test_detail_shows_the_task_and_its_session(api, reviewer, task):
    response = api(reviewer).get(f"/api/v1/tasks/{task.pk}/")
    assert response.status_code == 200
    body = response.json()
    session = task.session
    assert body["id"] == task.pk
    assert body["queue"] == "status"
    assert body["state"] == "open"
    assert body["reason"] == task.reason
    assert body["priority"] == task.priority
    assert body["assignee"] is None
    assert body["overdue"] is False
    assert body["sla_due_at"]
    assert body["session"] == {
        "id": session.pk,
        "external_id": session.external_id,
        "provider": "incode",
        "full_name": session.full_name,
        "status": session.status,
    }
    assert body["decisions"] == []
    assert body["outcomes"] == ["approve", "reject"]
    assert {"code": "document_unclear", "label": "Document unclear"} in body["reason_codes"]


def test_an_overdue_task_says_so(api, reviewer, make_task):
    late = make_task(sla_due_at=timezone.now() - dt.timedelta(minutes=1))
    assert api(reviewer).get(f"/api/v1/tasks/{late.pk}/").json()["overdue"] is True


def test_detail_lists_decisions_with_their_write_back(api, reviewer, task):
    decision = services.decision_record(
        task=task, reviewer=reviewer, outcome="reject", reason="fake_document", note="edited"
    )
    body = api(reviewer).get(f"/api/v1/tasks/{task.pk}/").json()
    assert body["state"] == "done"
    assert body["assignee"] == reviewer.username
    [shown] = body["decisions"]
    assert shown["id"] == decision.pk
    assert shown["reviewer"] == reviewer.username
    assert (shown["outcome"], shown["reason"], shown["note"]) == (
        "reject",
        "fake_document",
        "edited",
    )
    assert shown["state"] == "final"
    assert shown["second_reviewer"] is None
    assert shown["created_at"]
    writeback = decision.writeback
    assert shown["writeback"]["id"] == writeback.pk
    assert shown["writeback"]["state"] == writeback.state
    for key in ("attempts", "last_status_code", "last_error", "sent_at"):
        assert key in shown["writeback"]


def test_an_outsider_gets_404_and_an_empty_list(api, outsider, task):
    response = api(outsider).get(f"/api/v1/tasks/{task.pk}/")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    assert api(outsider).get("/api/v1/tasks/").json()["results"] == []


def test_the_list_holds_only_the_users_projects(api, reviewer, task, other_task):
    ids = [row["id"] for row in api(reviewer).get("/api/v1/tasks/").json()["results"]]
    assert ids == [task.pk]


@pytest.fixture
def tasks_in_every_state(make_task, reviewer, senior, project):
    opened = make_task("status")
    claimed = make_task("poa")
    services.task_claim(task=claimed, user=reviewer)
    project.four_eyes_antifraud = True
    project.save()
    awaiting = make_task("antifraud")
    services.decision_record(task=awaiting, reviewer=senior, outcome="resolve_false_positive")
    done = make_task("status")
    services.decision_record(task=done, reviewer=reviewer, outcome="approve")
    return {"open": opened, "claimed": claimed, "awaiting_second": awaiting, "done": done}


@pytest.mark.parametrize("state", ["open", "claimed", "awaiting_second", "done"])
def test_the_state_filter_means_exactly_that_state(api, reviewer, tasks_in_every_state, state):
    response = api(reviewer).get(f"/api/v1/tasks/?state={state}")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [tasks_in_every_state[state].pk]


def test_the_queue_filter(api, reviewer, tasks_in_every_state):
    response = api(reviewer).get("/api/v1/tasks/?queue=status")
    assert {row["id"] for row in response.json()["results"]} == {
        tasks_in_every_state["open"].pk,
        tasks_in_every_state["done"].pk,
    }
    both = api(reviewer).get("/api/v1/tasks/?queue=status&state=open").json()["results"]
    assert [row["id"] for row in both] == [tasks_in_every_state["open"].pk]


def test_the_project_filter(api, reviewer, task, project):
    assert len(api(reviewer).get(f"/api/v1/tasks/?project={project.slug}").json()["results"]) == 1
    assert api(reviewer).get("/api/v1/tasks/?project=elsewhere").json()["results"] == []


@pytest.mark.parametrize(
    "query, field",
    [("queue=kyc", "queue"), ("state=opened", "state"), ("queue=poa&state=closed", "state")],
)
def test_a_bad_filter_value_is_400_in_the_error_format(api, reviewer, task, query, field):
    response = api(reviewer).get(f"/api/v1/tasks/?{query}")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert field in error["message"]
    assert list(error["fields"]) == [field]
    assert all(isinstance(message, str) for message in error["fields"][field])


def test_the_list_is_in_sla_order(api, reviewer, make_task):
    now = timezone.now()
    later = make_task(sla_due_at=now + dt.timedelta(hours=5))
    sooner = make_task(sla_due_at=now + dt.timedelta(hours=1))
    rows = api(reviewer).get("/api/v1/tasks/").json()["results"]
    assert [row["id"] for row in rows] == [sooner.pk, later.pk]


def test_the_list_pages_through_tasks_with_the_same_sla(api, reviewer, make_task, monkeypatch):
    monkeypatch.setattr(TaskPagination, "page_size", 2)
    due = timezone.now() + dt.timedelta(hours=4)
    made = [make_task(sla_due_at=due).pk for _ in range(5)]
    client = api(reviewer)
    seen, url = [], "/api/v1/tasks/"
    while url:
        page = client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert seen == made
