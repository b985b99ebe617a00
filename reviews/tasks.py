"""Celery tasks of reviews: thin wrappers that own the retry."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from reviews.models import WriteBack
from reviews.writeback import writeback_deliver


@shared_task(bind=True, max_retries=None, acks_late=True)
def deliver_writeback(self, writeback_id: int) -> str:
    result = writeback_deliver(writeback_id=writeback_id)
    if result is None:
        early = WriteBack.objects.filter(
            pk=writeback_id, state=WriteBack.State.PENDING, next_attempt_at__gt=timezone.now()
        ).first()
        if early is not None and not self.request.is_eager:
            raise self.retry(countdown=(early.next_attempt_at - timezone.now()).total_seconds())
        return "not due"
    if result.retry_in is not None and not self.request.is_eager:
        # Eager mode (make run) has no worker to come back later: the beat task or a
        # reviewer's "retry" picks the row up instead.
        raise self.retry(countdown=result.retry_in)
    return result.writeback.state


@shared_task
def deliver_due_writebacks() -> int:
    """Safety net run by beat: queue every pending write-back whose time has come."""
    due = list(WriteBack.objects.due(timezone.now()).values_list("pk", flat=True)[:500])
    for pk in due:
        deliver_writeback.delay(pk)
    return len(due)
