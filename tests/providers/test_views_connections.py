"""The connection admin pages: who reaches them, adding, settings, secret, sync, disconnect."""

from __future__ import annotations

import json

import pytest
from django.db import connection as db
from django.urls import reverse

from kycdash.accounts.middleware import SESSION_KEY
from kycdash.accounts.models import Role
from kycdash.audit.models import AuditEvent
from providers import registry
from providers.base import Capability, ProviderAdapter
from providers.incode.sandbox import services as sandbox
from providers.models import ProviderConnection, WebhookEvent
from providers.services import connection_update
from reviews.models import VerificationSession
from tests.factories import (
    ConnectionFactory,
    MembershipFactory,
    ProjectFactory,
    SessionFactory,
    UserFactory,
)
from tests.incode_fixtures import ADMIN_TOKEN, API_KEY

HTMX = {"HTTP_HX_REQUEST": "true"}

API_KEY_NEW = "typed-api-key-7f3a9c"
ADMIN_TOKEN_NEW = "typed-admin-token-51be02"


def htmx(target: str) -> dict[str, str]:
    return {**HTMX, "HTTP_HX_TARGET": target}


@pytest.fixture
def as_user(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def conn(project):
    return ConnectionFactory(project=project, provider="incode", name="Incode main")


def add_data(project, **overrides) -> dict[str, str]:
    data = {
        "project": str(project.pk),
        "provider": "incode",
        "name": "Incode EU",
        "base_url": "https://demo-api.incodesmile.com/",
        "cred_api_key": API_KEY_NEW,
        "cred_admin_token": ADMIN_TOKEN_NEW,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def raw_credentials_column() -> list[str]:
    table = ProviderConnection._meta.db_table
    with db.cursor() as cursor:
        cursor.execute(f"SELECT credentials FROM {table}")  # noqa: S608 (a model's table name)
        return [row[0] for row in cursor.fetchall()]


# ---------------------------------------------------------------- who gets in


def _pages(conn) -> list[str]:
    return [
        reverse("connection-list"),
        reverse("connection-add"),
        reverse("connection-add") + "?provider=incode",
        reverse("connection-detail", args=[conn.pk]),
    ]


def _actions(conn) -> list[tuple[str, dict]]:
    pk = [conn.pk]
    return [
        (reverse("connection-create"), add_data(conn.project)),
        (
            reverse("connection-update", args=pk),
            {"name": "Hijacked", "base_url": "https://evil.example", "cred_api_key": "x"},
        ),
        (reverse("connection-test", args=pk), {}),
        (reverse("connection-secret", args=pk), {}),
        (reverse("connection-rotate", args=pk), {"confirm": "yes"}),
        (reverse("connection-register-webhook", args=pk), {}),
        (reverse("connection-sync", args=pk), {}),
        (reverse("connection-disconnect", args=pk), {"confirm": "yes"}),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.REVIEWER, Role.SENIOR_REVIEWER, Role.AUDITOR, None])
def test_only_admins_reach_the_pages_everyone_else_gets_404_and_nothing_changes(
    as_user, member, conn, role
):
    user = member(role) if role else UserFactory()  # None: an outsider
    if role is None:
        MembershipFactory(user=user, role=Role.ADMIN)  # an admin, of another project
    before = (conn.name, conn.base_url, conn.webhook_secret, conn.is_active, conn.credentials)
    client = as_user(user)
    for url in _pages(conn) if role else _pages(conn)[3:]:
        assert client.get(url).status_code == 404, url
        assert client.get(url, **htmx("sync")).status_code == 404, url
    for url, data in _actions(conn)[1:] if role is None else _actions(conn):
        assert client.post(url, data).status_code == 404, url
        assert client.post(url, data, **HTMX).status_code == 404, url
    conn.refresh_from_db()
    assert (conn.name, conn.base_url, conn.webhook_secret, conn.is_active, conn.credentials) == (
        before
    )
    assert ProviderConnection.objects.count() == 1
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert actions <= {"access.denied"}, actions
    assert "access.denied" in actions  # like every other 404 on a foreign object


@pytest.mark.django_db
def test_an_outsiders_list_and_add_page_are_404(as_user, outsider):
    client = as_user(outsider)  # a reviewer elsewhere, admin nowhere
    assert client.get(reverse("connection-list")).status_code == 404
    assert client.get(reverse("connection-add")).status_code == 404
    assert client.post(reverse("connection-create"), {}).status_code == 404


@pytest.mark.django_db
def test_an_admin_of_another_project_cannot_add_to_mine(as_user, member, project):
    other_admin = UserFactory()
    MembershipFactory(user=other_admin, role=Role.ADMIN)
    response = as_user(other_admin).post(reverse("connection-create"), add_data(project))
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert not ProviderConnection.objects.exists()


@pytest.mark.django_db
def test_signed_out_visitors_go_to_sign_in(client, conn):
    for url in _pages(conn):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
    response = client.post(reverse("connection-rotate", args=[conn.pk]), {"confirm": "yes"})
    assert response.status_code == 302
    old = conn.webhook_secret
    conn.refresh_from_db()
    assert conn.webhook_secret == old


@pytest.mark.django_db
def test_admin_in_view_of_a_project_where_they_only_review_gets_404(as_user, member, project):
    user = member(Role.ADMIN)
    elsewhere = ProjectFactory()
    MembershipFactory(user=user, project=elsewhere, role=Role.REVIEWER)
    client = as_user(user)
    session = client.session
    session[SESSION_KEY] = elsewhere.pk
    session.save()
    assert client.get(reverse("connection-list")).status_code == 404
    session[SESSION_KEY] = project.pk
    session.save()
    assert client.get(reverse("connection-list")).status_code == 200


@pytest.mark.django_db
def test_the_nav_shows_connections_to_admins_only(as_user, member, admin_user):
    page = as_user(admin_user).get(reverse("home")).content.decode()
    assert reverse("connection-list") in page and ">Admin<" in page
    page = as_user(member(Role.REVIEWER)).get(reverse("home")).content.decode()
    assert reverse("connection-list") not in page


# ---------------------------------------------------------------- list


class _ListedOnly(ProviderAdapter):
    name = "test_listed_only"
    label = "Listed Only"
    capabilities = frozenset({Capability.SYNC})
    credential_fields = ("token",)


@pytest.fixture
def listed_only(monkeypatch):
    monkeypatch.setitem(registry._adapters, _ListedOnly.name, _ListedOnly)
    return _ListedOnly


@pytest.mark.django_db
def test_list_shows_what_each_connection_is_and_does(as_user, admin_user, conn, listed_only):
    conn.sync_state = "failed"
    conn.last_sync_error = "Incode unavailable (503): try later"
    conn.last_sync_started_at = conn.last_sync_finished_at = conn.created_at
    conn.save()
    other = ConnectionFactory(
        project=conn.project, provider=listed_only.name, name="Side door", is_active=False
    )
    html = as_user(admin_user).get(reverse("connection-list")).content.decode()
    assert "Incode main" in html and "Incode Omni" in html and conn.base_url in html
    assert "Failed" in html and "Incode unavailable (503): try later" in html
    assert 'title="' in html and "UTC" in html  # the exact time on hover
    assert "Webhook · sync" in html and "Status changes, Antifraud" in html
    assert reverse("connection-detail", args=[other.pk]) in html
    assert "Disconnected" in html and "Never synced" in html
    assert "none — decisions stay in kycdash" in html


@pytest.mark.django_db
def test_without_a_project_in_view_the_list_groups_every_managed_project(as_user, member, conn):
    user = member(Role.ADMIN)
    second = ProjectFactory(name="Zeta Pay")
    MembershipFactory(user=user, project=second, role=Role.ADMIN)
    ConnectionFactory(project=second, name="Zeta Incode")
    foreign = ConnectionFactory(name="Not mine")
    html = as_user(user).get(reverse("connection-list")).content.decode()
    assert "Acme Bank" in html and "Zeta Pay" in html
    assert "Incode main" in html and "Zeta Incode" in html
    assert "Not mine" not in html and str(foreign.pk) not in html
    assert f"{reverse('connection-add')}?project={second.pk}" in html


@pytest.mark.django_db
def test_a_superuser_sees_every_project(as_user, conn):
    root = UserFactory(is_superuser=True, is_staff=True)
    foreign = ConnectionFactory(name="Elsewhere")
    html = as_user(root).get(reverse("connection-list")).content.decode()
    assert "Incode main" in html and "Elsewhere" in html
    assert as_user(root).get(reverse("connection-detail", args=[foreign.pk])).status_code == 200


# ---------------------------------------------------------------- add


@pytest.mark.django_db
def test_admin_adds_an_incode_connection_credentials_stored_encrypted(as_user, admin_user, project):
    client = as_user(admin_user)
    response = client.post(reverse("connection-create"), add_data(project))
    created = ProviderConnection.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("connection-detail", args=[created.pk])
    assert created.provider == "incode" and created.name == "Incode EU"
    assert created.base_url == "https://demo-api.incodesmile.com"
    assert created.credentials == {"api_key": API_KEY_NEW, "admin_token": ADMIN_TOKEN_NEW}
    (raw,) = raw_credentials_column()
    assert raw.startswith("gAAAA") and API_KEY_NEW not in raw and ADMIN_TOKEN_NEW not in raw
    event = AuditEvent.objects.get(action="connection.created")
    assert event.actor == admin_user and API_KEY_NEW not in json.dumps(event.data)
    landing = client.get(response["Location"]).content.decode()
    assert "Incode EU added" in landing  # the flash message after the redirect

    for url in [
        reverse("connection-list"),
        reverse("connection-add"),
        reverse("connection-add") + "?provider=incode",
        reverse("connection-detail", args=[created.pk]),
    ]:
        html = client.get(url).content.decode()
        assert API_KEY_NEW not in html and ADMIN_TOKEN_NEW not in html, url


@pytest.mark.django_db
def test_htmx_create_redirects_the_browser_to_the_new_page(as_user, admin_user, project):
    response = as_user(admin_user).post(reverse("connection-create"), add_data(project), **HTMX)
    created = ProviderConnection.objects.get()
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("connection-detail", args=[created.pk])


@pytest.mark.django_db
def test_the_provider_select_swaps_in_its_credential_fields(as_user, admin_user, project):
    client = as_user(admin_user)
    page = client.get(reverse("connection-add")).content.decode()
    assert "Choose a provider to see the credentials it needs" in page
    assert 'type="password"' not in page
    assert 'hx-get="/admin/connections/add/"' in page and 'hx-target="#credential-fields"' in page
    fragment = client.get(
        reverse("connection-add"), {"provider": "incode"}, **htmx("credential-fields")
    ).content.decode()
    assert fragment.lstrip().startswith('<fieldset id="credential-fields"')
    assert "<html" not in fragment
    assert fragment.count('type="password"') == 2
    assert 'name="cred_api_key"' in fragment and 'name="cred_admin_token"' in fragment
    assert "API key" in fragment and "Admin token" in fragment
    assert 'autocomplete="new-password"' in fragment


@pytest.mark.django_db
def test_without_javascript_continue_shows_the_fields_and_stores_nothing(
    as_user, admin_user, project
):
    data = add_data(project, cred_api_key=None, cred_admin_token=None)
    response = as_user(admin_user).post(reverse("connection-create"), {**data, "continue": "1"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="cred_api_key"' in html and 'name="cred_admin_token"' in html
    assert 'value="Incode EU"' in html  # what was typed so far stays
    assert not ProviderConnection.objects.exists()
    assert not AuditEvent.objects.filter(action="connection.created").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"cred_admin_token": ""}, "credentials lack admin_token"),
        ({"cred_api_key": "", "cred_admin_token": ""}, "credentials lack api_key, admin_token"),
        ({"cred_password": "hunter2"}, "credentials have unknown keys: password"),
        ({"base_url": "ftp://files.example.com"}, "base URL must start with http"),
        ({"provider": "nosuchprovider"}, "Select a valid choice"),
        ({"base_url": ""}, "This field is required"),
    ],
)
def test_bad_input_shows_the_error_and_stores_nothing(
    as_user, admin_user, project, overrides, words
):
    client = as_user(admin_user)
    for headers in ({}, HTMX):
        response = client.post(
            reverse("connection-create"), add_data(project, **overrides), **headers
        )
        html = response.content.decode()
        assert response.status_code == 422
        assert words in html
        assert API_KEY_NEW not in html and ADMIN_TOKEN_NEW not in html  # never echoed
    assert not ProviderConnection.objects.exists()
    assert not AuditEvent.objects.filter(action="connection.created").exists()


