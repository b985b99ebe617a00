"""Fixtures for tests that talk to the Incode sandbox over real HTTP (live server).

Loaded for the whole suite by tests/conftest.py (pytest_plugins)."""

from __future__ import annotations

import httpx
import pytest
from rest_framework.authtoken.models import Token

from providers.incode.sandbox import services as sandbox
from providers.services import connection_create

API_KEY = "it-api-key"
ADMIN_TOKEN = "it-admin-token"


@pytest.fixture
def incode_account(transactional_db):
    return sandbox.account_get_or_create(API_KEY, ADMIN_TOKEN, name="integration")


@pytest.fixture
def incode(live_server, project, incode_account):
    """A connection of ``project`` to the sandbox, with the sandbox's webhook pointed back."""
    connection = connection_create(
        project=project,
        provider="incode",
        base_url=f"{live_server.url}/sandbox/incode",
        credentials={"api_key": API_KEY, "admin_token": ADMIN_TOKEN},
    )
    sandbox.account_configure_webhook(
        incode_account, f"{live_server.url}{connection.webhook_path}", connection.webhook_secret
    )
    return connection


@pytest.fixture
def api(live_server):
    """api(user) -> an httpx client for the REST API, authenticated with the user's token."""
    clients = []

    def make(user) -> httpx.Client:
        token, _ = Token.objects.get_or_create(user=user)
        client = httpx.Client(
            base_url=f"{live_server.url}/api/v1",
            headers={"Authorization": f"Token {token.key}"},
            timeout=30,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
