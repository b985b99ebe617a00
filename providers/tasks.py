"""Celery tasks of providers: webhook processing and periodic sync."""

from __future__ import annotations

from celery import shared_task

from providers.base import ProviderError
from providers.models import ProviderConnection
from providers.services import webhook_failed, webhook_process
from providers.sync import connection_sync
from reviews.evidence import EvidenceRejected


@shared_task(bind=True, max_retries=8, acks_late=True)
def process_webhook_event(self, event_id: int) -> str:
    try:
        return webhook_process(event_id=event_id).state
    except ProviderError as exc:
        if exc.retryable and not self.request.is_eager and self.request.retries < self.max_retries:
            raise self.retry(countdown=min(600, 10 * 2**self.request.retries)) from exc
        webhook_failed(event_id=event_id, error=str(exc))
        return "failed"
    except EvidenceRejected as exc:
        webhook_failed(event_id=event_id, error=str(exc))
        return "failed"


@shared_task
def sync_connection(connection_id: str, full: bool = False) -> dict:
    connection = ProviderConnection.objects.get(pk=connection_id, is_active=True)
    return connection_sync(connection=connection, full=full).as_dict()


@shared_task
def sync_all_connections() -> int:
    """Beat: queue a sync of every active connection whose provider can be listed."""
    count = 0
    for connection in ProviderConnection.objects.filter(is_active=True):
        if "sync" in connection.adapter.capabilities:
            sync_connection.delay(str(connection.pk))
            count += 1
    return count
