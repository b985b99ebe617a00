"""The Flonk sandbox, driven by the demo and the conformance suite."""

from __future__ import annotations

import math
import re
import time
from typing import TYPE_CHECKING, Any

from providers.flonk.sandbox import services as sandbox
from providers.flonk.sandbox.models import Account
from providers.sandboxes import BadWebhook, SandboxDriver, WebhookCall

if TYPE_CHECKING:
    from providers.models import ProviderConnection

SCENARIOS = {
    "clean": "clean",
    "status_review": "manual_review",
    "antifraud": "duplicate",
    "poa_review": "poa_review",
}
TOLERANCE_SECONDS = 300


class FlonkDriver(SandboxDriver):
    provider = "flonk"
    scenarios = frozenset(SCENARIOS)

    def create_account(self, *, key: str) -> dict[str, Any]:
        slug = re.sub(r"[^0-9A-Za-z]+", "_", key).strip("_") or "account"
        account = sandbox.account_get_or_create(f"sk_test_{slug}", name=key)
        return {"secret_key": account.secret_key}

    def _account(self, credentials: dict[str, Any]) -> Account:
        return Account.objects.get(secret_key=credentials["secret_key"])

    def connect(self, connection: ProviderConnection) -> None:
        sandbox.account_configure_webhook(
            self._account(connection.credentials),
            connection.webhook_url,
            connection.webhook_secret,
        )

    def create_session(self, credentials: dict[str, Any], scenario: str, *, seed: int) -> str:
        # A duplicate points at an earlier session of the same person; the sandbox makes
        # one first when the account has none.
        return sandbox.create_session(self._account(credentials), SCENARIOS[scenario], seed=seed).id

    def push_webhook(self, credentials: dict[str, Any], external_id: str) -> int | None:
        session = self._account(credentials).sessions.get(id=external_id)
        delivery = sandbox.send_event(session, "verification.completed")
        if delivery.response_status is None:
            raise RuntimeError(f"the webhook was not delivered: {delivery.error}")
        return delivery.response_status

    def _event_body(self, connection: ProviderConnection, external_id: str) -> bytes:
        session = self._account(connection.credentials).sessions.get(id=external_id)
        event = sandbox.build_event(
            session, "verification.completed", event_id=f"evt_conformance_{external_id}"
        )
        return sandbox.encode_event(event)

    def webhook_call(self, connection: ProviderConnection, external_id: str) -> WebhookCall:
        body = self._event_body(connection, external_id)
        headers = {
            "Content-Type": "application/json",
            **sandbox.signature_headers(connection.webhook_secret, body, scheme="timestamp"),
        }
        return WebhookCall(connection.webhook_path, headers, body)

    def bad_webhooks(self, connection: ProviderConnection, external_id: str) -> list[BadWebhook]:
        secret, path = connection.webhook_secret, connection.webhook_path
        body = self._event_body(connection, external_id)
        now = time.time()

        def signed(payload: bytes, *, at: int, key: str = secret) -> dict[str, str]:
            return sandbox.signature_headers(key, payload, scheme="timestamp", timestamp=at)

        def legacy(payload: bytes) -> dict[str, str]:
            return sandbox.signature_headers(secret, payload, scheme="legacy")

        malformed = b'{"id": "evt_broken", "type": "verification.completed", "data": '
        no_id = b'{"type": "verification.completed"}'
        cases = [
            # A margin past the 300 s tolerance, so a slow machine cannot bring it back
            # inside before it arrives; the exact edge is unit-tested with a fixed clock.
            BadWebhook(
                "timestamp 330 s in the future",
                WebhookCall(path, signed(body, at=math.ceil(now) + 330), body),
                401,
            ),
            BadWebhook(
                "timestamp 301 s old",
                WebhookCall(path, signed(body, at=math.floor(now) - 301), body),
                401,
            ),
            BadWebhook(
                "wrong signature",
                WebhookCall(path, signed(body, at=int(now), key="not-the-secret"), body),
                401,
            ),
            BadWebhook(
                "signature of another body",
                WebhookCall(path, signed(body + b" ", at=int(now)), body),
                401,
            ),
            BadWebhook("no signature", WebhookCall(path, {}, body), 401),
            BadWebhook(
                "malformed JSON with a valid signature",
                WebhookCall(path, signed(malformed, at=int(now)), malformed),
                400,
            ),
            BadWebhook(
                "an event without an id, validly signed",
                WebhookCall(path, signed(no_id, at=int(now)), no_id),
                400,
            ),
        ]
        if not (connection.options or {}).get("accept_legacy_signature"):
            cases.append(
                BadWebhook(
                    "legacy signature on a connection that does not accept it",
                    WebhookCall(path, legacy(body), body),
                    401,
                )
            )
        return cases

    def set_faults(
        self, credentials: dict[str, Any], *, down: bool = False, delay_ms: int = 0
    ) -> None:
        sandbox.account_set_faults(self._account(credentials), down=down, delay_ms=delay_ms)

    def applied_writes(self, credentials: dict[str, Any], external_id: str) -> list[dict]:
        calls = sandbox.received_calls(
            account=self._account(credentials), session_id=external_id, outcome="applied"
        ).order_by("received_at", "id")
        return [{"method": c.method, "path": c.path, "body": c.body} for c in calls]


DRIVER = FlonkDriver()
