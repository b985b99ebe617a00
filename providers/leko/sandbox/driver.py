"""The LE-KO sandbox, driven by the demo and the conformance suite.

LE-KO sends no webhooks, so ``push_webhook``, ``webhook_call`` and ``bad_webhooks``
keep the base class's None / None / []: kycdash polls.
"""

from __future__ import annotations

from typing import Any

from providers.leko.sandbox import services as sandbox
from providers.leko.sandbox.models import Account, Member
from providers.sandboxes import SandboxDriver

# kycdash scenario -> the sandbox's scenario
SCENARIOS = {
    "clean": "clean",
    "status_review": "admin_review",
}


class LekoDriver(SandboxDriver):
    provider = "leko"
    scenarios = frozenset(SCENARIOS)

    def create_account(self, *, key: str) -> dict[str, Any]:
        account = sandbox.account_get_or_create(key, name=key)
        return sandbox.credentials_for(account)

    def _account(self, credentials: dict[str, Any]) -> Account:
        return Member.objects.select_related("account").get(user_id=credentials["user_id"]).account

    def create_session(self, credentials: dict[str, Any], scenario: str, *, seed: int) -> str:
        verification = sandbox.create_verification(
            self._account(credentials), SCENARIOS[scenario], seed=seed
        )
        return str(verification.id)

    def set_faults(
        self, credentials: dict[str, Any], *, down: bool = False, delay_ms: int = 0
    ) -> None:
        sandbox.account_set_faults(self._account(credentials), down=down, delay_ms=delay_ms)

    def applied_writes(self, credentials: dict[str, Any], external_id: str) -> list[dict]:
        calls = sandbox.received_calls(
            account=self._account(credentials), verification_id=external_id, outcome="applied"
        ).order_by("received_at", "id")
        return [{"method": c.method, "path": c.path, "body": c.body} for c in calls]


DRIVER = LekoDriver()
