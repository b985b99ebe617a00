"""Fixtures of the API tests: token-authenticated clients and a small review world."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpResponse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from kycdash.accounts.models import Role
from providers.models import ProviderConnection
from reviews.models import ReviewTask
from tests.factories import ConnectionFactory, SessionFactory, TaskFactory


def token_client(user: AbstractBaseUser) -> APIClient:
    """A client that authenticates the way scripts do: ``Authorization: Token <key>``."""
    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api() -> Callable[..., APIClient]:
    """api(user) -> an APIClient authenticated with that user's token."""
    return token_client


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()


@pytest.fixture
def incode(project) -> ProviderConnection:
    """An Incode connection of ``project`` whose base URL nothing listens on."""
    return ConnectionFactory(project=project)


@pytest.fixture
def make_task(incode) -> Callable[..., ReviewTask]:
    """make_task(queue="status", **fields) -> a task on a new session of ``project``."""

    def make(queue: str = "status", *, session=None, **fields) -> ReviewTask:
        session = session or SessionFactory(connection=incode)
        return TaskFactory(session=session, queue=queue, **fields)

    return make


@pytest.fixture
def task(make_task) -> ReviewTask:
    return make_task("status")


@pytest.fixture
def other_task(outsider) -> ReviewTask:
    """A task of the outsider's project, which ``project``'s members must never reach."""
    other_project = outsider.memberships.get().project
    return TaskFactory(session=SessionFactory(connection=ConnectionFactory(project=other_project)))


@pytest.fixture
def second_senior(member) -> AbstractBaseUser:
    return member(Role.SENIOR_REVIEWER)


def error_of(response: HttpResponse) -> dict[str, Any]:
    """The ``error`` object of an error answer, checking the envelope on the way."""
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    return error
