"""The management commands a script drives, against the Incode sandbox over HTTP."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kycdash.accounts.models import Membership, Project
from providers.incode.sandbox import services as sandbox
from providers.models import ProviderConnection
from reviews.models import ReviewTask, VerificationSession

pytestmark = pytest.mark.django_db(transaction=True)


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_create_project_and_member():
    assert "created" in run("create_project", "globex", "--name", "Globex")
    out = run("create_member", "carol", "--project", "globex", "--role", "auditor")
    assert "password:" in out and "Auditor in globex" in out
    membership = Membership.objects.get(user__username="carol")
    assert membership.project == Project.objects.get(slug="globex")
    with pytest.raises(CommandError, match="exists already"):
        run("create_project", "globex")
    with pytest.raises(CommandError, match="No project"):
        run("create_member", "dave", "--project", "nope", "--role", "reviewer")


def test_add_connection_prints_id_webhook_url_and_secret(project):
    out = run(
        "add_connection",
        "--project",
        project.slug,
        "--provider",
        "incode",
        "--base-url",
        "https://demo-api.example.com/",
        "--credentials",
        json.dumps({"api_key": "k", "admin_token": "t"}),
    )
    connection = ProviderConnection.objects.get()
    assert str(connection.pk) in out
    assert f"/webhooks/{connection.pk}/" in out
    assert connection.webhook_secret in out
    assert connection.base_url == "https://demo-api.example.com"
    assert connection.credentials == {"api_key": "k", "admin_token": "t"}


def test_credentials_are_encrypted_at_rest(project):
    from django.db import connection as db

    run(
        "add_connection", "--project", project.slug, "--provider", "incode",
        "--base-url", "https://x.example.com", "--credentials",
        json.dumps({"api_key": "very-secret-key", "admin_token": "very-secret-token"}),
    )  # fmt: skip
    with db.cursor() as cursor:
        cursor.execute("SELECT credentials FROM providers_providerconnection")
        (stored,) = cursor.fetchone()
    assert "very-secret" not in stored


@pytest.mark.parametrize(
    ("credentials", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"api_key": "k"}', "lack admin_token"),
        ('{"api_key": "k", "admin_token": "t", "extra": 1}', "unknown keys: extra"),
        ('["k"]', "JSON object"),
    ],
)
def test_add_connection_refuses_bad_credentials(project, credentials, message):
    with pytest.raises(CommandError, match=message):
        run(
            "add_connection", "--project", project.slug, "--provider", "incode",
            "--base-url", "https://x.example.com", "--credentials", credentials,
        )  # fmt: skip
    assert not ProviderConnection.objects.exists()


def test_import_session_routes_it(incode, incode_account):
    interview = sandbox.create_interview(incode_account, "antifraud_failed", seed=5)
    out = run("import_session", str(incode.pk), interview.id)
    assert "created" in out and "antifraud task" in out
    assert ReviewTask.objects.filter(session__external_id=interview.id, queue="antifraud").exists()
    assert "unchanged" in run("import_session", str(incode.pk), interview.id)


def test_import_of_an_unknown_session_is_a_clear_error(incode):
    with pytest.raises(CommandError, match="404"):
        run("import_session", str(incode.pk), "000000000000000000000000")
    with pytest.raises(CommandError, match="No connection"):
        run("import_session", "not-a-uuid", "x")


def test_sync_pulls_everything_once_and_is_idempotent(incode, incode_account):
    for n, scenario in enumerate(["clean", "manual_review", "poa_review", "low_score"]):
        sandbox.create_interview(incode_account, scenario, seed=n, with_images=False)

    out = run("sync_connection", str(incode.pk))
    assert "4 seen" in out and "4 new" in out
    assert VerificationSession.objects.count() == 4
    tasks = ReviewTask.objects.count()
    assert tasks >= 3

    again = run("sync_connection", str(incode.pk), "--full")
    assert "4 unchanged" in again
    assert ReviewTask.objects.count() == tasks
    incode.refresh_from_db()
    assert incode.sync_state == "ok" and incode.sync_progress["seen"] == 4


def test_sync_stops_clearly_when_the_provider_is_down(incode, incode_account):
    sandbox.create_interview(incode_account, "clean", seed=1, with_images=False)
    sandbox.account_set_faults(incode_account, down=True)
    with pytest.raises(CommandError, match="unavailable"):
        run("sync_connection", str(incode.pk))
    incode.refresh_from_db()
    assert incode.sync_state == "failed" and "503" in incode.last_sync_error
    assert not VerificationSession.objects.exists()

    sandbox.account_clear_faults(incode_account)
    run("sync_connection", str(incode.pk))
    assert VerificationSession.objects.count() == 1


def test_the_beat_task_syncs_every_active_connection(incode, incode_account):
    from providers.tasks import sync_all_connections

    sandbox.create_interview(incode_account, "manual_review", seed=3, with_images=False)
    assert sync_all_connections() == 1
    assert VerificationSession.objects.count() == 1


def test_sync_of_a_provider_that_cannot_be_listed_says_so(project):
    from tests.factories import ConnectionFactory

    connection = ConnectionFactory(project=project, provider="finwave", credentials={})
    with pytest.raises(CommandError, match="cannot be listed"):
        run("sync_connection", str(connection.pk))
    connection.refresh_from_db()
    assert connection.sync_state == "never"
