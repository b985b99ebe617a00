"""LE-KO fixtures: stored payloads, a mocked LE-KO API, sandbox accounts, live connections."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from PIL import Image

from providers.leko.adapter import LekoAdapter
from providers.leko.client import LekoClient
from providers.leko.sandbox import services
from tests.factories import ConnectionFactory
from tests.providers.leko import contract

FIXTURES = Path(__file__).parent / "fixtures"
BASE_URL = "http://leko.test/v1"
BASE_PATH = "/v1"
SANDBOX_PATH = "/sandbox/leko"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJl"
USER_ID = "5a0d3c1e-8f2b-4d6a-9c7e-1b2a3c4d5e6f"


def load_payload(name: str) -> dict[str, Any]:
    """One stored ``Verification`` body (fixtures/<name>.json)."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


def tiny_jpeg(colour: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), colour).save(buffer, format="JPEG")
    return buffer.getvalue()


def errors(status: int, code: str, message: str, endpoint: str = "GET /x") -> httpx.Response:
    """LE-KO's error answer."""
    return httpx.Response(
        status,
        json={
            "errors": [
                {"code": code, "message": message, "endpoint": endpoint, "requestId": "req-1"}
            ]
        },
    )


def status_body(verification: dict[str, Any]) -> dict[str, Any]:
    """The ``VerificationStatus`` LE-KO answers for a verification."""
    return {
        "id": verification["id"],
        "status": verification["status"],
        "currentStep": verification["currentStep"],
        "progress": {
            "avatarVerified": {"success": True, "attempts": 1},
            "passportVerified": {"success": True, "attempts": 1},
            "imagesMatched": True,
        },
    }


class FakeLeko:
    """An httpx MockTransport handler answering like LE-KO from stored payloads.

    Every request and every answer is validated against the OpenAPI document, so a
    test using this fake also proves the client asks what the document allows.
    ``verifications`` maps id -> Verification body; ``files`` maps fileKey -> bytes;
    ``admin_answers`` scripts the answers to PUT /admin (default: apply and 200).
    """

    def __init__(
        self,
        verifications: list[dict[str, Any]] | None = None,
        files: dict[str, bytes] | None = None,
    ):
        self.verifications = {v["id"]: v for v in verifications or []}
        self.files = files or {}
        self.requests: list[httpx.Request] = []
        self.admin_answers: list[httpx.Response] = []
        self.admin_bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        contract_request, _ = contract.from_httpx(request, base_path=BASE_PATH)
        contract.validate_request(contract_request)
        response = self._answer(request, request.url.path.removeprefix(BASE_PATH))
        response.read()
        _, contract_response = contract.from_httpx(request, response, base_path=BASE_PATH)
        contract.validate_response(contract_request, contract_response)
        return response

    def _answer(self, request: httpx.Request, path: str) -> httpx.Response:
        endpoint = f"{request.method} {path}"
        if request.method == "GET" and path == "/verifications":
            number = int(request.url.params.get("number", 0))
            limit = int(request.url.params.get("limit", 10))
            rows = list(self.verifications.values())
            page = rows[number * limit : (number + 1) * limit]
            return httpx.Response(
                200,
                json={
                    "data": page,
                    "count": len(page),
                    "page": number,
                    "limit": limit,
                    "total": len(rows),
                },
            )
        if match := re.fullmatch(r"/files/(.+)", path):
            key = unquote(match[1])
            if key not in self.files:
                return errors(404, "notFound", "File not found.", endpoint)
            return httpx.Response(
                200, content=self.files[key], headers={"Content-Type": "image/jpeg"}
            )
        match = re.fullmatch(r"/verifications/([^/]+)(/admin)?", path)
        if match is None:
            return errors(404, "notFound", f"No endpoint {endpoint}.", endpoint)
        verification = self.verifications.get(match[1])
        if verification is None:
            return errors(404, "notFound", f"Verification {match[1]} not found.", endpoint)
        if request.method == "GET" and not match[2]:
            return httpx.Response(200, json=verification)
        body = json.loads(request.content)
        self.admin_bodies.append(body)
        if self.admin_answers:
            return self.admin_answers.pop(0)
        if verification["status"] != "admin_review_required":
            return errors(
                409,
                "validation",
                "Verification must be in admin_review_required status; "
                f"it is {verification['status']}.",
                endpoint,
            )
        verification["status"] = "approved" if body["approved"] else "rejected"
        verification["currentStep"] = "completed"
        verification["adminApproval"] = body
        return httpx.Response(200, json=status_body(verification))


@pytest.fixture
def connection(db):
    return ConnectionFactory(
        provider="leko",
        name="LE-KO",
        base_url=BASE_URL,
        credentials={"token": TOKEN, "user_id": USER_ID},
    )


@pytest.fixture
def mocked_adapter(connection) -> Callable[..., tuple[LekoAdapter, FakeLeko]]:
    """mocked_adapter(*payload names, files=...) -> (adapter, fake): HTTP mocked at the client."""

    def make(*names: str, files: dict[str, bytes] | None = None):
        fake = FakeLeko([load_payload(name) for name in names], files)
        client = LekoClient.from_connection(
            connection, transport=httpx.MockTransport(fake), sleep=lambda s: None
        )
        return LekoAdapter(connection, client=client), fake

    return make


@pytest.fixture
def account(db):
    """A sandbox account (with its admin user)."""
    return services.account_get_or_create("test-tenant", name="Test tenant")


@pytest.fixture
def admin_credentials(account) -> dict[str, str]:
    return services.credentials_for(account)


@pytest.fixture
def fast_retries(settings):
    settings.PROVIDER_BACKOFF_BASE_SECONDS = 0.001
    settings.PROVIDER_MAX_RETRIES = 3
    return settings


@pytest.fixture
def live(live_server, transactional_db):
    """(connection, sandbox account): a ProviderConnection to the sandbox over real HTTP."""
    sandbox_account = services.account_get_or_create("live-tenant", name="Live tenant")
    conn = ConnectionFactory(
        provider="leko",
        name="LE-KO live",
        base_url=f"{live_server.url}{SANDBOX_PATH}",
        credentials=services.credentials_for(sandbox_account),
    )
    return conn, sandbox_account
