"""Finwave fixtures: stored results, ZIPs, a mocked API, sandbox clients, live connections."""

from __future__ import annotations

import io
import json
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from providers.finwave.adapter import FinwaveAdapter
from providers.finwave.client import FinwaveClient
from providers.finwave.sandbox import services
from tests.factories import ConnectionFactory

FIXTURES = Path(__file__).parent / "fixtures"
TOKEN = "finwave-test-token-0001"
ROLE_SUFFIXES = {
    "idDocumentFront": "FRONT",
    "idDocumentReverse": "REVERSE",
    "biometryTargetImage": "SELFIE",
    "biometryBlink": "BLINK",
    "biometrySmile": "SMILE",
}


def load_result(name: str) -> dict[str, Any]:
    """The stored body of GET /integrations/:id/result of one scenario (fixtures/<name>.json)."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


def tiny_jpeg(colour: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), colour).save(buffer, format="JPEG")
    return buffer.getvalue()


def make_zip(members: list[tuple[str | zipfile.ZipInfo, bytes]]) -> bytes:
    """A ZIP of ``(name or ZipInfo, content)`` members, deflated."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members:
            zf.writestr(name, content)
    return buffer.getvalue()


def symlink_member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def evidence_zip(result: dict[str, Any], *, extra: list | None = None) -> bytes:
    """A faithful ZIP for ``result``: a distinct tiny JPEG per named image, the video too."""
    members: list[tuple[str | zipfile.ZipInfo, bytes]] = []
    for i, (role, filename) in enumerate(sorted(result.get("evidences", {}).items())):
        content = (
            b"\x1aE\xdf\xa3 not a video" if role == "fullVideo" else tiny_jpeg((i * 40, 90, 9))
        )
        members.append((filename, content))
    members.append((f"{result['onboardingId']}-OCR.json", b"{}"))
    return make_zip(members + (extra or []))


class FakeFinwave:
    """An httpx MockTransport handler answering the result and evidence calls.

    ``requests`` keeps every request; ``archive`` is the ZIP served (bytes).
    """

    def __init__(self, result: dict[str, Any], archive: bytes | None = None):
        self.result = result
        self.archive = evidence_zip(result) if archive is None else archive
        self.onboarding_id = result.get("onboardingId", "")  # the id it answers for
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path.removeprefix("/base/management")
        onboarding = f"/integrations/{self.onboarding_id}"
        if request.method == "GET" and path == f"{onboarding}/result":
            return httpx.Response(200, json=self.result)
        if path == f"{onboarding}/evidences":
            return httpx.Response(
                200, content=self.archive, headers={"Content-Type": "application/zip"}
            )
        message = f"Cannot {request.method} /management{path}"
        return httpx.Response(404, json={"statusCode": 404, "message": message})

    def paths(self) -> list[str]:
        return [f"{r.method} {r.url.path.removeprefix('/base/management')}" for r in self.requests]


@pytest.fixture
def connection(db):
    return ConnectionFactory(
        provider="finwave",
        name="Finwave",
        base_url="http://finwave.test/base/management",
        credentials={"client_token": TOKEN},
    )


@pytest.fixture
def mocked_adapter(connection) -> Callable[..., tuple[FinwaveAdapter, FakeFinwave]]:
    """mocked_adapter(scenario or result, archive=...) -> (adapter, fake): HTTP mocked."""

    def make(scenario: str | dict[str, Any], archive: bytes | None = None):
        result = load_result(scenario) if isinstance(scenario, str) else scenario
        fake = FakeFinwave(result, archive)
        client = FinwaveClient.from_connection(
            connection, transport=httpx.MockTransport(fake), sleep=lambda s: None
        )
        return FinwaveAdapter(connection, client=client), fake

    return make


@pytest.fixture
def account(db):
    """A sandbox client with the module's token."""
    return services.account_get_or_create(TOKEN, name="Test bank")


@pytest.fixture
def fast_retries(settings):
    settings.PROVIDER_BACKOFF_BASE_SECONDS = 0.001
    settings.PROVIDER_MAX_RETRIES = 3
    return settings


@pytest.fixture
def live_connection(live_server, transactional_db, settings):
    """A sandbox client and a ProviderConnection pointing at it over real HTTP."""
    settings.SITE_URL = live_server.url
    sandbox_account = services.account_get_or_create(TOKEN, name="Live bank")
    conn = ConnectionFactory(
        provider="finwave",
        name="Finwave live",
        base_url=f"{live_server.url}/sandbox/finwave/management",
        credentials={"client_token": TOKEN},
    )
    return conn, sandbox_account