# ---------------------------------------------------------------- settings


@pytest.mark.django_db
def test_settings_keep_blank_credentials_and_replace_typed_ones(as_user, admin_user, conn):
    client = as_user(admin_user)
    url = reverse("connection-update", args=[conn.pk])
    response = client.post(
        url,
        {"name": "Incode renamed", "base_url": conn.base_url, "cred_admin_token": "fresh-t0ken"},
        **htmx("settings"),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Settings saved." in html and "fresh-t0ken" not in html and "sandbox-key" not in html
    assert '<div id="conn-head"' in html and "Incode renamed" in html  # the head follows
    conn.refresh_from_db()
    assert conn.name == "Incode renamed"
    assert conn.credentials == {"api_key": "sandbox-key", "admin_token": "fresh-t0ken"}
    assert AuditEvent.objects.get(action="connection.updated").data == {
        "fields": ["name", "base_url", "credentials"]
    }


@pytest.mark.django_db
def test_bad_settings_show_the_services_words_and_change_nothing(as_user, admin_user, conn):
    client = as_user(admin_user)
    url = reverse("connection-update", args=[conn.pk])
    for headers in ({}, htmx("settings")):
        response = client.post(
            url,
            {"name": "X", "base_url": "ftp://nope", "cred_api_key": "should-not-stick"},
            **headers,
        )
        html = response.content.decode()
        assert response.status_code == 422
        assert "base URL must start with http" in html and "should-not-stick" not in html
    conn.refresh_from_db()
    assert conn.name == "Incode main" and conn.credentials["api_key"] == "sandbox-key"
    assert not AuditEvent.objects.filter(action="connection.updated").exists()


@pytest.mark.django_db
def test_the_detail_page_never_shows_credentials_or_the_secret(as_user, admin_user, conn):
    html = as_user(admin_user).get(reverse("connection-detail", args=[conn.pk])).content.decode()
    assert "sandbox-key" not in html and "sandbox-admin-token" not in html
    assert conn.webhook_secret not in html
    assert "leave blank to keep" in html
    assert conn.webhook_url in html


@pytest.mark.django_db
def test_flonk_connections_get_the_legacy_signature_option(as_user, admin_user, project, conn):
    flonk = ConnectionFactory(project=project, provider="flonk", credentials={}, options={})
    client = as_user(admin_user)
    assert (
        "accept_legacy_signature"
        not in client.get(reverse("connection-detail", args=[conn.pk])).content.decode()
    )
    html = client.get(reverse("connection-detail", args=[flonk.pk])).content.decode()
    assert 'name="option_accept_legacy_signature"' in html
    url = reverse("connection-update", args=[flonk.pk])
    data = {"name": flonk.name, "base_url": flonk.base_url}
    client.post(url, {**data, "option_accept_legacy_signature": "on"})
    flonk.refresh_from_db()
    assert flonk.options == {"accept_legacy_signature": True}
    client.post(url, data)
    flonk.refresh_from_db()
    assert flonk.options == {"accept_legacy_signature": False}


# ---------------------------------------------------------------- webhook secret


@pytest.mark.django_db
def test_revealing_the_secret_is_audited_each_time(as_user, admin_user, conn):
    client = as_user(admin_user)
    url = reverse("connection-secret", args=[conn.pk])
    fragment = client.post(url, **htmx("webhook")).content.decode()
    assert conn.webhook_secret in fragment and "<html" not in fragment
    response = client.post(url)  # without JavaScript: the page, secret shown, not cached
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert conn.webhook_secret in page and "<html" in page
    events = AuditEvent.objects.filter(action="connection.secret_viewed")
    assert events.count() == 2
    event = events.first()
    assert event.actor == admin_user and event.project == conn.project
    assert event.object_id == str(conn.pk) and conn.webhook_secret not in json.dumps(event.data)
    # "Hide" asks for the panel again, secret hidden; that is not a reveal.
    hidden = client.get(
        reverse("connection-detail", args=[conn.pk]), **htmx("webhook")
    ).content.decode()
    assert conn.webhook_secret not in hidden and "Show" in hidden
    assert events.count() == 2


@pytest.mark.django_db
def test_a_get_cannot_reveal_or_rotate(as_user, admin_user, conn):
    client = as_user(admin_user)
    assert client.get(reverse("connection-secret", args=[conn.pk])).status_code == 405
    assert client.get(reverse("connection-rotate", args=[conn.pk])).status_code == 405
    assert not AuditEvent.objects.filter(action="connection.secret_viewed").exists()


@pytest.mark.django_db
def test_rotate_asks_first_then_the_old_secret_stops_working(as_user, admin_user, conn):
    client = as_user(admin_user)
    old = conn.webhook_secret
    url = reverse("connection-rotate", args=[conn.pk])
    confirm = client.post(url).content.decode()  # no confirm: the confirmation step
    assert "Rotate the webhook secret?" in confirm and 'name="confirm" value="yes"' in confirm
    conn.refresh_from_db()
    assert conn.webhook_secret == old

    response = client.post(url, {"confirm": "yes"}, **htmx("webhook"))
    conn.refresh_from_db()
    assert conn.webhook_secret != old
    html = response.content.decode()
    assert conn.webhook_secret in html and "This is the new secret" in html
    assert old not in html
    assert AuditEvent.objects.filter(action="connection.secret_rotated").count() == 1

    body = json.dumps({"eventId": "e-1", "interviewId": "abc123"})
    webhook = reverse("webhook", kwargs={"connection_id": conn.pk})
    refused = client.post(webhook, body, content_type="application/json", HTTP_X_WEBHOOK_SECRET=old)
    assert refused.status_code == 401
    taken = client.post(
        webhook, body, content_type="application/json", HTTP_X_WEBHOOK_SECRET=conn.webhook_secret
    )
    assert taken.status_code == 200


@pytest.mark.django_db
def test_incode_takes_no_webhook_registration(as_user, admin_user, conn):
    client = as_user(admin_user)
    html = client.get(reverse("connection-detail", args=[conn.pk])).content.decode()
    assert "Register webhook" not in html
    response = client.post(
        reverse("connection-register-webhook", args=[conn.pk]), **htmx("webhook")
    )
    assert response.status_code == 422
    assert "Incode Omni takes no webhook registration." in response.content.decode()


# ---------------------------------------------------------------- disconnect


@pytest.mark.django_db
def test_disconnect_asks_first_then_deactivates_and_keeps_sessions(as_user, admin_user, conn):
    session = SessionFactory(connection=conn)
    client = as_user(admin_user)
    url = reverse("connection-disconnect", args=[conn.pk])
    confirm = client.post(url).content.decode()
    assert "Disconnect Incode main?" in confirm
    conn.refresh_from_db()
    assert conn.is_active

    response = client.post(url, {"confirm": "yes"}, **HTMX)
    assert response["HX-Redirect"] == reverse("connection-detail", args=[conn.pk])
    conn.refresh_from_db()
    assert not conn.is_active
    assert VerificationSession.objects.filter(pk=session.pk).exists()
    assert AuditEvent.objects.filter(action="connection.disconnected").count() == 1
    html = client.get(reverse("connection-detail", args=[conn.pk])).content.decode()
    assert "Disconnected" in html and "Sync now" not in html
    sync = client.post(reverse("connection-sync", args=[conn.pk]), **htmx("sync"))
    assert sync.status_code == 422 and "disconnected" in sync.content.decode()


# ---------------------------------------------------------------- sync panel and events


@pytest.mark.django_db
def test_the_sync_panel_polls_while_running_and_stops_when_done(as_user, admin_user, conn):
    client = as_user(admin_user)
    url = reverse("connection-detail", args=[conn.pk])
    conn.sync_state = "running"
    conn.sync_progress = {"seen": 7, "created": 3, "changed": 1, "unchanged": 2, "failed": 0}
    conn.last_sync_started_at = conn.created_at
    conn.save()
    running = client.get(url, **htmx("sync")).content.decode()
    assert running.lstrip().startswith('<section id="sync"')
    assert 'hx-trigger="every 1s"' in running and "<progress" in running
    assert "Syncing" in running and "disabled" in running

    conn.sync_state = "ok"
    conn.last_sync_finished_at = conn.created_at
    conn.sync_progress = {**conn.sync_progress, "unchanged": 3, "tasks_opened": 2}
    conn.save()
    done = client.get(url, **htmx("sync")).content.decode()
    assert "every 1s" not in done
    assert 'max="7" value="7"' in done and "Synced" in done


@pytest.mark.django_db
def test_a_queued_sync_is_waited_for(as_user, admin_user, conn, django_capture_on_commit_callbacks):
    client = as_user(admin_user)
    # No worker: the task is queued on commit and never runs here.
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("connection-sync", args=[conn.pk]), **htmx("sync"))
    html = response.content.decode()
    assert "Queued" in html and 'hx-trigger="every 1s"' in html and "?since=" in html
    assert "Sync started." in html


