"""The KYC API sandbox, driven by the demo and the conformance suite."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from providers.kycapi.sandbox import services as sandbox
from providers.kycapi.sandbox.models import Account
from providers.sandboxes import BadWebhook, SandboxDriver, WebhookCall

if TYPE_CHECKING:
    from providers.models import ProviderConnection

# kycdash's common scenarios -> the sandbox's own (KYC API has no proof of address);
# antifraud alternates by seed between a tampered document and an OFAC hit
SCENARIOS = {
    "clean": ("clean",),
    "status_review": ("dmv_mismatch",),
    "antifraud": ("document_fraud", "ofac_hit"),
}
SECRET_HEADER = sandbox.WEBHOOK_SECRET_HEADER


class KycapiDriver(SandboxDriver):
    provider = "kycapi"
    scenarios = frozenset(SCENARIOS)

    def create_account(self, *, key: str) -> dict[str, Any]:
        account = sandbox.account_get_or_create(f"{key}-client", f"{key}-secret", name=key)
        return {"client_id": account.client_id, "client_secret": account.client_secret}

    def _account(self, credentials: dict[str, Any]) -> Account:
        return Account.objects.get(client_id=credentials["client_id"])

    def connect(self, connection: ProviderConnection) -> None:
        # Through the adapter, over HTTP: exactly what "register webhook" does in kycdash.
        connection.adapter.register_webhook(connection.webhook_url)

    def create_session(self, credentials: dict[str, Any], scenario: str, *, seed: int) -> str:
        choices = SCENARIOS[scenario]
        own = choices[seed % len(choices)]
        return sandbox.create_session(self._account(credentials), own, seed=seed).id

    def push_webhook(self, credentials: dict[str, Any], external_id: str) -> int | None:
        session = sandbox.sessions_of(self._account(credentials)).get(id=external_id)
        notifications = sandbox.notify(session)
        if not notifications:
            raise RuntimeError("no webhook is registered for the account")
        first = notifications[0]
        if first.response_status is None:
            raise RuntimeError(f"the delivery failed: {first.error}")
        return first.response_status

    def _body(self, external_id: str, **changes: Any) -> bytes:
        payload = {
            "event_id": f"evt-{external_id}",
            "event_type": sandbox.SESSION_EVENT,
            "created_at": "2025-03-01T12:00:00.000Z",
            "session_id": external_id,
            "identity_id": "00000000-0000-4000-8000-000000000000",
            "status_e": "complete",
        }
        payload.update(changes)
        return json.dumps({k: v for k, v in payload.items() if v is not None}).encode()

    def webhook_call(self, connection: ProviderConnection, external_id: str) -> WebhookCall:
        return WebhookCall(
            connection.webhook_path,
            {SECRET_HEADER: connection.webhook_secret, "User-Agent": sandbox.WEBHOOK_USER_AGENT},
            self._body(external_id),
        )

    def bad_webhooks(self, connection: ProviderConnection, external_id: str) -> list[BadWebhook]:
        path, body = connection.webhook_path, self._body(external_id)
        secret = {SECRET_HEADER: connection.webhook_secret}
        return [
            BadWebhook("wrong secret", WebhookCall(path, {SECRET_HEADER: "nope"}, body), 401),
            BadWebhook("no secret", WebhookCall(path, {}, body), 401),
            BadWebhook(
                "secret in another header",
                WebhookCall(path, {"X-Signature": connection.webhook_secret}, body),
                401,
            ),
            BadWebhook("malformed JSON", WebhookCall(path, secret, b"{not json"), 400),
            BadWebhook("not an object", WebhookCall(path, secret, b'["session"]'), 400),
            BadWebhook(
                "no event_type",
                WebhookCall(path, secret, self._body(external_id, event_type=None)),
                400,
            ),
            BadWebhook(
                "no session_id",
                WebhookCall(path, secret, self._body(external_id, session_id=None)),
                400,
            ),
            BadWebhook(
                "session_id not a string",
                WebhookCall(path, secret, self._body(external_id, session_id=42)),
                400,
            ),
        ]

    def set_faults(
        self, credentials: dict[str, Any], *, down: bool = False, delay_ms: int = 0
    ) -> None:
        sandbox.account_set_faults(self._account(credentials), down=down, delay_ms=delay_ms)

    def applied_writes(self, credentials: dict[str, Any], external_id: str) -> list[dict]:
        calls = sandbox.received_calls(
            account=self._account(credentials), session_id=external_id, outcome="applied"
        ).order_by("received_at", "id")
        return [{"method": c.method, "path": c.path, "body": c.body} for c in calls]


DRIVER = KycapiDriver()
