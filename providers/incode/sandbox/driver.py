"""The Incode sandbox, driven by the demo and the conformance suite."""

from __future__ import annotations

import json
from typing import Any

from providers.incode.sandbox import services as sandbox
from providers.incode.sandbox.models import Account
from providers.sandboxes import BadWebhook, SandboxDriver, WebhookCall

SCENARIOS = {
    "clean": "clean",
    "status_review": "manual_review",
    "antifraud": "antifraud_failed",
    "poa_review": "poa_review",
}


class IncodeDriver(SandboxDriver):
    provider = "incode"
    scenarios = frozenset(SCENARIOS)

    def create_account(self, *, key: str) -> dict[str, Any]:
        account = sandbox.account_get_or_create(f"{key}-api-key", f"{key}-admin-token", name=key)
        return {"api_key": account.api_key, "admin_token": account.admin_token}

    def _account(self, credentials: dict[str, Any]) -> Account:
        return Account.objects.get(api_key=credentials["api_key"])

    def connect(self, connection) -> None:
        sandbox.account_configure_webhook(
            self._account(connection.credentials),
            connection.webhook_url,
            connection.webhook_secret,
        )

    def create_session(self, credentials: dict[str, Any], scenario: str, *, seed: int) -> str:
        account = self._account(credentials)
        if scenario == "antifraud" and not account.interviews.exists():
            # Incode's antifraud finding points at an earlier interview of the same face.
            sandbox.create_interview(account, "clean", seed=seed + 10_000)
        return sandbox.create_interview(account, SCENARIOS[scenario], seed=seed).id

    def push_webhook(self, credentials: dict[str, Any], external_id: str) -> int | None:
        interview = self._account(credentials).interviews.get(id=external_id)
        notification = sandbox.notify_status_changed(interview)
        if notification.response_status is None:
            raise RuntimeError(f"the notification was not delivered: {notification.error}")
        return notification.response_status

    def webhook_call(self, connection, external_id: str) -> WebhookCall:
        body = json.dumps(
            {
                "eventId": f"evt-{external_id}",
                "interviewId": external_id,
                "onboardingStatus": "ONBOARDING_FINISHED",
                "timestamp": 1_700_000_000_000,
            }
        ).encode()
        return WebhookCall(
            connection.webhook_path, {"X-Webhook-Secret": connection.webhook_secret}, body
        )

    def bad_webhooks(self, connection, external_id: str) -> list[BadWebhook]:
        good = self.webhook_call(connection, external_id)
        path, secret = good.path, {"X-Webhook-Secret": connection.webhook_secret}
        return [
            BadWebhook(
                "wrong secret", WebhookCall(path, {"X-Webhook-Secret": "nope"}, good.body), 401
            ),
            BadWebhook("no secret", WebhookCall(path, {}, good.body), 401),
            BadWebhook("malformed JSON", WebhookCall(path, secret, b"{not json"), 400),
            BadWebhook("no interviewId", WebhookCall(path, secret, b'{"eventId": "x"}'), 400),
        ]

    def set_faults(
        self, credentials: dict[str, Any], *, down: bool = False, delay_ms: int = 0
    ) -> None:
        sandbox.account_set_faults(self._account(credentials), down=down, delay_ms=delay_ms)

    def applied_writes(self, credentials: dict[str, Any], external_id: str) -> list[dict]:
        calls = sandbox.received_calls(
            account=self._account(credentials), interview_id=external_id, outcome="applied"
        ).order_by("received_at", "id")
        return [{"method": c.method, "path": c.path, "body": c.body} for c in calls]


DRIVER = IncodeDriver()
