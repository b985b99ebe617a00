"""Injected faults, generic over any account model with ``FaultInjection``'s fields."""

from __future__ import annotations

import time
from typing import Any, Final

from django.db.models import F

from providers.sandbox_kit.models import DEFAULT_FAULT_STATUS, FaultInjection

MAX_DELAY_MS: Final = 30_000


class _Unset:
    """Marks an argument the caller did not pass (None is a meaningful value)."""


UNSET: Final = _Unset()


def set_faults(
    account: FaultInjection,
    *,
    fail_next: int | None = None,
    down: bool | None = None,
    delay_ms: int | None = None,
    status: int | None = None,
    retry_after: int | _Unset | None = UNSET,
) -> FaultInjection:
    """Change the injected faults; arguments left out keep their current value.

    ``fail_next``: answer ``status`` (503 unless the account's ``FAULT_STATUSES`` allow
    others) to that many of the next requests; ``down``: answer 503 to every request
    until set back to False; ``delay_ms``: wait before answering; ``retry_after``:
    seconds sent as Retry-After with the injected answers (None: no header).
    """
    fields = []
    if fail_next is not None:
        if fail_next < 0:
            raise ValueError("fail_next must be >= 0")
        account.fault_next = fail_next
        fields.append("fault_next")
    if status is not None:
        allowed = account.FAULT_STATUSES
        if status not in allowed or not hasattr(account, "fault_status"):
            if len(allowed) == 2:
                raise ValueError(f"status must be {allowed[0]} or {allowed[1]}")
            raise ValueError(f"status must be one of {', '.join(map(str, allowed))}")
        account.fault_status = status
        fields.append("fault_status")
    if down is not None:
        account.fault_down = down
        fields.append("fault_down")
    if delay_ms is not None:
        if not 0 <= delay_ms <= MAX_DELAY_MS:
            raise ValueError(f"delay_ms must be between 0 and {MAX_DELAY_MS}")
        account.fault_delay_ms = delay_ms
        fields.append("fault_delay_ms")
    if not isinstance(retry_after, _Unset):
        if retry_after is not None and retry_after < 0:
            raise ValueError("retry_after must be >= 0")
        account.fault_retry_after = retry_after
        fields.append("fault_retry_after")
    if fields:
        account.save(update_fields=fields)
    return account


def clear_faults(account: FaultInjection) -> FaultInjection:
    """Back to a healthy provider."""
    status = DEFAULT_FAULT_STATUS if hasattr(account, "fault_status") else None
    return set_faults(account, fail_next=0, down=False, delay_ms=0, status=status, retry_after=None)


def take_fault(account: FaultInjection) -> int | None:
    """The status of the injected fault this request must get (consumes one), or None."""
    accounts = type(account).objects.filter(pk=account.pk)
    if account.fault_down:
        accounts.update(faults_served=F("faults_served") + 1)
        return DEFAULT_FAULT_STATUS
    # One UPDATE decides, so concurrent requests in several processes share the count.
    taken = accounts.filter(fault_next__gt=0).update(
        fault_next=F("fault_next") - 1, faults_served=F("faults_served") + 1
    )
    return account.fault_next_status if taken == 1 else None


def delay(account: FaultInjection | None) -> None:
    """Wait the account's injected delay, if any."""
    if account is not None and account.fault_delay_ms:
        time.sleep(min(account.fault_delay_ms, MAX_DELAY_MS) / 1000)


def faults_dict(account: FaultInjection) -> dict[str, Any]:
    """The ``faults`` object of a control endpoint's account."""
    faults: dict[str, Any] = {
        "fail_next": account.fault_next,
        "down": account.fault_down,
        "delay_ms": account.fault_delay_ms,
    }
    if hasattr(account, "fault_status"):
        faults["status"] = account.fault_status
    faults["retry_after"] = account.fault_retry_after
    faults["served"] = account.faults_served
    return faults
