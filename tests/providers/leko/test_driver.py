"""The LE-KO sandbox driver: what the demo and the conformance suite call."""

from __future__ import annotations

import pytest

from providers.leko.sandbox import services
from providers.leko.sandbox.driver import DRIVER
from providers.leko.sandbox.models import Account, Verification
from providers.sandboxes import SandboxDriver, load_driver
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


def test_the_driver_is_found_and_declares_its_scenarios():
    assert load_driver("leko") is DRIVER
    assert isinstance(DRIVER, SandboxDriver)
    assert DRIVER.provider == "leko"
    assert DRIVER.scenarios == {"clean", "status_review"}


def test_create_account_reuses_the_account_and_its_admin():
    first = DRIVER.create_account(key="drv")
    second = DRIVER.create_account(key="drv")
    assert set(first) == {"token", "user_id"}
    assert first["user_id"] == second["user_id"]
    assert Account.objects.filter(key="drv").count() == 1


@pytest.mark.parametrize(
    ("scenario", "status"), [("clean", "approved"), ("status_review", "admin_review_required")]
)
def test_create_session_makes_the_scenarios_verification(scenario, status):
    credentials = DRIVER.create_account(key="drv")
    external_id = DRIVER.create_session(credentials, scenario, seed=1)
    verification = Verification.objects.get(pk=external_id)
    assert verification.status == status
    assert set(verification.file_keys) == {"avatar", "passport"}


def test_leko_sends_no_webhooks():
    credentials = DRIVER.create_account(key="drv")
    connection = ConnectionFactory(provider="leko", credentials=credentials)
    external_id = DRIVER.create_session(credentials, "clean", seed=1)
    DRIVER.connect(connection)  # nothing to point anywhere
    assert DRIVER.push_webhook(credentials, external_id) is None
    assert DRIVER.webhook_call(connection, external_id) is None
    assert DRIVER.bad_webhooks(connection, external_id) == []


def test_set_faults_and_applied_writes():
    credentials = DRIVER.create_account(key="drv")
    account = Account.objects.get(key="drv")
    DRIVER.set_faults(credentials, down=True, delay_ms=20)
    account.refresh_from_db()
    assert (account.fault_down, account.fault_delay_ms) == (True, 20)
    DRIVER.set_faults(credentials)
    account.refresh_from_db()
    assert (account.fault_down, account.fault_delay_ms) == (False, 0)

    external_id = DRIVER.create_session(credentials, "status_review", seed=2)
    assert DRIVER.applied_writes(credentials, external_id) == []
    verification = Verification.objects.get(pk=external_id)
    services.verification_admin_decide(verification, {"approved": True})  # not through HTTP
    assert DRIVER.applied_writes(credentials, external_id) == []  # only calls it heard count
