"""Flonk fixtures: stored payloads, a mocked Flonk API, sandbox accounts, live connections."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from providers.flonk.adapter import FlonkAdapter
from providers.flonk.client import FlonkClient
from providers.flonk.sandbox import services
from tests.factories import ConnectionFactory

FIXTURES = Path(__file__).parent / "fixtures"
SECRET_KEY = "sk_test_flonk_unit_0001"
WEBHOOK_SECRET = "whsec-the-connection-secret"


def load(name: str) -> dict[str, Any]:
    """A stored JSON payload (fixtures/<name>.json)."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


def tiny_jpeg(colour: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), colour).save(buffer, format="JPEG")
    return buffer.getvalue()


def flonk_error(status: int, code: str, message: str | list[str]) -> httpx.Response:
    reasons = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 409: "Conflict"}
    return httpx.Response(
        status,
        json={
            "statusCode": status,
            "code": code,
            "message": message,
            "error": reasons.get(status, "Error"),
        },
    )


class FakeFlonk:
    """An httpx MockTransport handler answering the Flonk reads from a stored scenario.

    ``requests`` keeps every request; ``images`` maps image type -> bytes (the listing
    is built from it); writes are recorded in ``writes`` and answered 200/201.
    """

    def __init__(self, payloads: dict[str, Any], images: dict[str, bytes] | None = None):
        self.payloads = payloads
        self.images = images if images is not None else {}
        self.requests: list[httpx.Request] = []
        self.writes: list[tuple[str, str, dict[str, str], Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        session_id = self.payloads["session"]["id"]
        path = request.url.path.removeprefix("/base")
        prefix = f"/v1/sessions/{session_id}"
        if request.method == "POST":
            body = json.loads(request.content) if request.content else None
            self.writes.append((request.method, path, dict(request.headers), body))
            if path.endswith("/notes"):
                return httpx.Response(201, json={"id": "note_1", **(body or {})})
            if path.endswith("/poa/status"):
                return httpx.Response(
                    200, json={**self.payloads["poa"], "poaStatus": body["status"]}
                )
            return httpx.Response(200, json={**self.payloads["verification"], **body})
        if not path.startswith(prefix):
            return flonk_error(404, "session_not_found", "Session not found.")
        rest = path.removeprefix(prefix)
        if rest == "":
            return httpx.Response(200, json=self.payloads["session"])
        if rest == "/verification":
            if self.payloads["verification"] is None:
                return flonk_error(409, "session_invalid_state", "Session has no verification yet.")
            return httpx.Response(200, json=self.payloads["verification"])
        if rest == "/poa":
            return httpx.Response(200, json=self.payloads["poa"])
        if rest == "/images":
            return httpx.Response(
                200,
                json={
                    "data": [
                        {"type": t, "contentType": "image/jpeg", "size": len(c)}
                        for t, c in self.images.items()
                    ]
                },
            )
        if rest.startswith("/images/"):
            content = self.images[rest.removeprefix("/images/")]
            return httpx.Response(200, content=content, headers={"Content-Type": "image/jpeg"})
        return flonk_error(404, "not_found", f"Cannot {request.method} {path}")


@pytest.fixture
def connection(db):
    conn = ConnectionFactory(
        provider="flonk",
        base_url="http://flonk.test/base",
        credentials={"secret_key": SECRET_KEY},
    )
    conn.webhook_secret = WEBHOOK_SECRET
    return conn


@pytest.fixture
def mocked_adapter(connection) -> Callable[..., tuple[FlonkAdapter, FakeFlonk]]:
    """mocked_adapter(scenario, images=...) -> (adapter, fake): HTTP mocked at the client."""

    def make(scenario: str, images: dict[str, bytes] | None = None):
        fake = FakeFlonk(load(scenario), images)
        client = FlonkClient.from_connection(
            connection, transport=httpx.MockTransport(fake), sleep=lambda s: None
        )
        return FlonkAdapter(connection, client=client), fake

    return make


@pytest.fixture
def account(db):
    """A sandbox account with the module's secret key."""
    return services.account_get_or_create(SECRET_KEY, name="Test bank")


@pytest.fixture
def api_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {SECRET_KEY}", "Flonk-Version": "1.9.1"}


@pytest.fixture
def fast_retries(settings):
    settings.PROVIDER_BACKOFF_BASE_SECONDS = 0.001
    settings.PROVIDER_MAX_RETRIES = 3
    return settings


@pytest.fixture
def live_connection(live_server, transactional_db):
    """A sandbox account and a ProviderConnection pointing at it over real HTTP."""
    sandbox_account = services.account_get_or_create(SECRET_KEY, name="Live bank")
    conn = ConnectionFactory(
        provider="flonk",
        base_url=f"{live_server.url}/sandbox/flonk",
        credentials={"secret_key": SECRET_KEY},
    )
    return conn, sandbox_account
