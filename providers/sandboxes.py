"""What the demo and the conformance suite need from each provider's sandbox.

Every provider package has ``sandbox/driver.py`` with ``DRIVER``: a ``SandboxDriver``
that creates sandbox accounts and sessions of named scenarios, pushes webhooks,
injects faults and reports what the sandbox heard. The demo fills every queue
through these drivers and the conformance suite runs the same scenarios against
every provider, so no provider gets a test the others escape.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from providers.models import ProviderConnection

# The scenarios a driver may offer, and the queue each one must feed ("" = none).
SCENARIO_QUEUES: dict[str, str] = {
    "clean": "",  # finished, nothing for a human
    "status_review": "status",  # the provider (or a low score) asks for a human
    "antifraud": "antifraud",  # a fraud/duplicate/watchlist signal
    "poa_review": "poa",  # proof of address with a confidence between the thresholds
}


@dataclass(frozen=True)
class WebhookCall:
    """One HTTP delivery to kycdash's webhook route, as the sandbox would send it."""

    path: str  # absolute path on kycdash, e.g. /webhooks/<id>/ or /webhooks/<id>/<secret>/
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class BadWebhook:
    """A delivery kycdash must refuse with ``status`` without storing anything."""

    label: str
    call: WebhookCall
    status: int


class SandboxDriver(ABC):
    provider: ClassVar[str]  # the adapter's name
    scenarios: ClassVar[frozenset[str]]  # the SCENARIO_QUEUES keys this provider can produce

    @abstractmethod
    def create_account(self, *, key: str) -> dict[str, Any]:
        """Create (or reuse) the sandbox account named by ``key``; return the credentials
        a ProviderConnection needs for it."""

    def connect(self, connection: ProviderConnection) -> None:  # noqa: B027 - optional hook
        """Called once the connection exists with its base URL: point the sandbox's
        notifications at ``connection.webhook_url`` with the connection's secret (or let
        the adapter register its webhook). Providers without webhooks do nothing."""

    @abstractmethod
    def create_session(self, credentials: dict[str, Any], scenario: str, *, seed: int) -> str:
        """A new session of ``scenario`` in the account; return the provider's session id."""

    def push_webhook(self, credentials: dict[str, Any], external_id: str) -> int | None:
        """Make the sandbox deliver its notification for the session to the URL set by
        ``connect``; return the HTTP status kycdash answered (None: the provider sends no
        webhooks). A delivery that fails on the network raises."""
        return None

    def webhook_call(self, connection: ProviderConnection, external_id: str) -> WebhookCall | None:
        """A valid delivery for the session, built exactly as the sandbox signs it
        (None for providers without webhooks)."""
        return None

    def bad_webhooks(self, connection: ProviderConnection, external_id: str) -> list[BadWebhook]:
        """Deliveries that must be refused: bad signature or secret, stale timestamp,
        malformed body… (empty for providers without webhooks)."""
        return []

    @abstractmethod
    def set_faults(
        self, credentials: dict[str, Any], *, down: bool = False, delay_ms: int = 0
    ) -> None:
        """``down=True``: answer 503 to every API call of the account until set back;
        ``delay_ms``: wait that long before answering (to make clients time out)."""

    @abstractmethod
    def applied_writes(self, credentials: dict[str, Any], external_id: str) -> list[dict]:
        """The write calls the sandbox applied for the session, oldest first:
        ``[{"method": ..., "path": ..., "body": ...}]`` (replays and faults excluded)."""


def load_driver(provider: str) -> SandboxDriver:
    return import_module(f"providers.{provider}.sandbox.driver").DRIVER


def all_drivers() -> list[SandboxDriver]:
    from providers.registry import PROVIDER_PACKAGES

    return [load_driver(name) for name in PROVIDER_PACKAGES]
