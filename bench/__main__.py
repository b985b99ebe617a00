"""Measure ingest, claim and audit on generated data in a throwaway test database.

Prints one table: each figure with its baseline measured in the same run and the
ratio between them, so numbers from different machines stay comparable.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kycdash.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

SESSIONS = int(os.environ.get("BENCH_SESSIONS", "300"))
TASKS = int(os.environ.get("BENCH_TASKS", "10000"))


def timed(fn: Callable[[], object], repeat: int = 1) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def main() -> int:
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        rows = run()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(f"\nkycdash bench on {connection.vendor} ({test_db})\n")
    print(f"{'figure':<42}{'value':>12}  {'baseline':<34}{'value':>12}{'ratio':>9}")
    print("-" * 111)
    for name, value, baseline_name, baseline, unit in rows:
        ratio = value / baseline if baseline else float("nan")
        print(
            f"{name:<42}{value:>9.2f} {unit:<2}  {baseline_name:<34}{baseline:>9.2f} {unit:<2}"
            f"{ratio:>8.2f}x"
        )
    return 0


def run() -> list[tuple[str, float, str, float, str]]:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from kycdash.accounts.models import Membership, Project, Role
    from kycdash.audit.models import AuditEvent
    from kycdash.audit.services import audit_record, audit_verify
    from providers.models import ProviderConnection
    from reviews.models import ReviewTask, VerificationSession
    from reviews.services import session_ingest, task_claim_next
    from tests.reviews.snapshots import snapshot

    project = Project.objects.create(name="Bench", slug="bench")
    user = get_user_model().objects.create_user("bench-reviewer")
    Membership.objects.create(user=user, project=project, role=Role.REVIEWER)
    conn = ProviderConnection.objects.create(
        project=project, provider="incode", name="bench", base_url="http://127.0.0.1:9"
    )
    rows = []

    snaps = [snapshot(f"bench-{n:06d}", evidence=()) for n in range(SESSIONS)]

    def ingest_all() -> None:
        for snap in snaps:
            session_ingest(connection=conn, snapshot=snap, source="bench")

    new = timed(ingest_all)[0] * 1000 / SESSIONS
    unchanged = timed(ingest_all)[0] * 1000 / SESSIONS
    rows.append(("ingest a new session", new, "ingest it again, unchanged", unchanged, "ms"))

    # A large open queue: claiming the next task must not slow down with its size.
    now = timezone.now()
    sessions = VerificationSession.objects.bulk_create(
        VerificationSession(
            project=project,
            connection=conn,
            external_id=f"q-{n}",
            status="needs_review",
            fingerprint="x",
        )
        for n in range(TASKS)
    )
    ReviewTask.objects.bulk_create(
        ReviewTask(
            session=s,
            queue="poa",
            reason="bench",
            trigger=f"bench:{n}",
            sla_due_at=now + dt.timedelta(minutes=n % 5000),
        )
        for n, s in enumerate(sessions)
    )
    queue = ReviewTask.objects.visible_to(user).in_queue("poa")
    plain = statistics.median(timed(lambda: queue.claimable().by_sla().first(), repeat=50))
    claim = statistics.median(timed(lambda: task_claim_next(user=user, queue="poa"), repeat=50))
    page = statistics.median(
        timed(
            lambda: list(queue.open().by_sla().select_related("session", "assignee")[:50]),
            repeat=20,
        )
    )
    rows.append(
        (f"claim next, {TASKS:,} open", claim * 1000, "read next task, no lock", plain * 1000, "ms")
    )
    rows.append(("queue page, 50 rows", page * 1000, "read next task, no lock", plain * 1000, "ms"))

    appends = 500
    append = timed(
        lambda: [
            audit_record(action="bench", project=project, data={"n": n}) for n in range(appends)
        ]
    )[0]
    rows.append(("append an audit row", append * 1000 / appends, "ingest a new session", new, "ms"))
    total = AuditEvent.objects.count()
    verify = timed(audit_verify)[0]
    rows.append(
        (
            "verify_audit, per row",
            verify * 1e6 / total,
            "append an audit row",
            append * 1e6 / appends,
            "us",
        )
    )
    return rows


if __name__ == "__main__":
    sys.exit(main())
