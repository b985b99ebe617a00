"""A reviewer decides a status task from each provider in the browser; where the provider
has an endpoint, its sandbox confirms it heard the decision."""

from __future__ import annotations

import pytest

from providers.registry import PROVIDER_PACKAGES, adapter_for
from providers.sandboxes import load_driver
from providers.services import connection_create, session_import
from reviews.models import WriteBack

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("provider", PROVIDER_PACKAGES)
def test_a_reviewer_decides_a_task_from_each_provider(
    provider, sign_in, page, reviewer, project, live_server, settings
):
    settings.SITE_URL = live_server.url
    driver = load_driver(provider)
    credentials = driver.create_account(key=f"browser-{provider}")
    connection = connection_create(
        project=project,
        provider=provider,
        base_url=f"{live_server.url}/sandbox/{provider}",
        credentials=credentials,
    )
    driver.connect(connection)
    external_id = driver.create_session(credentials, "status_review", seed=31)
    task = next(
        t
        for t in session_import(connection=connection, external_id=external_id).opened
        if t.queue == "status"
    )

    sign_in(reviewer)
    page.goto(f"/tasks/{task.pk}/")
    assert adapter_for(connection).label in page.locator("main").inner_text()
    page.select_option("#decide-reason", "verified")
    page.click("button[name=outcome][value=approve]")
    page.locator("#task-msg", has_text="Approved.").wait_for()

    writeback = WriteBack.objects.get(decision__task=task)
    badge = page.locator("#task-panel .writeback .badge").first
    if adapter_for(connection).supports_write_back("status"):
        badge.filter(has_text="Sent").wait_for()
        assert writeback.state == "sent"
        writes = driver.applied_writes(credentials, external_id)
        assert writes, f"{provider}: the sandbox heard nothing"
        page.goto(f"/sandbox/{provider}/")
        assert writes[0]["path"].split("?")[0] in page.locator("body").inner_text()
    else:
        badge.filter(has_text="Not supported").wait_for()
        assert writeback.state == "not_supported"
        assert driver.applied_writes(credentials, external_id) == []
    assert page.csp_violations() == []
