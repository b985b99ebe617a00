import pytest

from reviews.routing import routes_for
from tests.factories import ProjectFactory
from tests.reviews.snapshots import antifraud_failed, poa, snapshot


@pytest.fixture
def project(db):
    return ProjectFactory(
        poa_manual_review_threshold=0.5, poa_auto_approve_threshold=0.85, status_min_score=60
    )


def queues(project, snap):
    return [route.queue for route in routes_for(project, snap)]


def test_provider_manual_review_opens_a_status_task(project):
    routes = routes_for(project, snapshot(review_requested=True, review_reason="RULE_APPLIED"))
    assert [r.queue for r in routes] == ["status"]
    assert "RULE_APPLIED" in routes[0].reason


def test_a_low_score_opens_a_status_task_even_without_a_provider_request(project):
    snap = snapshot(review_requested=False, overall_score=41.0, status="rejected")
    routes = routes_for(project, snap)
    assert [r.queue for r in routes] == ["status"]
    assert "41" in routes[0].reason and "60" in routes[0].reason


def test_a_good_clean_session_opens_nothing(project):
    assert queues(project, snapshot(review_requested=False, overall_score=91.0)) == []


def test_scores_of_unfinished_sessions_do_not_route(project):
    snap = snapshot(review_requested=False, overall_score=10.0, status="in_progress")
    assert queues(project, snap) == []


def test_failed_antifraud_opens_an_antifraud_task_first_with_its_step(project):
    snap = snapshot(antifraud=antifraud_failed("SelfieFaceAntifraudExecutor", "abc"))
    routes = routes_for(project, snap)
    assert [r.queue for r in routes] == ["antifraud", "status"]
    assert "SelfieFaceAntifraudExecutor" in routes[0].reason and "abc" in routes[0].reason
    assert routes[0].priority == 1


def test_watchlist_hit_opens_one_antifraud_task(project):
    snap = snapshot(watchlist_hit=True, antifraud=antifraud_failed(), review_requested=False)
    assert queues(project, snap) == ["antifraud"]


@pytest.mark.parametrize(
    ("confidence", "expected"),
    [(0.49, []), (0.5, ["poa"]), (0.7, ["poa"]), (0.8499, ["poa"]), (0.85, []), (None, [])],
)
def test_poa_confidence_between_the_thresholds_opens_a_poa_task(project, confidence, expected):
    snap = snapshot(review_requested=False, overall_score=90.0, poa=poa(confidence))
    assert queues(project, snap) == expected


def test_force_manual_review_sends_every_poa_to_a_human(project):
    project.poa_force_manual_review = True
    snap = snapshot(review_requested=False, overall_score=90.0, poa=poa(0.99))
    assert queues(project, snap) == ["poa"]


def test_provider_poa_review_request_opens_a_poa_task(project):
    snap = snapshot(
        review_requested=False, overall_score=90, poa=poa(0.99, manual_review_requested=True)
    )
    assert queues(project, snap) == ["poa"]


def test_poa_disabled_routes_no_poa(project):
    project.poa_enabled = False
    snap = snapshot(review_requested=False, overall_score=90.0, poa=poa(0.7))
    assert queues(project, snap) == []


def test_a_poa_the_provider_already_decided_routes_no_more(project):
    snap = snapshot(review_requested=False, overall_score=90.0, poa=poa(0.7, decided=True))
    assert queues(project, snap) == []
