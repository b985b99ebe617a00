"""KYC API fixtures: stored payloads, a mocked API, sandbox accounts, live connections."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.core.cache import cache
from PIL import Image

from providers.kycapi.adapter import KycapiAdapter
from providers.kycapi.client import KycApiClient
from providers.kycapi.sandbox import services
from tests.factories import ConnectionFactory

FIXTURES = Path(__file__).parent / "fixtures"
CLIENT_ID = "acme-kyc-client"
CLIENT_SECRET = "acme-kyc-secret-0001"
BASE = "/sandbox/kycapi"


def load_payloads(name: str) -> dict[str, Any]:
    """The stored JSON payloads of one scenario (fixtures/<name>.json): session,
    session_tests, document, documents, ida_sessions."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


def tiny_jpeg(colour: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), colour).save(buffer, format="JPEG")
    return buffer.getvalue()


def api_error(status: int, message: str | list[str]) -> httpx.Response:
    return httpx.Response(
        status, json={"statusCode": status, "message": message, "error": "whatever"}
    )


def token_answer(token: str = "tok-1", expires_in: int = 3600) -> httpx.Response:  # noqa: S107
    return httpx.Response(
        200, json={"access_token": token, "token_type": "Bearer", "expires_in": expires_in}
    )


class FakeKycApi:
    """An httpx MockTransport handler answering KYC API reads from stored payloads.

    ``files`` maps storage_file_type_e -> bytes; ``requests`` keeps every request.
    ``overrides`` maps a path to a response (or a callable of the request) that
    replaces the stored answer.
    """

    def __init__(self, payloads: dict[str, Any], files: dict[str, bytes] | None = None):
        self.payloads = payloads
        self.files = files or {}
        self.requests: list[httpx.Request] = []
        self.overrides: dict[str, Any] = {}
        self.webhooks: list[dict[str, Any]] = []

    def bodies(self, path: str) -> list[Any]:
        return [
            json.loads(r.content) for r in self.requests if r.url.path.endswith(path) and r.content
        ]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path.removeprefix("/base")
        if path in self.overrides:
            answer = self.overrides[path]
            return answer(request) if callable(answer) else answer
        if path == "/oauth/token":
            return token_answer()
        body = json.loads(request.content) if request.content else {}
        if path == "/health":
            return httpx.Response(200, json={"status": "ok"})
        if path == "/idv/sessions/read":
            return httpx.Response(200, json=self.payloads["session"])
        if path == "/idv/session-tests/read":
            return httpx.Response(200, json=self.payloads["session_tests"])
        if path == "/idv/documents/read":
            document = self.payloads["document"]
            if document is None:
                return api_error(404, "Document not found")
            return httpx.Response(200, json=document)
        if path == "/idv/documents/list":
            rows = self.payloads["documents"][body["skip"] : body["skip"] + body["take"]]
            total = len(self.payloads["documents"])
            return httpx.Response(200, json={"documents": rows, "meta_counts": {"total": total}})
        if path == "/ida/sessions/list":
            rows = self.payloads["ida_sessions"][body["skip"] : body["skip"] + body["take"]]
            total = len(self.payloads["ida_sessions"])
            return httpx.Response(200, json={"sessions": rows, "meta_counts": {"total": total}})
        if path == "/idv/documents/download":
            content = self.files.get(body["storage_file_type_e"])
            if content is None:
                return api_error(404, f"No {body['storage_file_type_e']} file for this session")
            return httpx.Response(200, content=content, headers={"Content-Type": "image/jpeg"})
        if path == "/webhooks/list":
            return httpx.Response(
                200, json={"webhooks": self.webhooks, "statistics": {"total": len(self.webhooks)}}
            )
        if path in ("/webhooks/create", "/webhooks/delete"):
            return httpx.Response(201 if path.endswith("create") else 200, json={})
        return api_error(404, f"Cannot {request.method} {path}")


@pytest.fixture(autouse=True)
def _fresh_token_cache():
    """Tokens live in Django's cache: no test sees another's."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def connection(db):
    return ConnectionFactory(
        provider="kycapi",
        name="KYC API",
        base_url="http://kycapi.test/base",
        credentials={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
    )


@pytest.fixture
def mocked_adapter(connection) -> Callable[..., tuple[KycapiAdapter, FakeKycApi]]:
    """mocked_adapter(scenario, files=...) -> (adapter, fake): HTTP mocked at the client."""

    def make(scenario: str, files: dict[str, bytes] | None = None):
        fake = FakeKycApi(load_payloads(scenario), files)
        client = KycApiClient.from_connection(
            connection, transport=httpx.MockTransport(fake), sleep=lambda s: None
        )
        return KycapiAdapter(connection, client=client), fake

    return make


@pytest.fixture
def account(db):
    """A sandbox client with the module's credentials."""
    return services.account_get_or_create(CLIENT_ID, CLIENT_SECRET, name="Test bank")


@pytest.fixture
def bearer(account) -> str:
    token, _ = services.token_issue(account)
    return token


@pytest.fixture
def api(client, bearer):
    """api(path, body=None, headers=..., method="POST") against the sandbox's API."""

    def call(
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        method: str = "POST",
        raw: bytes | None = None,
    ):
        sent = {"Authorization": f"Bearer {bearer}", "X-Client-Id": CLIENT_ID}
        if headers is not None:
            sent = headers
        kwargs: dict[str, Any] = {"headers": sent}
        if raw is not None or body is not None:
            kwargs["data"] = raw if raw is not None else json.dumps(body)
            kwargs["content_type"] = "application/json"
        return getattr(client, method.lower())(f"{BASE}{path}", **kwargs)

    return call


@pytest.fixture
def fast_retries(settings):
    settings.PROVIDER_BACKOFF_BASE_SECONDS = 0.001
    settings.PROVIDER_MAX_RETRIES = 3
    return settings


@pytest.fixture
def live_connection(live_server, transactional_db):
    """A sandbox client and a ProviderConnection pointing at it over real HTTP."""
    sandbox_account = services.account_get_or_create(CLIENT_ID, CLIENT_SECRET, name="Live bank")
    conn = ConnectionFactory(
        provider="kycapi",
        name="KYC API",
        base_url=f"{live_server.url}{BASE}",
        credentials={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
    )
    return conn, sandbox_account
