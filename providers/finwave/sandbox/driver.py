"""The Finwave sandbox, driven by the demo and the conformance suite.

Finwave's result carries no antifraud, watchlist or proof-of-address signal, so the
driver offers ``clean`` and ``status_review`` only; a status review is, by the seed, an
expired document (failed validations), a low score or an OCR errorEvent.
"""

from __future__ import annotations

from typing import Any

from providers.finwave.sandbox import services as sandbox
from providers.finwave.sandbox.models import Account
from providers.sandboxes import BadWebhook, SandboxDriver, WebhookCall

SCENARIOS = {
    "clean": ("clean",),
    "status_review": ("failed_validations", "low_score", "ocr_error"),
}
JSON = {"Content-Type": "application/json"}


def webhook_url(connection) -> str:
    """What a Finwave customer passes as ``webhook``: kycdash's URL with the secret in it."""
    return f"{connection.webhook_url}{connection.webhook_secret}/"


class FinwaveDriver(SandboxDriver):
    provider = "finwave"
    scenarios = frozenset(SCENARIOS)

    def create_account(self, *, key: str) -> dict[str, Any]:
        account = sandbox.account_get_or_create(f"{key}-client-token", name=key)
        return {"client_token": account.client_token}

    def _account(self, credentials: dict[str, Any]) -> Account:
        return Account.objects.get(client_token=credentials["client_token"])

    def connect(self, connection) -> None:
        # Finwave takes the webhook with each onboarding; the sandbox gives every one it
        # creates for this client the URL a customer of kycdash would pass.
        sandbox.account_configure_webhook(
            self._account(connection.credentials), webhook_url(connection)
        )

    def create_session(self, credentials: dict[str, Any], scenario: str, *, seed: int) -> str:
        variants = SCENARIOS[scenario]
        chosen = variants[seed % len(variants)]
        return sandbox.onboarding_create(self._account(credentials), chosen, seed=seed).id

    def push_webhook(self, credentials: dict[str, Any], external_id: str) -> int | None:
        onboarding = self._account(credentials).onboardings.get(id=external_id)
        notification = sandbox.notify(onboarding)
        if notification.response_status is None:
            raise RuntimeError(f"the webhook was not delivered: {notification.error}")
        return notification.response_status

    def webhook_call(self, connection, external_id: str) -> WebhookCall:
        onboarding = self._account(connection.credentials).onboardings.get(id=external_id)
        path = f"{connection.webhook_path}{connection.webhook_secret}/"
        return WebhookCall(path, dict(JSON), sandbox.notification_body(onboarding))

    def bad_webhooks(self, connection, external_id: str) -> list[BadWebhook]:
        good = self.webhook_call(connection, external_id)
        wrong = f"{connection.webhook_path}not-the-secret/"
        return [
            BadWebhook("wrong URL secret", WebhookCall(wrong, dict(JSON), good.body), 401),
            BadWebhook(
                "no URL secret", WebhookCall(connection.webhook_path, dict(JSON), good.body), 401
            ),
            BadWebhook("malformed JSON", WebhookCall(good.path, dict(JSON), b"{not json"), 400),
            BadWebhook(
                "no onboardingId",
                WebhookCall(good.path, dict(JSON), b'{"customId": "x", "result": "FINISHED"}'),
                400,
            ),
        ]

    def set_faults(
        self, credentials: dict[str, Any], *, down: bool = False, delay_ms: int = 0
    ) -> None:
        sandbox.account_set_faults(self._account(credentials), down=down, delay_ms=delay_ms)

    def applied_writes(self, credentials: dict[str, Any], external_id: str) -> list[dict]:
        # Finwave takes no decision; the creation of the onboarding is not a write-back.
        calls = (
            sandbox.received_calls(
                account=self._account(credentials), onboarding_id=external_id, outcome="applied"
            )
            .exclude(path="/integrations")
            .order_by("received_at", "id")
        )
        return [{"method": c.method, "path": c.path, "body": c.body} for c in calls]


DRIVER = FinwaveDriver()
