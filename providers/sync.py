"""Pulling sessions from a provider: list, read, ingest — resumable and idempotent."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import timezone

from kycdash.audit.services import audit_record
from providers.base import Capability, ProviderError
from providers.models import ProviderConnection
from providers.registry import adapter_for
from providers.services import session_import
from reviews.evidence import EvidenceRejected

logger = logging.getLogger(__name__)

Progress = Callable[["SyncReport"], None]


@dataclass
class SyncReport:
    seen: int = 0
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    tasks_opened: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (external id, error)
    error: str = ""  # what stopped the sync, if anything

    def as_dict(self) -> dict:
        return {
            "seen": self.seen,
            "created": self.created,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "tasks_opened": self.tasks_opened,
            "failed": len(self.failed),
            "error": self.error,
        }


def connection_sync(
    *, connection: ProviderConnection, full: bool = False, progress: Progress | None = None
) -> SyncReport:
    """Pull the sessions changed since the last good sync (all of them with ``full``).

    A session the provider refuses, or whose evidence is rejected, is counted
    and skipped; the provider being unreachable stops the sync, which the next
    run resumes from the same point.
    """
    adapter = adapter_for(connection)
    if Capability.SYNC not in adapter.capabilities:
        return SyncReport(
            error=f"{adapter.label} cannot be listed: its sessions arrive by webhook "
            "or by import_session."
        )
    started = timezone.now()
    since = None if full else _last_good_sync_start(connection)
    ProviderConnection.objects.filter(pk=connection.pk).update(
        sync_state=ProviderConnection.SyncState.RUNNING,
        last_sync_started_at=started,
        sync_progress={},
    )
    report = SyncReport()
    try:
        for external_id in adapter.iter_session_ids(since=since):
            report.seen += 1
            try:
                result = session_import(
                    connection=connection, external_id=external_id, source="sync"
                )
            except (EvidenceRejected, ProviderError) as exc:
                if getattr(exc, "retryable", False):
                    raise
                report.failed.append((external_id, str(exc)))
                logger.warning("sync of %s skipped a session: %s", connection.pk, exc)
            else:
                if result.created:
                    report.created += 1
                elif result.changed:
                    report.changed += 1
                else:
                    report.unchanged += 1
                report.tasks_opened += len(result.opened)
            _save_progress(connection, report)
            if progress:
                progress(report)
    except ProviderError as exc:
        report.error = str(exc)
    state = ProviderConnection.SyncState.FAILED if report.error else ProviderConnection.SyncState.OK
    ProviderConnection.objects.filter(pk=connection.pk).update(
        sync_state=state,
        last_sync_finished_at=timezone.now(),
        last_sync_error=report.error,
        sync_progress=report.as_dict(),
    )
    audit_record(
        action="connection.synced",
        project=connection.project,
        obj=connection,
        actor_label=f"{connection.provider}:sync",
        data=report.as_dict() | {"full": full, "since": since},
    )
    return report


def _last_good_sync_start(connection: ProviderConnection):
    connection.refresh_from_db(fields=["sync_state", "last_sync_started_at"])
    if connection.sync_state == ProviderConnection.SyncState.OK:
        return connection.last_sync_started_at
    return None


def _save_progress(connection: ProviderConnection, report: SyncReport) -> None:
    ProviderConnection.objects.filter(pk=connection.pk).update(sync_progress=report.as_dict())
