"""Appending to and checking the audit trail."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from kycdash.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent


@transaction.atomic
def audit_record(
    *,
    action: str,
    actor=None,
    project=None,
    obj: models.Model | None = None,
    data: dict[str, Any] | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Append one event. Runs in the caller's transaction, so it lands with the change.

    The chain head row is locked for the rest of the transaction: appends are
    serialized across processes, which is what keeps the chain linear.
    """
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    # Normalize through JSON now so the hash is computed over what the database will return.
    payload = json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder))
    event = AuditEvent(
        seq=head.seq + 1,
        created_at=timezone.now(),
        project=project,
        actor=user,
        actor_label=actor_label or (user.get_username() if user else "system"),
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        data=payload,
        prev_hash=head.last_hash,
    )
    event.hash = event.compute_hash()
    event.save(force_insert=True)
    head.seq = event.seq
    head.last_hash = event.hash
    head.save(update_fields=["seq", "last_hash"])
    return event


def audit_access_denied(request) -> None:
    """A signed-in user asked for something outside their projects (or missing): no PII."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return
    audit_record(
        action="access.denied",
        actor=user,
        data={"path": request.path, "method": request.method},
    )


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    problem: str

    def __str__(self) -> str:
        return f"audit row #{self.seq}: {self.problem}"


def audit_verify(*, batch_size: int = 2000) -> ChainBreak | None:
    """Walk the chain from the first row; return the first break, or None if intact."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    for event in _events_in_order(batch_size):
        if event.seq != expected_seq:
            return ChainBreak(expected_seq, f"missing (the chain jumps to #{event.seq})")
        if event.prev_hash != expected_prev:
            return ChainBreak(event.seq, "previous-hash link does not match the row before")
        if event.compute_hash() != event.hash:
            return ChainBreak(event.seq, "content does not match its hash (row was altered)")
        expected_prev = event.hash
        expected_seq += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head and head.seq != expected_seq - 1:
        return ChainBreak(expected_seq, f"missing (the chain head is at #{head.seq})")
    return None


def _events_in_order(batch_size: int) -> Iterator[AuditEvent]:
    after = 0
    while True:
        batch = list(AuditEvent.objects.filter(seq__gt=after).order_by("seq")[:batch_size])
        if not batch:
            return
        yield from batch
        after = batch[-1].seq
