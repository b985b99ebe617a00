"""Lists and details cost a fixed number of queries, whatever the number of rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reviews import services
from reviews.models import Evidence
from tests.factories import SessionFactory

pytestmark = pytest.mark.django_db


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def add_session_with_evidence_and_task(incode, make_task, n: int) -> None:
    session = SessionFactory(connection=incode)
    Evidence.objects.create(
        session=session,
        kind="front",
        content_type="image/png",
        sha256=f"{n:064d}",
        size=1,
        file=f"evidence/{n}.png",
    )
    make_task(session=session)


def test_the_session_list_does_not_grow_with_rows(api, reviewer, incode, make_task):
    client = api(reviewer)
    add_session_with_evidence_and_task(incode, make_task, 0)
    few = queries_for(client, "/api/v1/sessions/")
    for n in range(1, 8):
        add_session_with_evidence_and_task(incode, make_task, n)
    assert queries_for(client, "/api/v1/sessions/") == few


def test_the_task_list_does_not_grow_with_rows(api, reviewer, make_task):
    client = api(reviewer)
    services.task_claim(task=make_task(), user=reviewer)
    few = queries_for(client, "/api/v1/tasks/")
    for _ in range(7):
        services.task_claim(task=make_task(), user=reviewer)
    assert queries_for(client, "/api/v1/tasks/") == few


def test_the_task_detail_does_not_grow_with_decisions(api, project, senior, member, make_task):
    project.four_eyes_status = True
    project.save()
    task = make_task()
    client = api(senior)
    second = member("senior_reviewer")

    services.decision_record(task=task, reviewer=senior, outcome="approve")
    services.decision_return(task=task, user=second, note="again")
    few = queries_for(client, f"/api/v1/tasks/{task.pk}/")
    for _ in range(3):
        services.decision_record(task=task, reviewer=senior, outcome="approve")
        services.decision_return(task=task, user=second, note="again")
    services.decision_record(task=task, reviewer=senior, outcome="approve")
    services.decision_confirm(task=task, user=second)
    assert queries_for(client, f"/api/v1/tasks/{task.pk}/") == few
