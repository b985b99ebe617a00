"""In the browser: an admin connects the Incode sandbox, tests it and syncs it."""

from __future__ import annotations

import re

import pytest

from kycdash.audit.models import AuditEvent
from providers.incode.sandbox import services as sandbox
from providers.models import ProviderConnection
from reviews.models import VerificationSession
from tests.incode_fixtures import ADMIN_TOKEN, API_KEY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_adds_tests_and_syncs_an_incode_connection(
    sign_in, page, live_server, admin_user, incode_account
):
    sandbox.create_interview(incode_account, "manual_review", seed=11, with_images=False)
    sandbox.create_interview(incode_account, "clean", seed=12, with_images=False)
    sandbox.create_interview(incode_account, "low_score", seed=13, with_images=False)

    sign_in(admin_user)
    page.click("#sidenav >> text=Connections")
    page.wait_for_url("**/admin/connections/")
    page.locator(".empty-state", has_text="No provider connected to Acme Bank").wait_for()
    page.click("text=Add connection")
    page.wait_for_url("**/admin/connections/add/**")

    # Choosing the provider swaps in its credential fields (htmx, no Continue step).
    assert page.locator("input[type=password]").count() == 0
    page.select_option("#id_provider", "incode")
    page.locator("#id_cred_api_key").wait_for()
    assert page.locator("#credential-fields input[type=password]").count() == 2
    assert not page.locator("button[name=continue]").is_visible()

    page.fill("#id_name", "Incode sandbox")
    page.fill("#id_base_url", f"{live_server.url}/sandbox/incode")
    page.fill("#id_cred_api_key", API_KEY)
    page.fill("#id_cred_admin_token", ADMIN_TOKEN)
    page.click("#add-submit")
    page.wait_for_url(re.compile(r".*/admin/connections/[0-9a-f-]{36}/$"))
    connection = ProviderConnection.objects.get()
    assert connection.credentials == {"api_key": API_KEY, "admin_token": ADMIN_TOKEN}
    html = page.content()
    assert API_KEY not in html and ADMIN_TOKEN not in html

    page.click("text=Test connection")
    page.locator("#check-result", has_text="accepted").wait_for()
    assert "Incode Omni accepted the credentials" in page.inner_text("#check-result")

    page.click("#sync button[type=submit]")
    page.locator("#sync .badge", has_text=re.compile(r"^Synced$")).wait_for()
    page.locator("#task-msg", has_text="Sync finished: 3 sessions read, 3 new").wait_for()
    bar = page.locator("#sync-bar")
    assert bar.get_attribute("max") == "3" and bar.get_attribute("value") == "3"
    counts = page.inner_text(".sync-counts")
    assert re.search(r"New\s+3", counts), counts
    assert VerificationSession.objects.filter(connection=connection).count() == 3

    # The secret shows on request (audited) and the URL copies.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.click("#webhook button:has-text('Show')")
    page.locator("#webhook-secret").wait_for()
    connection.refresh_from_db()
    assert page.inner_text("#webhook-secret") == connection.webhook_secret
    assert AuditEvent.objects.filter(action="connection.secret_viewed").count() == 1
    page.click("button[data-copy='#webhook-url']")
    page.locator("#task-msg", has_text="Webhook URL copied.").wait_for()

    # Rotating asks for a second click first.
    old = connection.webhook_secret
    page.click("#webhook button:has-text('Rotate secret')")
    page.locator("#flash, #task-msg", has_text="click it again").first.wait_for()
    connection.refresh_from_db()
    assert connection.webhook_secret == old
    page.click("#webhook button:has-text('Rotate secret')")
    page.locator("#webhook", has_text="This is the new secret").wait_for()
    connection.refresh_from_db()
    assert connection.webhook_secret != old
    assert page.inner_text("#webhook-secret") == connection.webhook_secret

    assert page.csp_violations() == []
    assert [e for e in page.errors if "pageerror" in e] == []
