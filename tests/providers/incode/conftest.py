"""Incode fixtures: stored payloads, a mocked Omni API, sandbox accounts, live connections."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from providers.incode.adapter import IncodeAdapter
from providers.incode.client import IncodeClient
from providers.incode.sandbox import services
from tests.factories import ConnectionFactory

FIXTURES = Path(__file__).parent / "fixtures"
API_KEY = "sandbox-api-key-0001"
ADMIN_TOKEN = "sandbox-admin-token-0001"


def load_payloads(name: str) -> dict[str, Any]:
    """The four stored JSON payloads of one scenario (fixtures/<name>.json)."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


def tiny_png(colour: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), colour).save(buffer, format="PNG")
    return buffer.getvalue()


class FakeOmni:
    """An httpx MockTransport handler answering the Omni reads from stored payloads.

    ``requests`` keeps every request; ``images`` maps image type -> bytes.
    """

    def __init__(self, payloads: dict[str, Any], images: dict[str, bytes] | None = None):
        self.payloads = payloads
        self.images = images or {}
        self.requests: list[httpx.Request] = []
        self.writes: list[tuple[str, str, dict[str, str], Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path.removeprefix("/base")
        routes = {
            "/omni/get/onboarding/status": "onboarding_status",
            "/omni/get/score": "score",
            "/omni/get/ocr-data": "ocr_data",
            "/omni/process/antifraud": "antifraud",
        }
        if request.method == "GET" and path in routes:
            return httpx.Response(200, json=self.payloads[routes[path]])
        if request.method == "POST" and path == "/omni/get/images":
            wanted = json.loads(request.content)["images"]
            return httpx.Response(
                200,
                json={
                    t: base64.b64encode(self.images[t]).decode() for t in wanted if t in self.images
                },
            )
        body = json.loads(request.content) if request.content else None
        self.writes.append((request.method, path, dict(request.url.params), body))
        return httpx.Response(200, json={"success": True})


@pytest.fixture
def connection(db):
    return ConnectionFactory(
        base_url="http://incode.test/base",
        credentials={"api_key": API_KEY, "admin_token": ADMIN_TOKEN},
    )


@pytest.fixture
def mocked_adapter(connection) -> Callable[..., tuple[IncodeAdapter, FakeOmni]]:
    """mocked_adapter(scenario, images=...) -> (adapter, fake): HTTP mocked at the client."""

    def make(scenario: str, images: dict[str, bytes] | None = None):
        fake = FakeOmni(load_payloads(scenario), images)
        client = IncodeClient.from_connection(
            connection, transport=httpx.MockTransport(fake), sleep=lambda s: None
        )
        return IncodeAdapter(connection, client=client), fake

    return make


@pytest.fixture
def account(db):
    """A sandbox account with the module's API key and admin token."""
    return services.account_get_or_create(API_KEY, ADMIN_TOKEN, name="Test bank")


@pytest.fixture
def omni_headers() -> dict[str, str]:
    return {"api-version": "1.0", "x-api-key": API_KEY, "X-Incode-Hardware-Id": ADMIN_TOKEN}


@pytest.fixture
def fast_retries(settings):
    settings.PROVIDER_BACKOFF_BASE_SECONDS = 0.001
    settings.PROVIDER_MAX_RETRIES = 3
    return settings


@pytest.fixture
def live_connection(live_server, transactional_db):
    """A sandbox account and a ProviderConnection pointing at it over real HTTP."""
    sandbox_account = services.account_get_or_create(API_KEY, ADMIN_TOKEN, name="Live bank")
    conn = ConnectionFactory(
        base_url=f"{live_server.url}/sandbox/incode",
        credentials={"api_key": API_KEY, "admin_token": ADMIN_TOKEN},
    )
    return conn, sandbox_account
