"""The same scenarios against every registered provider, over real HTTP to its sandbox.

A provider passes when kycdash can ingest its sessions (twice, changing nothing the
second time) with their evidence, route them into each queue the provider can
feed, write decisions back where the provider has an endpoint (and say "not
supported" plainly where it has none), survive the provider being down or slow
without losing anything, show the provider's 4xx as a clear error, refuse bad
webhooks, and store one event for a thousand concurrent duplicate deliveries.
"""

from __future__ import annotations

import io
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone
from PIL import Image

from providers.base import ProviderError, ProviderUnavailable
from providers.models import WebhookEvent
from providers.registry import PROVIDER_PACKAGES, adapter_for
from providers.sandboxes import SCENARIO_QUEUES, load_driver
from providers.services import connection_create, session_import
from reviews.models import ReviewTask, VerificationSession, WriteBack
from reviews.services import decision_record
from reviews.writeback import writeback_deliver

pytestmark = pytest.mark.django_db(transaction=True)

# An outcome per queue that every provider's write-back (if any) must accept.
OUTCOMES = {
    "status": ("approve", "verified"),
    "poa": ("approve", "verified"),
    "antifraud": ("resolve_false_positive", "same_person_new_session"),
}


@pytest.fixture(params=PROVIDER_PACKAGES)
def driver(request):
    return load_driver(request.param)


@pytest.fixture
def connection(driver, live_server, project, settings):
    settings.SITE_URL = live_server.url  # the sandboxes' notifications come back here
    credentials = driver.create_account(key=f"conformance-{driver.provider}")
    connection = connection_create(
        project=project,
        provider=driver.provider,
        base_url=f"{live_server.url}/sandbox/{driver.provider}",
        credentials=credentials,
    )
    driver.connect(connection)
    return connection


def scenario_or_skip(driver, scenario: str) -> None:
    if scenario not in driver.scenarios:
        pytest.skip(f"{driver.provider} cannot produce a session of the {scenario} scenario")


def queue_with_write_back(driver, connection) -> str | None:
    adapter = adapter_for(connection)
    for scenario in sorted(driver.scenarios):
        queue = SCENARIO_QUEUES[scenario]
        if queue and adapter.supports_write_back(queue):
            return scenario
    return None


def imported(driver, connection, scenario: str, seed: int = 1):
    external_id = driver.create_session(connection.credentials, scenario, seed=seed)
    return external_id, session_import(connection=connection, external_id=external_id)


def test_the_driver_knows_the_common_scenarios(driver):
    assert driver.scenarios <= set(SCENARIO_QUEUES)
    assert "clean" in driver.scenarios
    assert driver.scenarios - {"clean"}, "a provider must feed at least one queue"


def test_ingest_twice_changes_nothing_the_second_time(driver, connection):
    for seed, scenario in enumerate(sorted(driver.scenarios)):
        external_id, first = imported(driver, connection, scenario, seed=seed)
        assert first.created and first.session.external_id == external_id
        tasks = ReviewTask.objects.count()

        again = session_import(connection=connection, external_id=external_id)

        assert not again.created and not again.changed and again.opened == []
        assert ReviewTask.objects.count() == tasks
    assert VerificationSession.objects.count() == len(driver.scenarios)


def test_evidence_is_stored_sniffed_and_thumbnailed(driver, connection):
    scenario = next(
        s for s in ("status_review", "antifraud", "poa_review", "clean") if s in driver.scenarios
    )
    _, result = imported(driver, connection, scenario)
    evidence = list(result.session.evidence.all())
    assert evidence, f"{driver.provider}: no evidence stored"
    for item in evidence:
        with default_storage.open(item.file.name) as stored:
            content = stored.read()
        assert len(content) == item.size and len(item.sha256) == 64
        if item.is_image:
            with Image.open(io.BytesIO(content)) as image:
                assert image.size == (item.width, item.height)
            assert default_storage.exists(item.thumbnail.name)


@pytest.mark.parametrize("scenario", sorted(SCENARIO_QUEUES))
def test_each_scenario_feeds_its_queue(driver, connection, scenario):
    scenario_or_skip(driver, scenario)
    _, result = imported(driver, connection, scenario)
    queues = {task.queue for task in result.opened}
    expected = SCENARIO_QUEUES[scenario]
    if expected:
        assert expected in queues, f"{driver.provider} {scenario} opened {queues or 'nothing'}"
    else:
        assert queues == set(), f"{driver.provider} clean session opened {queues}"


@pytest.mark.parametrize("scenario", ["status_review", "antifraud", "poa_review"])
def test_decisions_are_written_back_or_plainly_not_supported(
    driver, connection, reviewer, scenario
):
    scenario_or_skip(driver, scenario)
    queue = SCENARIO_QUEUES[scenario]
    external_id, result = imported(driver, connection, scenario)
    task = next(t for t in result.opened if t.queue == queue)
    outcome, reason = OUTCOMES[queue]

    decision_record(task=task, reviewer=reviewer, outcome=outcome, reason=reason, note="ok")

    writeback = WriteBack.objects.get(decision__task=task)
    writes = driver.applied_writes(connection.credentials, external_id)
    if adapter_for(connection).supports_write_back(queue):
        assert writeback.state == "sent", writeback.last_error
        assert len(writes) >= 1
    else:
        assert writeback.state == "not_supported"
        assert writes == []


