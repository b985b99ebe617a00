"""Concurrent claim-next: row locks must keep two reviewers off the same task.

Needs PostgreSQL (``SELECT … FOR UPDATE SKIP LOCKED``) and real commits, hence
``transaction=True``; SQLite serializes every writer, so there is nothing to test.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from kycdash.audit.services import audit_record
from reviews.models import ReviewTask
from tests.api.conftest import token_client

REVIEWERS = 6
TASKS = 30


@pytest.mark.django_db(transaction=True)
def test_concurrent_claim_next_never_hands_out_a_task_twice(member, make_task):
    if connection.vendor != "postgresql":
        pytest.skip("row locking with SKIP LOCKED needs PostgreSQL")
    tasks = {make_task().pk for _ in range(TASKS)}
    audit_record(action="test.setup")  # the audit chain head exists before the race
    users = [member() for _ in range(REVIEWERS)]
    clients = [token_client(user) for user in users]
    start = threading.Barrier(REVIEWERS)
    claimed: list[list[int]] = [[] for _ in range(REVIEWERS)]
    failures: list[BaseException] = []

    def work(index: int) -> None:
        try:
            start.wait(timeout=30)
            while True:
                response = clients[index].post(
                    "/api/v1/tasks/claim-next/", {"queue": "status"}, format="json"
                )
                if response.status_code == 204:
                    return
                assert response.status_code == 200, response.content
                claimed[index].append(response.json()["id"])
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(REVIEWERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert not failures, failures

    handed_out = Counter(pk for per_reviewer in claimed for pk in per_reviewer)
    assert [pk for pk, times in handed_out.items() if times > 1] == []
    assert set(handed_out) == tasks
    # the database agrees: every task is claimed by the reviewer who was told it was theirs
    owners = dict(ReviewTask.objects.values_list("pk", "assignee__username"))
    for user, per_reviewer in zip(users, claimed, strict=True):
        for pk in per_reviewer:
            assert owners[pk] == user.username
    assert sum(1 for per_reviewer in claimed if per_reviewer) > 1, "no real race happened"
