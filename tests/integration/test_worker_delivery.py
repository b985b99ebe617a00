"""A real Celery worker on the broker (Redis in CI) delivers write-backs, exactly once."""

from __future__ import annotations

import os
import time

import pytest
from celery.contrib.testing.worker import start_worker

from kycdash.celery import app as celery_app
from providers.incode.sandbox import services as sandbox
from providers.services import session_import
from reviews.models import WriteBack
from reviews.services import decision_record

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("CELERY_BROKER_URL"),
        reason="needs a broker: set CELERY_BROKER_URL (CI uses Redis)",
    ),
]


@pytest.fixture
def worker(settings):
    settings.WRITEBACK_BACKOFF_BASE_SECONDS = 0.2
    settings.WRITEBACK_BACKOFF_CAP_SECONDS = 1.0
    celery_app.conf.task_always_eager = False
    with start_worker(celery_app, pool="threads", concurrency=2, perform_ping_check=False):
        yield


def wait_for(condition, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_worker_delivers_a_write_back(worker, incode, incode_account, reviewer):
    interview = sandbox.create_interview(incode_account, "manual_review", seed=11)
    task = session_import(connection=incode, external_id=interview.id).opened[0]

    decision = decision_record(
        task=task, reviewer=reviewer, outcome="reject", reason="fake_document"
    )

    wait_for(lambda: WriteBack.objects.filter(decision=decision, state="sent").exists())
    calls = sandbox.received_calls(interview_id=interview.id, path="/omni/manual-review")
    assert [(c.outcome, c.body["manualReviewStatus"]) for c in calls] == [("applied", "REJECTED")]


def test_provider_down_keeps_the_write_back_until_it_recovers(
    worker, incode, incode_account, reviewer
):
    interview = sandbox.create_interview(incode_account, "manual_review", seed=12)
    task = session_import(connection=incode, external_id=interview.id).opened[0]
    sandbox.account_set_faults(incode_account, down=True)

    decision = decision_record(task=task, reviewer=reviewer, outcome="approve")

    writeback = wait_for(
        lambda: WriteBack.objects.filter(decision=decision, attempts__gte=2).first()
    )
    assert writeback.state == "pending"
    assert writeback.last_status_code == 503
    assert not sandbox.received_calls(
        interview_id=interview.id, path="/omni/manual-review", outcome="applied"
    ).exists()

    sandbox.account_clear_faults(incode_account)

    writeback = wait_for(lambda: WriteBack.objects.filter(decision=decision, state="sent").first())
    attempts = list(writeback.attempt_log.order_by("number"))
    assert [a.ok for a in attempts][-1] is True
    assert all(a.status_code == 503 for a in attempts[:-1])
    applied = sandbox.received_calls(
        interview_id=interview.id, path="/omni/manual-review", outcome="applied"
    )
    assert applied.count() == 1
    # Nothing is sent again once delivered.
    time.sleep(1.5)
    assert applied.count() == 1