@pytest.mark.django_db
def test_recent_webhook_events_last_20_newest_first(as_user, admin_user, conn):
    for n in range(25):
        WebhookEvent.objects.create(
            connection=conn,
            event_id=f"evt-{n:02d}",
            event_type="onboarding_status",
            external_id=f"iv-{n}",
            payload={},
            state="failed" if n == 24 else "processed",
            error="Incode refused (404): interview not found" if n == 24 else "",
        )
    html = as_user(admin_user).get(reverse("connection-detail", args=[conn.pk])).content.decode()
    assert html.count('title="evt-') == 20
    assert "evt-04" not in html and "evt-05" in html
    assert html.index("evt-24") < html.index("evt-23")
    assert "Incode refused (404): interview not found" in html


# ---------------------------------------------------------------- against the sandbox


@pytest.mark.django_db(transaction=True)
def test_test_connection_against_the_sandbox(as_user, admin_user, incode):
    client = as_user(admin_user)
    url = reverse("connection-test", args=[incode.pk])
    ok = client.post(url, **htmx("check-result")).content.decode()
    assert "Connection works: Incode Omni accepted the credentials." in ok
    assert "msg--ok" in ok and "<html" not in ok

    wrong = {"api_key": "bad-key-9921", "admin_token": "bad-token-9921"}
    connection_update(connection=incode, credentials=wrong)
    bad = client.post(url, **htmx("check-result")).content.decode()
    assert "Connection does not work" in bad and "403" in bad and "Incode" in bad
    assert "msg--error" in bad and "9921" not in bad
    # without JavaScript: the same words as a flash message on the page
    response = client.post(url, follow=True)
    assert "Connection does not work" in response.content.decode()
    assert AuditEvent.objects.filter(action="connection.tested").count() == 3


