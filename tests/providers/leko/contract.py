"""LE-KO HTTP exchanges checked against ``providers/leko/openapi.yaml`` with openapi-core.

A small adapter presents an httpx request/response (the client's side) or a Django
test-client response (the sandbox's side) through openapi-core's request and
response protocols, as if it had gone to the document's server
(``https://kyc-dev.le-ko.deggex.com/v1``), so neither the client nor the sandbox can
drift from the document.

Two things the document does not cover are checked by the choices written in
``providers/leko/client.py``: ``GET /files/{fileKey}`` (choice (b): the two auth
headers in, image bytes or the ``Errors`` body out), and error statuses an
operation does not list (choice (c): 401, 403, 404, 405, 429, 5xx), whose body must
still be the document's ``Errors`` with a code from its enum.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_schema_validator import OAS30Validator
from werkzeug.datastructures import Headers, ImmutableMultiDict

from providers.leko.contract import OPENAPI_PATH, document, schema

SERVER = "https://kyc-dev.le-ko.deggex.com"  # the document's server, default variables
BASE_PATH = "/v1"
FILES_TEMPLATE = "/files/{fileKey}"  # client.py choice (b), not in the document
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@cache
def openapi() -> OpenAPI:
    return OpenAPI.from_file_path(str(OPENAPI_PATH))


@cache
def _errors_validator() -> OAS30Validator:
    errors = copy.deepcopy(schema("Errors"))
    errors["properties"]["errors"]["items"] = schema("Error")
    return OAS30Validator(errors)


@dataclass
class ContractRequest:
    """openapi-core's Request protocol over plain values; ``api_path`` is below the base."""

    method: str
    api_path: str
    query: list[tuple[str, str]] = field(default_factory=list)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    content_type: str = ""

    def __post_init__(self) -> None:
        self.method = self.method.lower()
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(self.query),
            header=Headers(list(self.headers.items())),
            cookie=ImmutableMultiDict(),
        )

    @property
    def host_url(self) -> str:
        return SERVER

    @property
    def path(self) -> str:
        return BASE_PATH + self.api_path


@dataclass
class ContractResponse:
    """openapi-core's Response protocol over plain values."""

    status_code: int
    data: bytes | None
    content_type: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)


def _below(path: str, base_path: str) -> str:
    base_path = base_path.rstrip("/")
    if base_path and not path.startswith(base_path + "/"):
        raise AssertionError(f"{path} is not below the base URL path {base_path}")
    return path[len(base_path) :]


def from_httpx(
    request: httpx.Request, response: httpx.Response | None = None, *, base_path: str
) -> tuple[ContractRequest, ContractResponse | None]:
    """An exchange of the client, ``base_path`` being the path of the connection's URL."""
    url = urlsplit(str(request.url))
    contract_request = ContractRequest(
        method=request.method,
        api_path=_below(request.url.path, base_path),
        query=parse_qsl(url.query, keep_blank_values=True),
        headers=dict(request.headers),
        body=request.content or None,
        content_type=request.headers.get("Content-Type", ""),
    )
    if response is None:
        return contract_request, None
    return contract_request, ContractResponse(
        status_code=response.status_code,
        data=response.content,
        content_type=response.headers.get("Content-Type", ""),
        headers=dict(response.headers),
    )


def from_django(response, *, base_path: str) -> tuple[ContractRequest, ContractResponse]:
    """An exchange with the sandbox through Django's test client."""
    request = response.wsgi_request
    contract_request = ContractRequest(
        method=request.method,
        api_path=_below(request.path, base_path),
        query=list(request.GET.items()),
        headers=dict(request.headers),
        body=request.body or None,
        content_type=request.META.get("CONTENT_TYPE", ""),
    )
    return contract_request, ContractResponse(
        status_code=response.status_code,
        data=response.content,
        content_type=response.get("Content-Type", ""),
        headers=dict(response.items()),
    )


def _operation(request: ContractRequest) -> tuple[str, dict[str, Any]] | None:
    """(path template, operation) of the document for the request, None if none."""
    paths = document()["paths"]
    method = request.method
    if request.api_path in paths:  # a concrete path wins over a template
        operation = paths[request.api_path].get(method)
        return (request.api_path, operation) if operation else None
    for template, item in paths.items():
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, request.api_path) and method in item:
            return template, item[method]
    return None


def _errors_body(response: ContractResponse) -> dict[str, Any]:
    assert response.content_type.startswith("application/json"), response.content_type
    body = json.loads(response.data or b"null")
    errors = sorted(_errors_validator().iter_errors(body), key=str)
    assert not errors, f"not an Errors body: {errors[0].message}: {body}"
    return body


def _auth_headers_present(request: ContractRequest) -> None:
    headers = Headers(list(request.headers.items()))
    assert headers.get("Authorization", "").startswith("Bearer "), "no bearer token"
    assert UUID.fullmatch(headers.get("x-current-user-id", "")), "no x-current-user-id UUID"


def validate_request(request: ContractRequest) -> None:
    """The request is one the document (or choice (b) for files) allows."""
    if request.method == "get" and request.api_path.startswith("/files/"):
        _auth_headers_present(request)
        assert not request.body, "GET /files/{fileKey} has no body"
        return
    assert _operation(request) is not None, f"{request.method} {request.api_path} undocumented"
    result = openapi().unmarshal_request(request)
    if result.errors:
        causes = "; ".join(f"{e!r}: {e.__cause__ or ''}" for e in result.errors)
        raise AssertionError(f"{request.method} {request.api_path} breaks the document: {causes}")


def validate_response(request: ContractRequest, response: ContractResponse) -> None:
    """The response is one the document (or choices (b)/(c)) allows for the request."""
    if request.method == "get" and request.api_path.startswith("/files/"):
        if response.status_code == 200:
            assert response.content_type.startswith("image/"), response.content_type
            assert response.data, "an empty image"
        else:
            _errors_body(response)
        return
    found = _operation(request)
    documented = found is not None and str(response.status_code) in found[1]["responses"]
    if not documented:
        # choice (c): undocumented statuses are errors with the document's Errors body
        assert response.status_code >= 400, f"undocumented success {response.status_code}"
        _errors_body(response)
        return
    result = openapi().unmarshal_response(request, response)
    if result.errors:
        causes = "; ".join(f"{e!r}: {e.__cause__ or ''}" for e in result.errors)
        raise AssertionError(
            f"{request.method} {request.api_path} -> {response.status_code} breaks the "
            f"document: {causes}"
        )


def validate_exchanges(
    exchanges: Iterable[tuple[httpx.Request, httpx.Response]], *, base_path: str
) -> int:
    """Validate recorded client exchanges; returns how many were checked."""
    count = 0
    for request, response in exchanges:
        contract_request, contract_response = from_httpx(request, response, base_path=base_path)
        validate_request(contract_request)
        assert contract_response is not None
        validate_response(contract_request, contract_response)
        count += 1
    return count


class RecordingTransport(httpx.HTTPTransport):
    """A real HTTP transport that keeps every (request, response) it carried."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.exchanges: list[tuple[httpx.Request, httpx.Response]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        response.read()
        self.exchanges.append((request, response))
        return response
