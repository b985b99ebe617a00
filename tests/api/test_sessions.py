"""GET /api/v1/sessions/ and /api/v1/sessions/<id>/."""

from __future__ import annotations

import pytest

from reviews.api import SessionPagination
from reviews.models import Evidence
from tests.api.conftest import error_of
from tests.factories import ConnectionFactory, SessionFactory, TaskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(incode):
    session = SessionFactory(
        connection=incode,
        external_id="interview-abc",
        status="needs_review",
        provider_status="ONBOARDING_FINISHED",
        full_name="Ada Lovelace",
        person={"full_name": "Ada Lovelace", "document_number": "X1234567"},
        document_type="passport",
        checks=[{"key": "liveness", "status": "ok"}],
        scores={"liveness": 98.0, "face_match": 91.5},
        overall_score=93.0,
        antifraud={"result": "passed"},
        review_requested=True,
        review_reason="manual review REQUIRED",
        raw={"secret": "raw payload stays out of the API"},
    )
    Evidence.objects.create(
        session=session,
        kind="front",
        content_type="image/png",
        sha256="a" * 64,
        size=1234,
        width=640,
        height=400,
        file="evidence/private-front.png",
        thumbnail="evidence/private-front-thumb.png",
    )
    return session


def test_detail_shows_the_session(api, reviewer, session, project, incode):
    task = TaskFactory(session=session, queue="status")
    response = api(reviewer).get(f"/api/v1/sessions/{session.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == session.pk
    assert body["project"] == project.slug
    assert body["provider"] == "incode"
    assert body["connection"] == str(incode.pk)
    assert body["external_id"] == "interview-abc"
    assert body["status"] == "needs_review"
    assert body["provider_status"] == "ONBOARDING_FINISHED"
    assert body["full_name"] == "Ada Lovelace"
    assert body["person"]["document_number"] == "X1234567"
    assert body["document_type"] == "passport"
    assert body["checks"] == [{"key": "liveness", "status": "ok"}]
    assert body["scores"] == {"liveness": 98.0, "face_match": 91.5}
    assert body["overall_score"] == 93.0
    assert body["antifraud"] == {"result": "passed"}
    assert body["poa"] is None
    assert body["review_requested"] is True
    assert body["review_reason"] == "manual review REQUIRED"
    assert body["tasks"] == [{"id": task.pk, "queue": "status", "state": "open"}]
    for stamp in ("first_seen_at", "last_ingested_at", "provider_started_at"):
        assert stamp in body
    assert "raw" not in body


def test_evidence_is_listed_without_storage_urls(api, reviewer, session):
    evidence = session.evidence.get()
    response = api(reviewer).get(f"/api/v1/sessions/{session.pk}/")
    [item] = response.json()["evidence"]
    assert item["id"] == evidence.pk
    assert item["kind"] == "front"
    assert item["content_type"] == "image/png"
    assert (item["size"], item["width"], item["height"]) == (1234, 640, 400)
    assert item["sha256"] == "a" * 64
    assert item["url"] == f"/evidence/{evidence.pk}/file/"
    assert "file" not in item and "thumbnail" not in item
    assert b"private-front" not in response.content
    assert b"/media/" not in response.content


def test_list_shows_the_projects_sessions(api, reviewer, session):
    response = api(reviewer).get("/api/v1/sessions/")
    assert response.status_code == 200
    body = response.json()
    assert [row["id"] for row in body["results"]] == [session.pk]
    assert body["results"][0]["evidence"][0]["url"].startswith("/evidence/")
    assert set(body) == {"next", "previous", "results"}


def test_an_outsider_sees_nothing(api, outsider, session):
    assert api(outsider).get("/api/v1/sessions/").json()["results"] == []
    response = api(outsider).get(f"/api/v1/sessions/{session.pk}/")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    # the same answer as for an id that does not exist
    missing = api(outsider).get("/api/v1/sessions/99999999/")
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "not_found"


def test_another_projects_sessions_stay_out_of_the_list(api, reviewer, session, outsider):
    other_project = outsider.memberships.get().project
    SessionFactory(connection=ConnectionFactory(project=other_project))
    ids = [row["id"] for row in api(reviewer).get("/api/v1/sessions/").json()["results"]]
    assert ids == [session.pk]


def test_the_auditor_reads_sessions(api, auditor, session):
    assert api(auditor).get(f"/api/v1/sessions/{session.pk}/").status_code == 200


@pytest.mark.parametrize(
    "query, expected",
    [
        ("status=approved", {"approved"}),
        ("status=needs_review", {"needs_review"}),
        ("external_id=interview-abc", {"needs_review"}),
        ("provider=incode", {"approved", "needs_review"}),
        ("provider=flonk", set()),
        ("project=acme", {"approved", "needs_review"}),
        ("project=nope", set()),
    ],
)
def test_filters(api, reviewer, session, incode, query, expected):
    SessionFactory(connection=incode, status="approved", external_id="interview-zzz")
    response = api(reviewer).get(f"/api/v1/sessions/?{query}")
    assert response.status_code == 200
    assert {row["status"] for row in response.json()["results"]} == expected


def test_a_bad_status_filter_is_400(api, reviewer, session):
    response = api(reviewer).get("/api/v1/sessions/?status=sort-of-approved")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert list(error["fields"]) == ["status"]


def test_the_list_is_cursor_paginated(api, reviewer, incode, monkeypatch):
    monkeypatch.setattr(SessionPagination, "page_size", 2)
    made = [SessionFactory(connection=incode).pk for _ in range(5)]
    client = api(reviewer)
    seen, url = [], "/api/v1/sessions/"
    while url:
        page = client.get(url).json()
        assert len(page["results"]) <= 2
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert seen == sorted(made, reverse=True)


def test_a_forged_cursor_is_answered_in_the_error_format(api, reviewer, session):
    response = api(reviewer).get("/api/v1/sessions/?cursor=garbage")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
