"""Delivering the write-back outbox to providers.

A delivery takes a short lease on the row (so two workers never send the same
row at once), calls the adapter outside any transaction, then records the
attempt. The idempotency key is the same on every attempt, so a provider that
heard a request whose answer was lost does not apply it twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kycdash.audit.services import audit_record
from providers.base import ProviderError, WriteBackRequest
from providers.registry import adapter_for
from reviews.models import WriteBack, WriteBackAttempt

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryResult:
    writeback: WriteBack
    retry_in: float | None  # seconds until the next attempt, when one is due


def backoff_seconds(attempt: int) -> float:
    """Full-jitter exponential backoff: uniform in [0, min(cap, base * 2**attempt)]."""
    ceiling = min(
        settings.WRITEBACK_BACKOFF_CAP_SECONDS,
        settings.WRITEBACK_BACKOFF_BASE_SECONDS * 2 ** max(attempt - 1, 0),
    )
    return random.uniform(0, ceiling)


def writeback_deliver(*, writeback_id: int) -> DeliveryResult | None:
    """Try to deliver one pending write-back; None when it is not due or someone else has it."""
    started = timezone.now()
    with transaction.atomic():
        writeback = (
            WriteBack.objects.due(started)
            .select_for_update(skip_locked=True)
            .filter(pk=writeback_id)
            .first()
        )
        if writeback is None:
            return None
        writeback.attempts += 1
        writeback.leased_until = started + dt.timedelta(seconds=settings.WRITEBACK_LEASE_SECONDS)
        writeback.save(update_fields=["attempts", "leased_until"])

    decision = writeback.decision
    session = decision.task.session
    adapter = adapter_for(session.connection)
    request = WriteBackRequest(**writeback.payload)
    status_code, response, error, retryable = None, {}, "", False
    try:
        result = adapter.write_decision(request)
        status_code, response = result.status_code, dict(result.response)
    except ProviderError as exc:
        status_code, error, retryable = exc.status_code, str(exc), exc.retryable
    except Exception as exc:  # a bug or an unexpected answer: keep the row, try again later
        logger.exception("write-back %s failed unexpectedly", writeback.pk)
        error, retryable = f"unexpected error: {type(exc).__name__}", True
    finished = timezone.now()

    with transaction.atomic():
        writeback = WriteBack.objects.select_for_update().get(pk=writeback.pk)
        WriteBackAttempt.objects.create(
            writeback=writeback,
            number=writeback.attempts,
            started_at=started,
            finished_at=finished,
            status_code=status_code,
            ok=not error,
            response=response,
            error=error,
        )
        retry_in = None
        writeback.leased_until = None
        writeback.last_status_code = status_code
        writeback.last_error = error
        if not error:
            writeback.state = WriteBack.State.SENT
            writeback.sent_at = finished
        elif retryable and writeback.attempts < settings.WRITEBACK_MAX_ATTEMPTS:
            retry_in = backoff_seconds(writeback.attempts)
            writeback.next_attempt_at = finished + dt.timedelta(seconds=retry_in)
        else:
            writeback.state = WriteBack.State.FAILED
            if retryable:
                writeback.last_error = f"gave up after {writeback.attempts} attempts: {error}"
        writeback.save()
        audit_record(
            action="writeback.attempted",
            project=session.project,
            obj=writeback,
            actor_label=f"{session.connection.provider}:outbox",
            data={
                "attempt": writeback.attempts,
                "status_code": status_code,
                "state": writeback.state,
                "error": writeback.last_error,
            },
        )
    return DeliveryResult(writeback, retry_in)