def test_provider_down_during_import_loses_nothing(driver, connection):
    external_id = driver.create_session(connection.credentials, "clean", seed=3)
    driver.set_faults(connection.credentials, down=True)

    with pytest.raises(ProviderUnavailable) as error:
        session_import(connection=connection, external_id=external_id)

    assert error.value.status_code == 503
    assert not VerificationSession.objects.exists()
    driver.set_faults(connection.credentials, down=False)
    assert session_import(connection=connection, external_id=external_id).created


def test_a_slow_provider_times_out_and_is_retried_later(driver, connection, settings):
    external_id = driver.create_session(connection.credentials, "clean", seed=4)
    settings.PROVIDER_TIMEOUT_SECONDS = 0.3
    settings.PROVIDER_MAX_RETRIES = 1
    driver.set_faults(connection.credentials, delay_ms=1000)

    with pytest.raises(ProviderUnavailable):
        session_import(connection=connection, external_id=external_id)

    # Let the abandoned requests finish in the server before the database is torn down.
    time.sleep(1.1)
    assert not VerificationSession.objects.exists()
    driver.set_faults(connection.credentials, delay_ms=0)
    settings.PROVIDER_TIMEOUT_SECONDS = 5
    assert session_import(connection=connection, external_id=external_id).created


def test_provider_down_keeps_the_write_back_until_it_recovers(driver, connection, reviewer):
    scenario = queue_with_write_back(driver, connection)
    if scenario is None:
        pytest.skip(f"{driver.provider} takes no decisions back")
    queue = SCENARIO_QUEUES[scenario]
    external_id, result = imported(driver, connection, scenario, seed=5)
    task = next(t for t in result.opened if t.queue == queue)
    driver.set_faults(connection.credentials, down=True)

    outcome, reason = OUTCOMES[queue]
    decision_record(task=task, reviewer=reviewer, outcome=outcome, reason=reason)

    writeback = WriteBack.objects.get(decision__task=task)
    assert writeback.state == "pending" and writeback.last_status_code == 503
    assert driver.applied_writes(connection.credentials, external_id) == []

    driver.set_faults(connection.credentials, down=False)
    WriteBack.objects.filter(pk=writeback.pk).update(next_attempt_at=timezone.now())
    delivered = writeback_deliver(writeback_id=writeback.pk)

    assert delivered is not None and delivered.writeback.state == "sent"
    assert len(driver.applied_writes(connection.credentials, external_id)) >= 1
    assert writeback_deliver(writeback_id=writeback.pk) is None  # nothing sent twice


def test_a_provider_4xx_is_a_clear_error(driver, connection):
    with pytest.raises(ProviderError) as error:
        session_import(connection=connection, external_id="no-such-session-000000000000")
    assert not error.value.retryable
    assert error.value.status_code is not None and 400 <= error.value.status_code < 500
    assert error.value.message
    assert not VerificationSession.objects.exists()


def test_the_sandbox_webhook_ingests_the_session(driver, connection):
    external_id = driver.create_session(connection.credentials, "clean", seed=6)
    status = driver.push_webhook(connection.credentials, external_id)
    if status is None:
        pytest.skip(f"{driver.provider} sends no webhooks")
    assert status == 200
    assert WebhookEvent.objects.filter(connection=connection).count() == 1
    assert VerificationSession.objects.filter(external_id=external_id).exists()


def test_bad_webhooks_are_refused_and_store_nothing(driver, connection):
    external_id = driver.create_session(connection.credentials, "clean", seed=7)
    bad = driver.bad_webhooks(connection, external_id)
    if not bad:
        pytest.skip(f"{driver.provider} sends no webhooks")
    client = Client()
    for case in bad:
        headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in case.call.headers.items()}
        response = client.post(
            case.call.path, data=case.call.body, content_type="application/json", **headers
        )
        assert response.status_code == case.status, f"{driver.provider}: {case.label}"
    assert not WebhookEvent.objects.exists()
    assert not VerificationSession.objects.exists()


def test_a_thousand_concurrent_duplicate_deliveries_store_one_event(
    driver, connection, live_server
):
    external_id = driver.create_session(connection.credentials, "clean", seed=8)
    call = driver.webhook_call(connection, external_id)
    if call is None:
        pytest.skip(f"{driver.provider} sends no webhooks")

    with httpx.Client(base_url=live_server.url, timeout=60) as http:

        def deliver(_: int) -> int:
            return http.post(call.path, content=call.body, headers=call.headers).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(deliver, range(1000)))

    assert set(statuses) == {200}
    assert WebhookEvent.objects.filter(connection=connection).count() == 1