@pytest.mark.django_db(transaction=True)
def test_sync_now_against_the_sandbox_fills_sessions_and_shows_counts(
    as_user, admin_user, incode, incode_account
):
    sandbox.create_interview(incode_account, "manual_review", seed=3, with_images=False)
    sandbox.create_interview(incode_account, "clean", seed=4, with_images=False)
    client = as_user(admin_user)
    response = client.post(reverse("connection-sync", args=[incode.pk]), **htmx("sync"))
    html = response.content.decode()
    incode.refresh_from_db()
    assert incode.sync_state == "ok", incode.last_sync_error
    assert VerificationSession.objects.filter(connection=incode).count() == 2
    assert "Sync finished: 2 sessions read, 2 new" in html
    assert 'max="2" value="2"' in html and "every 1s" not in html
    assert "<dt>New</dt><dd>2</dd>" in html
    assert AuditEvent.objects.filter(action="connection.sync_requested").count() == 1

    # The nav counts come along: the sync opened tasks.
    assert '<nav id="sidenav"' in html and 'hx-swap-oob="true"' in html

    # The list shows the sync too; no page shows the credentials.
    listing = client.get(reverse("connection-list")).content.decode()
    assert "Synced" in listing
    detail = client.get(reverse("connection-detail", args=[incode.pk])).content.decode()
    for page in (html, listing, detail):
        assert API_KEY not in page and ADMIN_TOKEN not in page
